"""Prometheus figures of the work Broadsheet does, counted where the work happens.

Every Broadsheet process (web server processes, the worker, a one-off ``broadsheet fetch``)
writes its counts to files in a folder in RAM (``/dev/shm/broadsheet-metrics-<hash of
$BROADSHEET_HOME>``, else ``$BROADSHEET_HOME/metrics``; prometheus_client's multiprocess
mode), and ``/metrics`` adds them up, so a scrape of any web process sees the whole machine.
The directory is chosen before prometheus_client is imported, which is why the import sits
below. The figures that live in the database or the queue (articles, stories,
pending tasks) are read at scrape time instead: see :mod:`broadsheet.ops.scrape`.

Callers use the small functions here (``fetched``, ``article_stored`` ...), never the metric
objects, so that each count is one explicit line where it happens. Nothing here imports Django.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

RAM = Path("/dev/shm")


def default_directory(home: Path, ram: Path = RAM) -> Path:
    """Where the metric files go unless PROMETHEUS_MULTIPROC_DIR says: in RAM, one folder per
    home (``/dev/shm/broadsheet-metrics-<hash of the home>``), so that a full disk under the home
    never breaks counting; ``$BROADSHEET_HOME/metrics`` where there is no /dev/shm."""
    if ram.is_dir() and os.access(ram, os.W_OK):
        digest = hashlib.sha256(str(home).encode()).hexdigest()[:12]
        return ram / f"broadsheet-metrics-{digest}"
    return home / "metrics"


def _directory() -> Path:
    """PROMETHEUS_MULTIPROC_DIR when the environment sets it, else :func:`default_directory`."""
    from broadsheet.config.env import home

    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    directory = Path(configured) if configured else default_directory(home())
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory


DIRECTORY = _directory()

from prometheus_client import Counter, Histogram  # noqa: E402 - needs the directory first

T = TypeVar("T")

# Seconds: from a fast local answer to the fetch timeouts (30 s) and slow pages.
_NETWORK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
_CPU_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_PAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

FETCHES = Counter("broadsheet_fetches", "HTTP fetches (feeds, sitemaps, article pages, "
                  "robots.txt) by result: ok, not_modified or error.", ["result"])
FETCH_ERRORS = Counter("broadsheet_fetch_errors", "Failed fetches by kind of error (timeout, "
                       "connection, dns, http_status, too_large, paused ...).", ["kind"])
FETCH_SECONDS = Histogram("broadsheet_fetch_duration_seconds", "Time of one fetch from its "
                          "first request to its answer, redirects included (not the time it "
                          "waited for its host's turn), by result.", ["result"],
                          buckets=_NETWORK_BUCKETS)
EXTRACT_SECONDS = Histogram("broadsheet_extraction_duration_seconds", "Time to extract, "
                            "sanitise and canonicalise one fetched article page.",
                            buckets=_CPU_BUCKETS)
ARTICLES_STORED = Counter("broadsheet_articles_stored", "Articles offered to the store, by "
                          "what happened: new, updated, unchanged or removed (taken down).",
                          ["result"])
STORIES_ASSIGNED = Counter("broadsheet_stories_assigned", "Articles placed in a story.")
STORIES_CREATED = Counter("broadsheet_stories_created", "Stories started by an article that "
                          "joined no existing story.")
PAGE_SECONDS = Histogram("broadsheet_page_duration_seconds", "Time to answer one web request, "
                         "by the view that answered it (its URL name, not its path).",
                         ["view"], buckets=_PAGE_BUCKETS)


class Stopwatch:
    """Started once, at the moment the timed work really begins (after any queueing)."""

    def __init__(self) -> None:
        self.started: float | None = None

    def start(self) -> None:
        if self.started is None:
            self.started = time.perf_counter()

    def seconds(self) -> float | None:
        return None if self.started is None else time.perf_counter() - self.started


def fetched(not_modified: bool, seconds: float | None) -> None:
    result = "not_modified" if not_modified else "ok"
    FETCHES.labels(result).inc()
    if seconds is not None:
        FETCH_SECONDS.labels(result).observe(seconds)


def fetch_failed(kind: str, seconds: float | None) -> None:
    FETCHES.labels("error").inc()
    FETCH_ERRORS.labels(kind).inc()
    if seconds is not None:
        FETCH_SECONDS.labels("error").observe(seconds)


def timed(function: Callable[..., T], *args: Any) -> tuple[float, T]:
    """Call ``function`` and say how long it took; runs in the page-preparing processes.

    Those processes come and go with each fetch run, so they only measure: the process that
    started them records the figure, and no metric file is left behind per short-lived process.
    """
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def extracted(seconds: float) -> None:
    EXTRACT_SECONDS.observe(seconds)


def article_stored(result: str) -> None:
    ARTICLES_STORED.labels(result).inc()


def stories_assigned(articles: int, created: int) -> None:
    STORIES_ASSIGNED.inc(articles)
    STORIES_CREATED.inc(created)


def page_answered(view: str, seconds: float) -> None:
    PAGE_SECONDS.labels(view).observe(seconds)


def forget_finished_processes(directory: Path = DIRECTORY) -> int:
    """Remove the metric files of processes that have ended; returns how many.

    Called when ``broadsheet web``, ``worker`` or ``run`` starts, so that the files do not pile
    up with every process that ever ran. The counts those processes made leave the totals then,
    which Prometheus reads as a counter reset, as after any restart.
    """
    removed = 0
    for path in directory.glob("*.db"):
        pid = path.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _running(int(pid)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
