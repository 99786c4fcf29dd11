"""Background work: every minute, check the sources that are due.

Each consumer's scheduler enqueues the periodic task, so on many machines it may run more than
once at a time; ``claim_due`` leases sources in the database, so no source is checked twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from broadsheet.sources import state
from broadsheet.sources.models import Source

from .pipeline import run_sources

log = logging.getLogger("broadsheet.sources")

CLAIM_LIMIT = 2000
TASK_BATCH = 200


@db_periodic_task(crontab(minute="*"))
def poll_due_sources() -> int:
    """Hand the due sources to the workers, in batches; returns how many were handed out."""
    jobs = state.claim_due(CLAIM_LIMIT)
    for start in range(0, len(jobs), TASK_BATCH):
        check_sources([job.id for job in jobs[start:start + TASK_BATCH]])
    return len(jobs)


@db_task()
def check_sources(source_ids: list[int]) -> dict[str, int]:
    """Fetch and process these sources now."""
    jobs = state.jobs(Source.objects.filter(id__in=source_ids, enabled=True))
    summary = run_sources(jobs, workers=settings.EXTRACT_WORKERS)
    totals = {name: summary.total(name) for name in ("new", "updated", "unchanged")}
    totals["failed_sources"] = len(summary.failed_sources)
    log.info("checked %d sources: %s", len(jobs), totals)
    return totals
