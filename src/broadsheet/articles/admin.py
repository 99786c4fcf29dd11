from django.contrib import admin

from broadsheet.freshness import PagesFollowAdmin

from .models import Article, Takedown


@admin.register(Article)
class ArticleAdmin(PagesFollowAdmin, admin.ModelAdmin):
    list_display = ("title", "publisher", "section", "published_at", "word_count", "story",
                    "duplicate_of")
    list_filter = ("section", "language")
    search_fields = ("title", "canonical_url", "author")
    date_hierarchy = "published_at"
    list_select_related = ("publisher", "story")
    raw_id_fields = ("source", "story", "duplicate_of")
    autocomplete_fields = ("publisher",)
    readonly_fields = ("canonical_url", "guid", "content_hash", "fetched_at", "updated_at",
                       "story_assigned_at", "text_trimmed_at")


@admin.register(Takedown)
class TakedownAdmin(admin.ModelAdmin):
    """Takedowns are made from the article's page and cannot be edited; deleting one lets the
    article back in at the next fetch of its feed."""

    list_display = ("removed_at", "title", "publisher", "reason", "removed_by")
    search_fields = ("title", "canonical_url", "reason")
    readonly_fields = [f.name for f in Takedown._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
