from django.contrib import admin

from broadsheet.freshness import PagesFollowAdmin

from .models import Section


@admin.register(Section)
class SectionAdmin(PagesFollowAdmin, admin.ModelAdmin):
    list_display = ("name", "slug", "position", "in_navigation")
    list_editable = ("position", "in_navigation")
    prepopulated_fields = {"slug": ("name",)}
