"""Polite page fetching: robots.txt, hosts that asked us to wait, and Crawl-delay windows.

The pipeline asks this module, between its stages, what to do with each article page:

- ``before_feeds(urls)``: take in what other workers learnt about the feeds' hosts (pauses after
  429/503, Crawl-delays), so no feed goes to a host that asked everyone to wait;
- ``judge(urls)``: a ``Verdict`` per page: fetch it, keep the article from its feed (robots.txt
  disallows the page), or wait for a later check (the host is paused, or its robots.txt could
  not be read, which RFC 9309 says counts as "disallow everything for now");
- ``reserve(counts)``: hand out Crawl-delay windows, so that several workers together keep the
  host's spacing; pages beyond ``WAIT_LIMIT`` seconds of waiting are left for a later check;
- ``save()``: write the pauses and backoff learnt for the other workers.

robots.txt files are fetched at most once a day per host for all workers: this process keeps
them in memory, and the ``SharedHosts`` store (the database) keeps them for everyone. Feeds are
not checked against robots.txt: a feed is the publisher's own invitation to read it, and the
operator chose to subscribe to it; only article pages found through it are.

Nothing here touches Django: the shared store is handed in.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from . import robots
from .fetch import Fetcher, FetchError
from .hosts import HostBook, HostState
from .robots import RobotsFile, host_of, origin_of

WAIT_LIMIT = 300.0  # seconds of Crawl-delay windows one run takes on a host; the rest waits
FEED_ONLY_NOTICE = "Feed only: article pages are not fetched; articles come from the feed"
PAUSE_MARK = "asked Broadsheet to wait"  # in every notice about a paused host


class SharedHosts(Protocol):
    """Where workers share host state (the database in Broadsheet)."""

    def load(self, origins: Iterable[str]) -> tuple[list[RobotsFile], list[HostState]]: ...

    def save_robots(self, files: list[RobotsFile]) -> None: ...

    def save_states(self, states: list[HostState]) -> None: ...

    def reserve(self, origin: str, delay: float, wanted: int, now: datetime,
                horizon: float) -> tuple[datetime, int]: ...


@dataclass(frozen=True)
class Verdict:
    action: str  # "fetch", "feed" (keep the article as the feed carries it) or "wait"
    notice: str = ""  # what the source's status says about it
    until: datetime | None = None  # "wait": the earliest time worth trying again


FETCH = Verdict("fetch")


def when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def pause_notice(state: HostState) -> str:
    until = when(state.paused_until) if state.paused_until else "later"
    return (f"{host_of(state.origin)} {PAUSE_MARK} ({state.pause_reason}): "
            f"nothing is fetched from it until {until}")


class Politeness:
    """One pipeline's politeness stage; ``run`` runs a coroutine on the pipeline's event loop."""

    def __init__(self, fetcher: Fetcher, run: Callable[[Coroutine[Any, Any, Any]], Any],
                 shared: SharedHosts | None = None,
                 memory: robots.RobotsMemory = robots.memory) -> None:
        self.fetcher = fetcher
        self.book: HostBook = fetcher.gates.book
        self.run = run
        self.shared = shared
        self.memory = memory
        self.host_delay = fetcher.policy.host_delay

    # -- before the feeds --------------------------------------------------------------------

    def before_feeds(self, urls: Iterable[str]) -> None:
        """Learn the shared pauses and Crawl-delays of these feeds' hosts."""
        if self.shared is None:
            return
        now = datetime.now(UTC)
        files, states = self.shared.load({origin_of(url) for url in urls})
        self.book.merge(states)
        for file in files:
            if not file.expired(now):
                self._know(file)

    # -- article pages ----------------------------------------------------------------------

    def judge(self, urls: Iterable[str]) -> dict[str, Verdict]:
        """What to do with each page URL; fetches the robots.txt files it needs first."""
        urls = list(dict.fromkeys(urls))
        now = datetime.now(UTC)
        origins = {origin_of(url) for url in urls}
        shared_files: list[RobotsFile] = []
        if self.shared is not None and origins:
            shared_files, states = self.shared.load(origins)
            self.book.merge(states)
        live = {origin for origin in origins if self.book.pause(origin, now) is None}
        files = self._robots_files(live, shared_files, now)
        verdicts: dict[str, Verdict] = {}
        for url in urls:
            origin = origin_of(url)
            paused = self.book.pause(origin, now)
            if paused is not None:
                verdicts[url] = Verdict("wait", pause_notice(paused), paused.paused_until)
            else:
                verdicts[url] = self._by_robots(url, files[origin])
        return verdicts

    def reserve(self, counts: dict[str, int]) -> dict[str, int]:
        """Crawl-delay windows: how many of each origin's pages may be fetched in this run."""
        now = datetime.now(UTC)
        granted: dict[str, int] = {}
        for origin, wanted in counts.items():
            state = self.book.get(origin)
            delay = state.crawl_delay if state is not None else 0.0
            if delay <= self.host_delay or wanted <= 0:
                granted[origin] = wanted
                continue
            if self.shared is None:
                granted[origin] = min(wanted, 1 + math.floor(WAIT_LIMIT / delay))
                continue
            start, granted[origin] = self.shared.reserve(origin, delay, wanted, now, WAIT_LIMIT)
            self.book.state(origin).not_before = start
        return granted

    def delay_notice(self, origin: str, waiting: int) -> str:
        state = self.book.get(origin)
        delay = state.crawl_delay if state is not None else 0.0
        return (f"robots.txt asks for {delay:g} s between requests to {host_of(origin)}: "
                f"{waiting} article pages wait for a later check")

    def save(self) -> None:
        """Share the pauses and backoff this process learnt."""
        changed = self.book.changed()
        if changed and self.shared is not None:
            self.shared.save_states(changed)
        self.book.saved(changed)

    # -- robots.txt -------------------------------------------------------------------------

    def _by_robots(self, url: str, file: RobotsFile) -> Verdict:
        host = host_of(file.origin)
        if not file.reachable:
            return Verdict("wait", f"robots.txt on {host} could not be read ({file.error}): "
                                   "article pages wait until it can", file.expires_at)
        if not file.allows(url):
            return Verdict("feed", f"robots.txt disallows article pages on {host}: "
                                   "articles kept from the feed")
        return FETCH

    def _robots_files(self, origins: set[str], shared: list[RobotsFile],
                      now: datetime) -> dict[str, RobotsFile]:
        """Each origin's robots.txt: from memory, else the shared store, else the host itself."""
        found = {o: f for o in origins if (f := self.memory.get(o, now)) is not None}
        previous: dict[str, RobotsFile | None] = {}
        for file in shared:
            if file.origin not in origins or file.origin in found:
                continue
            if file.expired(now):
                previous[file.origin] = file
            else:
                found[file.origin] = file
        missing = origins - found.keys()
        if missing:
            for origin in missing:
                previous.setdefault(origin, self.memory.stale(origin))
            fetched = self.run(self._fetch_all(sorted(missing), previous))
            if self.shared is not None:
                self.shared.save_robots(fetched)
            found.update((file.origin, file) for file in fetched)
        for file in found.values():
            self._know(file)
        return found

    def _know(self, file: RobotsFile) -> None:
        self.memory.put(file)
        self.book.state(file.origin).crawl_delay = file.crawl_delay

    async def _fetch_all(self, origins: list[str],
                         previous: dict[str, RobotsFile | None]) -> list[RobotsFile]:
        return list(await asyncio.gather(
            *(self._fetch_one(origin, previous.get(origin)) for origin in origins)))

    async def _fetch_one(self, origin: str, previous: RobotsFile | None) -> RobotsFile:
        try:
            result = await self.fetcher.fetch(robots.robots_url(origin))
        except FetchError as error:
            now = datetime.now(UTC)
            status = error.status or 0
            if error.kind == "http_status" and 400 <= status < 500 and status != 429:
                return robots.from_response(origin, status, b"", now)  # no rules: allow all
            retry = timedelta(seconds=error.retry_after) if error.retry_after else \
                robots.RETRY_UNREACHABLE
            return robots.unreachable(origin, status, error.message, now, previous, retry)
        return robots.from_response(origin, result.status, result.body, datetime.now(UTC))
