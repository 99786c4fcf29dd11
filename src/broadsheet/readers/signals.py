"""A new password revokes every token: apps, Google Reader logins and private feed addresses.

Django signs other browser sessions out when a password changes, but tokens are not sessions. A
reader who changes or resets their password after a leak expects whoever holds the leak to be
locked out, so the tokens go too. Any path that sets a password counts: the password-change and
reset forms, the admin, ``broadsheet users`` and ``manage.py changepassword``.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .models import User


@receiver(pre_save, sender=User, dispatch_uid="readers.password_marks_tokens")
def _note_new_password(sender, instance: User, raw: bool = False, **_kwargs) -> None:
    # ``set_password`` keeps the raw password until the next save; Django's own hash upgrades
    # (same password, new hashing parameters) clear it first, so they revoke nothing.
    instance._revoke_tokens = (not raw and instance.pk is not None
                               and getattr(instance, "_password", None) is not None)


@receiver(post_save, sender=User, dispatch_uid="readers.password_revokes_tokens")
def _revoke_tokens(sender, instance: User, created: bool = False, **_kwargs) -> None:
    if created or not getattr(instance, "_revoke_tokens", False):
        return
    instance._revoke_tokens = False
    revoke_tokens(instance)


def revoke_tokens(user: User) -> int:
    """Delete every token of ``user``; returns how many."""
    if not apps.is_installed("broadsheet.api"):
        return 0
    token_model = apps.get_model("api", "ApiToken")
    deleted, _ = token_model.objects.filter(user=user).delete()
    return deleted
