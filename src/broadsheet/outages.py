"""While the database, Redis or the disk is away: one clear line a minute, not a traceback per try.

When PostgreSQL restarts or Redis is unreachable, Huey's consumer logs a traceback every time it
reads the queue or the schedule (every second) and every task fails with one. The filter on the
console handler turns every such record into one line a minute per outage, naming what is away and
what happens meanwhile; Broadsheet recovers by itself when it is back (tasks wait in the queue,
sources leased by a failed check come back when their lease ends), so no operator action is
needed unless the line keeps coming. A command stopped by an outage (``broadsheet fetch`` on a
full disk) prints the same line and exits with status 75, "try again later".

Nothing here imports Django or Redis: an outage is recognised by the exception's class and text.
"""

from __future__ import annotations

import logging
import time

EVERY = 60.0  # seconds between two lines about the same outage

ADVICE = {
    "redis": "Redis is unreachable ({error}); tasks wait until it is back, nothing is lost. "
             "If this line keeps coming, check that Redis is running and REDIS_URL is right.",
    "database": "The database is unreachable ({error}); work is retried when it is back, "
                "nothing is lost. If this line keeps coming, check that PostgreSQL is running "
                "and DATABASE_URL is right.",
    "disk": "The disk under BROADSHEET_HOME is full or failing ({error}); writes wait and are "
            "retried, nothing stored is lost. Free space on that disk: work resumes by itself.",
}

_DISK = ("database or disk is full", "no space left on device", "disk i/o error")
_DATABASE = ("connection refused", "could not connect", "server closed the connection",
             "terminating connection", "connection is closed", "connection already closed",
             "the database system is shutting down", "the database system is starting up",
             "consuming input failed", "connection failed", "connection to server",
             "connection is lost", "connection lost", "connection has been closed")
_REDIS_CLASSES = {"ConnectionError", "TimeoutError", "BusyLoadingError"}


def outage_of(error: BaseException | None) -> str | None:
    """"redis", "database" or "disk" when ``error`` (or what caused it) is such an outage."""
    seen = 0
    while error is not None and seen < 10:
        kind = _kind(error)
        if kind:
            return kind
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def _kind(error: BaseException) -> str | None:
    module = type(error).__module__ or ""
    text = str(error).lower()
    if module.startswith("redis") and type(error).__name__ in _REDIS_CLASSES:
        return "redis"
    if isinstance(error, OSError) and error.errno == 28 or any(m in text for m in _DISK):
        return "disk"
    database = module.startswith(("psycopg", "django.db", "sqlite3"))
    if database and any(marker in text for marker in _DATABASE):
        return "database"
    return None


def describe(error: BaseException) -> str | None:
    """The one clear line for ``error`` when it is an outage, else None."""
    kind = outage_of(error)
    if kind is None:
        return None
    detail = " ".join(str(error).split())[:200] or type(error).__name__
    return ADVICE[kind].format(error=detail)


class OutageFilter(logging.Filter):
    """Lets through the first record of an outage each minute, rewritten as one clear line."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self.last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        kind = outage_of(error)
        if kind is None or error is None:
            return True
        now = time.monotonic()
        if now - self.last.get(kind, -EVERY) < EVERY:
            return False
        self.last[kind] = now
        record.msg, record.args = describe(error), ()
        record.exc_info, record.exc_text = None, None
        return True
