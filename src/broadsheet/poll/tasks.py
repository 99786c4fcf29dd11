"""Background work: every minute, check the sources that are due.

The poll runs once a minute across all workers (:mod:`broadsheet.periodic`), and ``state.claim``
leases sources in the database, so no source is checked twice at once; each batch renews its
sources' lease when it starts (``state.renew``), and a source whose lease ends before its check
is recorded goes to another worker, and the late check is dropped.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_task

from broadsheet.periodic import periodic_task
from broadsheet.sources import state
from broadsheet.sources.models import Source

from .pipeline import run_sources

log = logging.getLogger("broadsheet.sources")

CLAIM_LIMIT = 2000
TASK_BATCH = 200


@periodic_task(crontab(minute="*"))
def poll_due_sources() -> int:
    """Hand the due sources to the workers, in batches; returns how many were handed out."""
    claim = state.claim(CLAIM_LIMIT)
    jobs = claim.jobs
    for start in range(0, len(jobs), TASK_BATCH):
        check_sources([job.id for job in jobs[start:start + TASK_BATCH]], claim.until)
    return len(jobs)


@db_task()
def check_sources(source_ids: list[int], lease_until: datetime | None = None) -> dict[str, int]:
    """Fetch and process these sources now: when a lease ``lease_until`` is given, those still
    under it, for a whole lease from now (a task that waited longer than its lease leaves them
    to their new holder)."""
    if lease_until is None:
        jobs = state.jobs(Source.objects.filter(id__in=source_ids, enabled=True))
    else:
        claim = state.renew(source_ids, lease_until)
        jobs, lease_until = claim.jobs, claim.until
    with state.lease_held(lease_until):
        summary = run_sources(jobs, workers=settings.EXTRACT_WORKERS)
    totals = {name: summary.total(name) for name in ("new", "updated", "unchanged")}
    totals["failed_sources"] = len(summary.failed_sources)
    log.info("checked %d sources: %s", len(jobs), totals)
    return totals
