"""Background work for curation: For you's shared candidates are kept warm."""

from __future__ import annotations

from huey import crontab

from broadsheet.periodic import periodic_task

from . import candidates


@periodic_task(crontab(minute="*"))
def warm_for_you() -> int:
    """Work out For you's shared candidates, so that no reader's page waits for them."""
    return len(candidates.refresh_pool().candidates)
