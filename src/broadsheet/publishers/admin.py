"""Statements in the admin, read only (only `broadsheet statements build --rebuild` changes
one, and says so in the audit log); publisher accounts, editable."""

from __future__ import annotations

from django.contrib import admin

from .export import major
from .models import PublisherAccount, Statement, StatementLine


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    fields = ("publisher_slug", "publisher_name", "qualified_reads", "unique_readers", "share",
              "amount")
    ordering = ("-amount", "publisher_slug")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = ("label", "pool_major", "currency", "qualified_reads", "pool_given",
                    "built_at")
    inlines = [StatementLineInline]

    @admin.display(description="Month", ordering="month")
    def label(self, statement: Statement) -> str:
        return statement.label

    @admin.display(description="Pool")
    def pool_major(self, statement: Statement) -> str:
        return major(statement.pool)


@admin.register(PublisherAccount)
class PublisherAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "publisher", "created_at")
    search_fields = ("user__email", "publisher__name", "publisher__slug")
    raw_id_fields = ("user",)
    autocomplete_fields = ("publisher",)
