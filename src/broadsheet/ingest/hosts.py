"""Per-host politeness: how far apart requests start, and hosts that asked us to wait.

Two layers, both keyed by origin (``scheme://host:port``, see ``robots.origin_of``):

- ``HostBook`` holds what is known about each host: a pause after it answered 429 or 503 (until
  its Retry-After, else an exponential backoff with a cap), its robots.txt Crawl-delay, and the
  moment this process reserved for its next request. It is plain data, so the pipeline can load
  it from and save it to the database between stages and every worker process sees one state.
- ``HostGates`` is the in-process machinery the fetcher waits on: at most ``per_host`` requests
  in flight per host, starts spaced by the larger of the host delay and the Crawl-delay, and no
  request at all to a paused host.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

THROTTLE_STATUSES = frozenset({429, 503})
BACKOFF_BASE = 60.0  # seconds of the first pause when the host gave no Retry-After
BACKOFF_CAP = 3600.0  # the longest pause the backoff reaches by itself
RETRY_AFTER_CAP = 86_400.0  # a Retry-After longer than a day is taken as a day


def pause_seconds(retry_after: float | None, throttles: int) -> float:
    """How long a host is left alone after its ``throttles``-th 429/503 in a row."""
    if retry_after is not None:
        return min(max(retry_after, 1.0), RETRY_AFTER_CAP)
    return min(BACKOFF_BASE * 2 ** max(throttles - 1, 0), BACKOFF_CAP)


@dataclass
class HostState:
    origin: str
    paused_until: datetime | None = None
    pause_reason: str = ""  # e.g. "HTTP 429 Too Many Requests"
    throttles: int = 0  # 429/503 answers in a row, for the backoff
    crawl_delay: float = 0.0  # from robots.txt
    not_before: datetime | None = None  # this process's reserved start of its next request
    last_request: datetime | None = None  # when this process last started a request to it
    changed: bool = False  # pause or throttle count to be saved for the other processes

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until


class HostPaused(Exception):  # noqa: N818 - reads as a state, like TimeoutError's cousins
    """A request was not sent because its host asked us to wait."""

    def __init__(self, state: HostState, now: datetime) -> None:
        assert state.paused_until is not None
        super().__init__(state.origin)
        self.state = state
        self.seconds = max(0.0, (state.paused_until - now).total_seconds())


class HostBook:
    """What this process knows about each host's politeness; merged with the shared store."""

    def __init__(self) -> None:
        self._hosts: dict[str, HostState] = {}

    def get(self, origin: str) -> HostState | None:
        return self._hosts.get(origin)

    def state(self, origin: str) -> HostState:
        found = self._hosts.get(origin)
        if found is None:
            found = self._hosts[origin] = HostState(origin)
        return found

    def pause(self, origin: str, now: datetime) -> HostState | None:
        """The host's state when it is paused now, else None."""
        found = self._hosts.get(origin)
        return found if found is not None and found.paused(now) else None

    def throttled(self, origin: str, status: int, reason: str, retry_after: float | None,
                  now: datetime) -> HostState:
        """The host answered 429 or 503: pause it (never shortening a pause already set)."""
        state = self.state(origin)
        state.throttles += 1
        until = now + timedelta(seconds=pause_seconds(retry_after, state.throttles))
        if state.paused_until is None or until > state.paused_until:
            state.paused_until = until
        state.pause_reason = reason or f"HTTP {status}"
        state.changed = True
        return state

    def answered(self, origin: str) -> None:
        """A normal answer: the backoff starts again from the beginning next time."""
        state = self._hosts.get(origin)
        if state is not None and state.throttles:
            state.throttles = 0
            state.changed = True

    def merge(self, shared: Iterable[HostState]) -> None:
        """Take in the shared store's view: the later pause and the larger delay win."""
        for other in shared:
            state = self.state(other.origin)
            if other.paused_until and (state.paused_until is None
                                       or other.paused_until > state.paused_until):
                state.paused_until, state.pause_reason = other.paused_until, other.pause_reason
            if not state.changed:
                state.throttles = other.throttles
            state.crawl_delay = max(state.crawl_delay, other.crawl_delay)

    def changed(self) -> list[HostState]:
        return [state for state in self._hosts.values() if state.changed]

    def saved(self, states: Iterable[HostState]) -> None:
        for state in states:
            state.changed = False


class HostSlot:
    """One host's in-flight limit, the gate that spaces its request starts, and its users."""

    __slots__ = ("sem", "gate", "last_start", "delay", "users")

    def __init__(self, per_host: int) -> None:
        self.sem = asyncio.Semaphore(max(1, per_host))
        self.gate = asyncio.Lock()
        self.last_start = -math.inf
        self.delay = 0.0
        self.users = 0


class HostGates:
    """In-process per-host limits; ``book`` adds pauses, Crawl-delays and reserved starts."""

    def __init__(self, per_host: int, host_delay: float, book: HostBook | None = None) -> None:
        self.per_host = per_host
        self.host_delay = host_delay
        self.book = book if book is not None else HostBook()
        self._slots: dict[str, HostSlot] = {}
        self._done_since_sweep = 0

    def enter(self, origin: str) -> HostSlot:
        slot = self._slots.get(origin)
        if slot is None:
            slot = self._slots[origin] = HostSlot(self.per_host)
        slot.users += 1
        return slot

    def leave(self, origin: str, slot: HostSlot) -> None:
        slot.users -= 1
        self._tidy(origin, slot)

    def refuse_if_paused(self, origin: str) -> None:
        now = datetime.now(UTC)
        paused = self.book.pause(origin, now)
        if paused is not None:
            raise HostPaused(paused, now)

    async def start(self, origin: str, slot: HostSlot,
                    take_global: Callable[[], Awaitable[object]]) -> None:
        """Wait for this host's turn, then take a global slot (the caller releases it).

        Only this host's requests queue at its gate; a host waiting out its delay holds no
        global slot, so it never slows unrelated hosts. Raises HostPaused instead of waiting
        when the host asked for a pause.
        """
        loop = asyncio.get_running_loop()
        async with slot.gate:
            self.refuse_if_paused(origin)
            state = self.book.get(origin)
            slot.delay = max(self.host_delay, state.crawl_delay if state else 0.0)
            ready = slot.last_start + slot.delay
            if state is not None and state.not_before is not None:
                ahead = (state.not_before - datetime.now(UTC)).total_seconds()
                ready = max(ready, loop.time() + ahead)
            if ready > loop.time():
                await asyncio.sleep(ready - loop.time())
                self.refuse_if_paused(origin)  # another request may have been told to wait
            await take_global()
            slot.last_start = loop.time()
            if state is not None and state.crawl_delay > 0:
                # Shared, so that a worker coming after this one keeps the Crawl-delay too.
                state.last_request, state.changed = datetime.now(UTC), True

    def _tidy(self, origin: str, slot: HostSlot) -> None:
        """Forget hosts nobody is using and whose delay has passed, so the table stays small."""
        now = asyncio.get_running_loop().time()
        if slot.users == 0 and now >= slot.last_start + slot.delay \
                and self._slots.get(origin) is slot:
            del self._slots[origin]
        self._done_since_sweep += 1
        if self._done_since_sweep >= 1024:
            self._done_since_sweep = 0
            for key, other in list(self._slots.items()):
                if other.users == 0 and now >= other.last_start + other.delay:
                    del self._slots[key]
