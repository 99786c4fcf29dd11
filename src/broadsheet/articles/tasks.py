"""Background work for articles: the daily trim of old articles' text (text retention)."""

from __future__ import annotations

from django.conf import settings
from huey import crontab

from broadsheet.periodic import periodic_task

from . import retention


@periodic_task(crontab(minute="41", hour="3"))
def trim_old_text() -> int:
    """Cut articles past ``BROADSHEET_KEEP_TEXT_DAYS`` to their teaser; nothing when it is 0.

    Once a day, at night, after the readers' upkeep: a day's worth of articles come of age.
    """
    if settings.KEEP_TEXT_DAYS <= 0:
        return 0
    return retention.trim_old_text()
