"""Editors manage publishers and their sources here; a failing source shows its last error.

A source's notice says what politeness changed in its last check (robots.txt, a host that asked us
to wait, a feed-only publisher); the Hosts page shows each host's robots.txt and pause.
"""

from django.contrib import admin
from django.utils import timezone

from broadsheet.freshness import PagesFollowAdmin

from .models import Host, Publisher, Source


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ("url", "kind", "section", "enabled", "status", "last_error", "notice")
    readonly_fields = ("status", "last_error", "notice")


@admin.register(Publisher)
class PublisherAdmin(PagesFollowAdmin, admin.ModelAdmin):
    list_display = ("name", "country", "language", "weight", "feed_only", "homepage_url")
    list_editable = ("weight", "feed_only")  # editors tune Top stories from the list
    search_fields = ("name", "homepage_url")
    list_filter = ("country", "language", "feed_only")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [SourceInline]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("url", "publisher", "kind", "section", "enabled", "status",
                    "consecutive_errors", "next_check_at", "last_success_at", "notice")
    list_filter = ("status", "kind", "enabled", "section", "publisher__feed_only")
    search_fields = ("url", "title", "publisher__name", "last_error", "notice")
    list_select_related = ("publisher",)
    autocomplete_fields = ("publisher",)
    readonly_fields = ("status", "notice", "etag", "last_modified", "consecutive_errors",
                       "last_error", "last_error_at", "last_checked_at", "last_success_at",
                       "created_at")
    actions = ["check_now"]

    @admin.action(description="Check the selected sources at the next poll")
    def check_now(self, request, queryset):
        updated = queryset.update(next_check_at=timezone.now())
        self.message_user(request, f"{updated} sources will be checked within a minute.")


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    """What the workers know of each host; written by them, so read-only but for two actions."""

    list_display = ("origin", "robots_status", "crawl_delay", "robots_expires_at",
                    "paused_until", "pause_reason", "throttles")
    search_fields = ("origin",)
    actions = ["read_robots_again", "lift_pause"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Read robots.txt again at the next check")
    def read_robots_again(self, request, queryset):
        updated = queryset.update(robots_expires_at=timezone.now())
        self.message_user(request, f"robots.txt of {updated} hosts will be read again. Workers "
                                   "keep their own copy for up to a day unless restarted.")

    @admin.action(description="Lift the pause (the host stopped asking us to wait)")
    def lift_pause(self, request, queryset):
        updated = queryset.update(paused_until=None, pause_reason="", throttles=0)
        self.message_user(request, f"{updated} hosts are no longer paused.")
