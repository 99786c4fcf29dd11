"""Daily membership upkeep: ended trials and cancelled memberships past their period expire.

Access is already decided by time (``Membership.has_access``); this keeps the stored state, the
admin's lists and the account page's words honest. Running it twice is harmless.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import membership

log = logging.getLogger("broadsheet.readers")


@db_periodic_task(crontab(minute="17", hour="3"))
def expire_memberships() -> int:
    """Expire what has ended; returns how many memberships changed."""
    count = membership.expire_due()
    if count:
        log.info("%d memberships expired", count)
    return count
