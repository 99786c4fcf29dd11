"""Personal tokens: how apps and feed readers act for a reader without their password."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A secret a reader hands to an app; only its SHA-256 digest is stored.

    The kind limits where a token works: an ``api`` token is a Bearer token for the JSON API,
    a ``greader`` token comes from ClientLogin and works only on the Google Reader API, a
    ``feed`` token sits in a private feed address and works only there, and a ``fever`` token
    is an app password for the Fever API (stored as the SHA-256 of the key apps send).
    """

    class Kind(models.TextChoices):
        API = "api", "JSON API"
        GREADER = "greader", "Google Reader API"
        FEED = "feed", "Private feed"
        FEVER = "fever", "Fever app password"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.API)
    name = models.CharField(max_length=100, blank=True, help_text="What the reader called it")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the secret")
    prefix = models.CharField(max_length=12, help_text="The secret's first characters, to tell "
                                                       "tokens apart")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True,
                                      help_text="Empty means until revoked")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "kind"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} {self.prefix}…"
