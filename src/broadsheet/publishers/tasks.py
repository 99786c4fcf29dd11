"""Background work for publishers: forgetting site-template blocks that never repeated."""

from __future__ import annotations

from huey import crontab

from broadsheet.periodic import periodic_task

from . import site_templates


@periodic_task(crontab(minute="53", hour="3"))
def forget_rare_blocks() -> int:
    """Once a day, at night: blocks of one article, unseen for a month, leave the template table
    (``site_templates.forget_rare``)."""
    return site_templates.forget_rare()
