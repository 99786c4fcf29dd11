"""Emails to readers: welcome (with an optional address confirmation link).

Password-reset emails are sent by Django's reset views with our templates (see views.py). Links
always start with ``settings.SITE_URL``, the address readers use, never the request's Host header.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import User

log = logging.getLogger("broadsheet.readers")

CONFIRM_SALT = "broadsheet.readers.confirm-email"
CONFIRM_MAX_AGE = 30 * 24 * 3600  # seconds


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def confirm_token(user: User) -> str:
    """A signed token naming the user and the address it confirms (a changed address voids it)."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=CONFIRM_SALT, compress=True)


def confirm_address(token: str) -> User | None:
    """Mark the address in ``token`` confirmed; None when the token is bad, old or out of date."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])
    return user


def send_welcome(user: User, *, raise_errors: bool = False) -> bool:
    """Welcome a new reader; returns False (and logs) when the mail server refuses.

    Sign-up queues this as a background task (``tasks.send_welcome_email``), which passes
    ``raise_errors=True`` so that a failure is retried later; it never waits for it.
    """
    context = {
        "user": user,
        "trial_days": settings.TRIAL_DAYS,
        "confirm_url": site_link(reverse("confirm_email", args=[confirm_token(user)])),
        "site_url": settings.SITE_URL,
    }
    subject = render_to_string("readers/emails/welcome_subject.txt", context).strip()
    body = render_to_string("readers/emails/welcome.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except OSError:  # smtplib errors are OSErrors: a mail failure must not undo the sign-up
        if raise_errors:
            raise
        log.warning("welcome email to user %s not sent", user.pk, exc_info=True)
        return False
    return True
