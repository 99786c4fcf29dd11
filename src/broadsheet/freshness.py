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

Any app may read it; it imports nothing of Broadsheet's.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "web:pages:generation"


def generation() -> int:
    """The current generation, starting at 1 in an empty cache."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, None)
        value = cache.get(GENERATION_KEY, 1)
    return int(value)


def bump_generation() -> None:
    """Make every cached view of shared content stale: what readers see has just changed."""
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
