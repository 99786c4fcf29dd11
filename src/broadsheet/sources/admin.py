"""Editors manage publishers and their sources here; a failing source shows its last error."""

from django.contrib import admin

from .models import Publisher, Source


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ("url", "kind", "section", "enabled", "status", "last_error")
    readonly_fields = ("status", "last_error")


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    list_display = ("name", "country", "language", "weight", "homepage_url")
    list_editable = ("weight",)  # editors tune Top stories from the list
    search_fields = ("name", "homepage_url")
    list_filter = ("country", "language")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [SourceInline]


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("url", "publisher", "kind", "section", "enabled", "status",
                    "consecutive_errors", "next_check_at", "last_success_at")
    list_filter = ("status", "kind", "enabled", "section")
    search_fields = ("url", "title", "publisher__name", "last_error")
    list_select_related = ("publisher",)
    autocomplete_fields = ("publisher",)
    readonly_fields = ("status", "etag", "last_modified", "consecutive_errors", "last_error",
                       "last_error_at", "last_checked_at", "last_success_at", "created_at")
    actions = ["check_now"]

    @admin.action(description="Check the selected sources at the next poll")
    def check_now(self, request, queryset):
        from django.utils import timezone

        updated = queryset.update(next_check_at=timezone.now())
        self.message_user(request, f"{updated} sources will be checked within a minute.")
