"""Admin for accounts (keyed by email) and memberships."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from . import membership as transitions
from .models import Membership, Payment, StripeEvent, User


class EmailUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    extra = 0
    fields = ("state", "trial_ends_at", "awaits_confirmation", "current_period_end",
              "stripe_customer_id", "stripe_subscription_id")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = ("email", "membership_state", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "membership__state", "groups")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("last_login", "date_joined", "email_confirmed_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("first_name", "last_name", "time_zone", "email_confirmed_at")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2")}),
    )
    inlines = [MembershipInline]

    def get_inlines(self, request, obj):
        """The add page asks only for the email and password; membership comes on the next page."""
        return [] if obj is None else self.inlines

    @admin.display(description="Membership", ordering="membership__state")
    def membership_state(self, user: User) -> str:
        membership = transitions.membership_of(user)
        return membership.get_state_display() if membership else "-"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "state", "trial_ends_at", "current_period_end", "updated_at")
    list_filter = ("state", "awaits_confirmation")
    search_fields = ("user__email", "stripe_customer_id", "stripe_subscription_id")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at", "updated_at", "stripe_event_at")
    actions = ["make_active", "expire_now"]

    @admin.action(description="Make active (no billing)")
    def make_active(self, request, queryset) -> None:
        for membership in queryset.select_related("user"):
            transitions.grant(membership.user)
        self.message_user(request, f"{queryset.count()} memberships made active.")

    @admin.action(description="Expire now")
    def expire_now(self, request, queryset) -> None:
        for membership in queryset:
            transitions.expire(membership)
        self.message_user(request, f"{queryset.count()} memberships expired.")


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "received_at")
    search_fields = ("event_id", "type")
    readonly_fields = ("event_id", "type", "received_at")


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Paid invoices as Stripe reported them: read only (they are the statements' revenue)."""

    list_display = ("stripe_invoice_id", "user", "amount_paid", "currency", "paid_at")
    list_filter = ("currency",)
    search_fields = ("stripe_invoice_id", "user__email")
    date_hierarchy = "paid_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
