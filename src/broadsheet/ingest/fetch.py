"""Fetch stage: safe HTTP GETs for feeds and article pages.

Contract (implemented below):
- ``FetchPolicy`` holds limits; ``FetchPolicy.from_settings()`` reads Django's ``settings.FETCH``.
- ``Fetcher(policy)`` is an async context manager sharing one connection pool, a global concurrency
  limit, a per-host limit and a per-host politeness delay. ``await fetcher.fetch(url, etag=...,
  last_modified=...)`` returns a ``FetchResult`` or raises ``FetchError`` with a clear message.
- ``fetch_sync(url, ...)`` runs one fetch for callers without an event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False
    user_agent: str = "Broadsheet/0.1"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    concurrency: int = 50
    per_host: int = 2
    host_delay: float = 1.0

    @classmethod
    def from_settings(cls, **overrides) -> FetchPolicy:
        from django.conf import settings

        return cls(**{**settings.FETCH, **overrides})


@dataclass
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 200, or 304 when not_modified
    headers: dict[str, str]  # lower-cased names
    body: bytes  # decoded from Content-Encoding, capped at max_bytes; b"" on 304
    fetched_at: datetime
    not_modified: bool = False
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""  # media type only, lower-case, e.g. "application/rss+xml"
    charset: str = ""  # from the Content-Type header, if given
    redirects: list[str] = field(default_factory=list)


class FetchError(Exception):
    """A fetch that failed, with a message fit to show an editor.

    ``kind`` is one of: "timeout", "connection", "dns", "blocked_address", "too_large",
    "too_many_redirects", "http_status", "bad_url", "decoding".
    """

    def __init__(self, kind: str, message: str, *, url: str = "", status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.url = url
        self.status = status
        self.retry_after = retry_after  # seconds, from a Retry-After header

    def __str__(self) -> str:
        return self.message
