"""What the story engine reads of an article, and its publication time as a number.

Shared by the engine, the near-duplicate index and the offline run, so that all three agree
on what an article's time is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

DAY = 86400.0


@dataclass
class StoryDoc:
    """One article as the clusterer sees it. Every field but ``id`` may be None."""

    id: str
    outlet: str | None = None
    published_at: datetime | date | str | None = None
    title: str | None = None
    text: str | None = None
    url: str | None = None


def timestamp(value: datetime | date | str | None) -> float | None:
    """Seconds since the epoch (UTC) of a publication time or date; None when unknown.

    A naive time is read as UTC and a bare date as its noon, so that neither moves a story
    by a day; a string that is not an ISO time counts as unknown rather than failing.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return datetime.combine(value, time(12), tzinfo=UTC).timestamp()
