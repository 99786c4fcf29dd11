from django.contrib import admin

from .models import Article


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
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
