"""Background work for stories: assignment (safety net), refinement and Top-stories ranking."""

from __future__ import annotations

from huey import crontab

from broadsheet.periodic import periodic_task

from . import assign, ranking, refine


@periodic_task(crontab(minute="*"))
def assign_stories() -> int:
    """Articles stored without a story (a worker stopped between storing and assigning)."""
    return assign.assign_pending()


@periodic_task(crontab(minute="*/15"))
def refine_stories() -> int:
    return refine.refine_recent()


@periodic_task(crontab(minute="*/5"))
def rank_top_stories() -> int:
    return ranking.rank_stories()
