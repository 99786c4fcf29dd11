"""Readers: accounts keyed by email address."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("an email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A reader, editor or publisher's staff member; signs in with an email address."""

    # Django removes an inherited field set to None; django-stubs types username as str only.
    username = None  # type: ignore[assignment]
    email = models.EmailField("Email", unique=True)
    time_zone = models.CharField(max_length=64, blank=True,
                                 help_text="Shown times use this zone; empty means the default")
    email_confirmed_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the reader confirmed the address (a repeat trial from one address "
                  "waits for it)")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    # Django takes any BaseUserManager for a custom user; django-stubs expects its own UserManager.
    objects = UserManager()  # type: ignore[assignment,misc]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        """Store the account; a new password also revokes every token of it.

        Django signs other browser sessions out when a password changes, but tokens (apps,
        Google Reader logins, private feed addresses) are not sessions: a reader who changes or
        resets their password after a leak expects whoever holds it to be locked out. Every
        path that sets a password saves here: the password-change and reset forms, the admin,
        ``broadsheet users`` and ``manage.py changepassword``. ``set_password`` keeps the raw
        password until the next save; Django's own hash upgrades (same password, new hashing
        parameters) clear it first, so they revoke nothing.
        """
        new_password = self.pk is not None and getattr(self, "_password", None) is not None
        super().save(*args, **kwargs)
        if new_password:
            self.revoke_tokens()

    def revoke_tokens(self) -> int:
        """Delete every token of this account; returns how many rows went."""
        tokens = getattr(self, "api_tokens", None)  # the API's tokens, when it is installed
        if tokens is None:
            return 0
        deleted, _ = tokens.all().delete()
        return deleted


TRIAL_DAYS = 14


class Membership(models.Model):
    """A reader's membership: a free trial, then a paid subscription.

    States: trialing, active, past due (payment failed, still reading while the payment is
    retried), cancelled (reading until the paid period ends), expired.
    """

    class State(models.TextChoices):
        TRIALING = "trialing", "Free trial"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Payment past due"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    state = models.CharField(max_length=16, choices=State.choices, default=State.TRIALING)
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    awaits_confirmation = models.BooleanField(
        default=False,
        help_text="A repeat trial from one address: it starts when the reader confirms the "
                  "address by the emailed link")
    current_period_end = models.DateTimeField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_event_at = models.DateTimeField(
        null=True, blank=True,
        help_text="Creation time of the newest Stripe event applied; older ones arrive late")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.get_state_display()}"

    def has_access(self, now) -> bool:
        """Whether this membership reads full text at ``now``."""
        if self.state == self.State.TRIALING:
            return (not self.awaits_confirmation and self.trial_ends_at is not None
                    and now < self.trial_ends_at)
        if self.state in (self.State.ACTIVE, self.State.PAST_DUE):
            return True
        if self.state == self.State.CANCELLED:
            return self.current_period_end is not None and now < self.current_period_end
        return False


class StripeEvent(models.Model):
    """A Stripe webhook event already handled: Stripe may deliver the same event twice."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Payment(models.Model):
    """A paid Stripe invoice: the subscription revenue that publishers' statements share out.

    One row per invoice however often Stripe reports it. The row outlives the account (the user
    becomes empty), so a month's revenue, and its statement, can be worked out again.
    """

    stripe_invoice_id = models.CharField(max_length=255, unique=True)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    amount_paid = models.PositiveBigIntegerField(help_text="In minor units (pence, cents)")
    currency = models.CharField(max_length=3, help_text="ISO 4217, upper case")
    paid_at = models.DateTimeField(help_text="When Stripe marked the invoice paid (UTC)")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_at"]
        indexes = [models.Index(fields=["currency", "paid_at"], name="payment_currency_paid")]

    def __str__(self) -> str:
        return f"{self.stripe_invoice_id}: {self.amount_paid / 100:.2f} {self.currency}"


class Follow(models.Model):
    """A reader follows a publisher, a section or a topic (a word or phrase)."""

    class Kind(models.TextChoices):
        PUBLISHER = "publisher", "Publisher"
        SECTION = "section", "Section"
        TOPIC = "topic", "Topic"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follows")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    publisher = models.ForeignKey("sources.Publisher", on_delete=models.CASCADE, null=True,
                                  blank=True, related_name="followers")
    section = models.ForeignKey("curation.Section", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="followers")
    topic = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "publisher"], name="follow_once_publisher",
                                    condition=models.Q(kind="publisher")),
            models.UniqueConstraint(fields=["user", "section"], name="follow_once_section",
                                    condition=models.Q(kind="section")),
            models.UniqueConstraint(fields=["user", "topic"], name="follow_once_topic",
                                    condition=models.Q(kind="topic")),
        ]

    def __str__(self) -> str:
        target = self.publisher or self.section or self.topic
        return f"{self.user} follows {target}"


class SavedArticle(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved")
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-saved_at"]
        constraints = [models.UniqueConstraint(fields=["user", "article"], name="save_once")]


class ReadingHistory(models.Model):
    """The articles a reader opened; one row per article, its time updated on each reading."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="history")
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(db_index=True)
    full = models.BooleanField(default=False, help_text="Read in full, not the teaser")

    class Meta:
        ordering = ["-read_at"]
        constraints = [models.UniqueConstraint(fields=["user", "article"], name="history_once")]


class ThrottleAttempt(models.Model):
    """One counted attempt (a failed sign-in, a reset email) under a throttle key.

    Rows live in the database so that every web process, on one machine or many, counts the same
    attempts; the daily task deletes old ones.
    """

    key = models.CharField(max_length=120, help_text="Throttle scope and hashed address")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "at"])]

    def __str__(self) -> str:
        return f"{self.key} at {self.at:%Y-%m-%d %H:%M:%S}"
