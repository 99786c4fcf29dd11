"""The plain records the poll hands from stage to stage.

``SourceJob`` is a source as the stages see it (``sources.state`` builds it from the database).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SourceJob:
    id: int
    url: str
    kind: str  # "feed" or "sitemap"
    publisher_id: int
    publisher_name: str
    section: str = ""
    language: str = ""
    etag: str = ""
    last_modified: str = ""
    interval_seconds: int = 3600
    consecutive_errors: int = 0
    feed_only: bool = False  # the publisher's article pages are never fetched
