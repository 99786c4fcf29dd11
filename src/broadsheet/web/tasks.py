"""Background work for the reader-facing surfaces: the daily briefing email."""

from __future__ import annotations

from huey import crontab

from broadsheet.periodic import periodic_task

from . import briefing


@periodic_task(crontab(minute="*/5"))
def send_briefings() -> str:
    """Send the daily briefings now due; what failed is tried again at the next run."""
    return str(briefing.send_due())
