"""Background work for readers: daily membership upkeep and throttle pruning, and the welcome
email (sent here so that signing up never waits for the mail server).

Daily membership upkeep: ended trials and cancelled memberships past their period expire.

Access is already decided by time (``Membership.has_access``); this keeps the stored state, the
admin's lists and the account page's words honest. Running it twice is harmless.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_task

from broadsheet.periodic import periodic_task

from . import emails, membership, throttle
from .models import User

log = logging.getLogger("broadsheet.readers")


@periodic_task(crontab(minute="17", hour="3"))
def expire_memberships() -> int:
    """Expire what has ended; returns how many memberships changed."""
    count = membership.expire_due()
    if count:
        log.info("%d memberships expired", count)
    return count


@periodic_task(crontab(minute="23", hour="3"))
def prune_throttle_attempts() -> int:
    """Forget sign-in and reset attempts too old to count against anyone."""
    return throttle.prune()


# A slow or unreachable mail server is retried for about an hour before the email is given up.
WELCOME_RETRIES = 6
WELCOME_RETRY_DELAY = 600  # seconds


@db_task(retries=WELCOME_RETRIES, retry_delay=WELCOME_RETRY_DELAY)
def send_welcome_email(user_id: int) -> bool:
    """Send the welcome (and address confirmation) email; raising makes Huey retry later."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:  # the account was deleted before the email went out
        return False
    return emails.send_welcome(user, raise_errors=True)
