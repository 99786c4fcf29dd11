"""Emails to readers: welcome (with the address confirmation link) and the confirmation link
again on request.

Password-reset emails are sent by Django's reset views with our templates (see views.py). Links
always start with ``settings.SITE_URL``, the address readers use, never the request's Host header.
Every account email spends one of the recipient's ``email_budget`` (a few an hour), so no form
can be used to flood someone's inbox.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import membership as transitions
from .models import User
from .throttle import Attempt, email_budget

log = logging.getLogger("broadsheet.readers")

CONFIRM_SALT = "broadsheet.readers.confirm-email"


def confirm_max_age() -> int:
    """Seconds a confirmation link works (``BROADSHEET_CONFIRM_LINK_DAYS``)."""
    return settings.SIGNIN_LIMITS["confirm_link_days"] * 24 * 3600


def site_link(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def confirm_token(user: User) -> str:
    """A signed token naming the user and the address it confirms (a changed address voids it)."""
    return signing.dumps({"u": user.pk, "e": user.email}, salt=CONFIRM_SALT, compress=True)


@dataclass(frozen=True)
class Confirmed:
    user: User
    trial_started: bool  # a trial that waited for the confirmation starts now


def confirm_address(token: str) -> Confirmed | None:
    """Mark the address in ``token`` confirmed (starting a trial that waited for it); None when
    the token is bad, old or out of date."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=confirm_max_age())
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u"), email=data.get("e")).first()
    if user is None:
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = timezone.now()
        user.save(update_fields=["email_confirmed_at"])
    return Confirmed(user, transitions.confirm_trial(user))


def send_welcome(user: User, *, raise_errors: bool = False) -> bool:
    """Welcome a new reader; returns False (and logs) when the mail server refuses or the
    address has had its emails for the hour.

    Sign-up queues this as a background task (``tasks.send_welcome_email``), which passes
    ``raise_errors=True`` so that a failure is retried later; it never waits for it.
    """
    return _send(user, "welcome", raise_errors=raise_errors)


def send_confirmation(user: User, booked: Attempt | None = None) -> bool:
    """The confirmation link again, at the reader's request; False when it could not go out.

    ``booked`` is the recipient's email budget already taken by the caller (who told the reader
    when to try again if it was spent).
    """
    return _send(user, "confirm", booked=booked)


def _send(user: User, template: str, *, raise_errors: bool = False,
          booked: Attempt | None = None) -> bool:
    use = booked or email_budget.take(user.email)
    if not use.allowed:
        log.warning("%s email to user %s not sent: the address has had its emails for the hour",
                    template, user.pk)
        return False
    membership = transitions.membership_of(user)
    context = {
        "user": user,
        "trial_days": settings.TRIAL_DAYS,
        "awaits_confirmation": membership is not None and membership.awaits_confirmation,
        "confirm_url": site_link(reverse("confirm_email", args=[confirm_token(user)])),
        "confirm_days": settings.SIGNIN_LIMITS["confirm_link_days"],
        "site_url": settings.SITE_URL,
    }
    subject = render_to_string(f"readers/emails/{template}_subject.txt", context).strip()
    body = render_to_string(f"readers/emails/{template}.txt", context)
    try:
        send_mail(subject, body, None, [user.email])
    except OSError:  # smtplib errors are OSErrors: a mail failure must not undo the sign-up
        use.release()  # nothing arrived: a later try is not flooding anyone
        if raise_errors:
            raise
        log.warning("%s email to user %s not sent", template, user.pk, exc_info=True)
        return False
    return True
