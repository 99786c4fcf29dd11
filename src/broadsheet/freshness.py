"""The content generation: one number that every cached view of shared content is keyed by.

Saving what readers see moves it, so pages, the front page's blocks and For you's candidates
are worked out afresh on the next request rather than after their timeout. Every write calls it
where it happens, by name (no signals):

- ``Article``, ``Publisher`` and ``Section`` call ``bump_generation`` from their own ``save``
  and ``delete`` (the store's upserts, the admin, the desk, commands: every path through the
  model);
- the admin's "delete selected" (a queryset delete, which skips ``Model.delete``) calls it
  through ``PagesFollowAdmin``;
- every editorial action (a pick, a story edit, a takedown) calls ``bump_now_and_after_commit``
  from ``audit.log.record``.

The bump runs inside the writer's transaction, so a cache that is away (Redis restarting) must not
fail it: that would roll back the article, publisher or section being saved. A bump that cannot
reach the cache is logged (one line a minute, see :mod:`broadsheet.outages`) and skipped; the
next bump that reaches it moves the generation past every page cached before, and nothing cached
outlives its own timeout (five minutes at most) meanwhile.

Any app may read it; of Broadsheet's own modules it imports only the outage recogniser.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction

from broadsheet.outages import outage_of

log = logging.getLogger("broadsheet.freshness")

GENERATION_KEY = "web:pages:generation"


def generation() -> int:
    """The current generation, starting at 1 in an empty cache."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, None)
        value = cache.get(GENERATION_KEY, 1)
    return int(value)


def bump_generation() -> None:
    """Make every cached view of shared content stale: what readers see has just changed.

    While the cache is unreachable the write that called this still stands (see above).
    """
    try:
        _bump()
    except Exception as error:
        if outage_of(error) is None:
            raise
        log.warning("pages could not be marked stale", exc_info=True)


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, None)


def bump_now_and_after_commit() -> None:
    """Stale now, and again once the transaction commits (a page cached meanwhile was old)."""
    bump_generation()
    transaction.on_commit(bump_generation)


class PagesFollowAdmin:
    """Admin mixin for models pages show: a bulk delete from the list makes pages stale too."""

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        """Delete the selected rows, then move the generation (the rows' own delete is skipped)."""
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        bump_generation()
