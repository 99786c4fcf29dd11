"""The content generation: one number that every cached view of shared content is keyed by.

Saving what readers see (an article, a publisher, a section, a pick, an editor's action) moves
it, so pages, the front page's blocks and For you's candidates are worked out afresh on the next
request rather than after their timeout. Any app may read it; the web app moves it.
"""

from __future__ import annotations

from django.core.cache import cache

GENERATION_KEY = "web:pages:generation"


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, None)
        value = cache.get(GENERATION_KEY, 1)
    return int(value)


def bump_generation(**_signal_kwargs) -> None:
    """Make every cached view of shared content stale (connected to saves of that content)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, None)
