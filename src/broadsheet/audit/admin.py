"""The audit log in the admin: read only, for everyone."""

from django.contrib import admin

from .models import EditorialAction


@admin.register(EditorialAction)
class EditorialActionAdmin(admin.ModelAdmin):
    list_display = ("at", "editor", "action", "target", "summary")
    list_filter = ("action",)
    search_fields = ("editor", "target", "summary", "reason")
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
