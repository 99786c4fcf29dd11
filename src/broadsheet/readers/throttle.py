"""Password-guess throttling: a few failed attempts per email address and per client address.

At most 5 failures per email address and 20 per client address in any 15 minutes; then "Too many
attempts; try again in N minutes". Sign-in, the Google Reader login, the password-change form and
the delete-account form share the sign-in budget of an address.

Attempts are rows in the database (``ThrottleAttempt``), so every web process on every machine
counts the same attempts, whatever the cache. ``Throttle.attempt`` books the attempt *before* the
password is checked, counting in one transaction that holds a lock on its keys (SQLite's write
lock; an advisory lock per key on PostgreSQL): parallel attempts are counted one after another,
so a burst of guesses gets exactly the limit, neither more nor fewer. A successful
sign-in clears the address's count (not the client's, so one account cannot be used to reset the
budget of a client guessing others).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from .models import ThrottleAttempt

MAX_FAILURES_PER_EMAIL = 5
# Higher: a household, office or mobile carrier shares one address among many readers.
MAX_FAILURES_PER_CLIENT = 20
WINDOW = 15 * 60  # seconds
# The daily task deletes attempts older than this (longer than any throttle's window).
KEEP_ATTEMPTS = timedelta(days=1)


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until another attempt is allowed

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def message(self) -> str:
        minutes = self.minutes
        return (f"Too many attempts; try again in {minutes} minute{'' if minutes == 1 else 's'}.")


@dataclass
class Attempt:
    """An attempt booked by ``Throttle.attempt``: it counts as a failure unless it is released.

    Call ``succeeded()`` when the password was right, ``release()`` when the attempt turned out
    not to be a guess at all (an empty form), and ``failed()`` (or nothing) when it was wrong.
    """

    throttle: Throttle
    email: str
    verdict: Verdict
    ids: list[int] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    def failed(self) -> None:
        """The booked rows stay: they are the failure."""
        self.ids = []

    def release(self) -> None:
        if self.ids:
            ThrottleAttempt.objects.filter(pk__in=self.ids).delete()
            self.ids = []

    def succeeded(self) -> None:
        self.release()
        self.throttle.succeeded(self.email)


class Throttle:
    """Counts failures under named scopes (e.g. "signin"), per email and per client address."""

    def __init__(self, scope: str, per_email: int = MAX_FAILURES_PER_EMAIL,
                 per_client: int = MAX_FAILURES_PER_CLIENT, window: int = WINDOW) -> None:
        self.scope = scope
        self.per_email = per_email
        self.per_client = per_client
        self.window = window

    def _keys(self, email: str, client: str) -> list[tuple[str, int]]:
        """The keys this attempt counts under, each with its limit."""
        keys = []
        if email:
            digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
            keys.append((f"{self.scope}:email:{digest}", self.per_email))
        if client:
            keys.append((f"{self.scope}:client:{client[:64]}", self.per_client))
        return keys

    def _times(self, key: str, now: float) -> list[float]:
        """Times (epoch seconds, oldest first) of the attempts under ``key`` still in the window."""
        rows = ThrottleAttempt.objects.filter(key=key, at__gt=_moment(now - self.window))
        return [moment.timestamp() for moment in rows.order_by("at").values_list("at", flat=True)]

    def _wait(self, times: list[float], limit: int, now: float) -> float:
        """Seconds until fewer than ``limit`` of ``times`` are in the window (0: allowed now)."""
        if len(times) < limit:
            return 0
        return max(1.0, times[len(times) - limit] + self.window - now)

    def check(self, email: str, client: str, now: float | None = None) -> Verdict:
        """Whether another attempt is allowed now (without booking one)."""
        now = time.time() if now is None else now
        waits = [self._wait(self._times(key, now), limit, now)
                 for key, limit in self._keys(email, client)]
        wait = max(waits, default=0)
        return Verdict(False, math.ceil(wait)) if wait else Verdict(True)

    def attempt(self, email: str, client: str, now: float | None = None) -> Attempt:
        """Book an attempt and count, under a lock: refused (not booked) past a limit."""
        now = time.time() if now is None else now
        keys = self._keys(email, client)
        with transaction.atomic():
            _lock([key for key, _ in keys])
            waits = [self._wait(self._times(key, now), limit, now) for key, limit in keys]
            if any(waits):
                return Attempt(self, email, Verdict(False, math.ceil(max(max(waits), 1))))
            ids = [ThrottleAttempt.objects.create(key=key, at=_moment(now)).pk
                   for key, _ in keys]
        return Attempt(self, email, Verdict(True), ids)

    def failed(self, email: str, client: str, now: float | None = None) -> None:
        """Record one failed attempt (or one use, for limits on sending)."""
        now = time.time() if now is None else now
        ThrottleAttempt.objects.bulk_create(
            ThrottleAttempt(key=key, at=_moment(now)) for key, _ in self._keys(email, client))

    def succeeded(self, email: str) -> None:
        """Forget the failures recorded against this address."""
        for key, _limit in self._keys(email, ""):
            ThrottleAttempt.objects.filter(key=key).delete()


def _lock(keys: list[str]) -> None:
    """Hold the keys until the transaction ends, so attempts on them are counted one at a time.

    SQLite needs nothing more: its IMMEDIATE transactions already hold the database's write lock.
    PostgreSQL takes a transaction-scoped advisory lock per key, in sorted order (no deadlock).
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(keys):
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


signin_throttle = Throttle("signin")
# Password-reset emails: a few per address and client, so the form cannot be used to flood inboxes.
reset_throttle = Throttle("reset", per_email=3, per_client=10)


def prune(now: datetime | None = None) -> int:
    """Delete attempts too old to count; returns how many (run by the daily task)."""
    now = now or datetime.now(tz=UTC)
    deleted, _ = ThrottleAttempt.objects.filter(at__lt=now - KEEP_ATTEMPTS).delete()
    return deleted


def client_address(request) -> str:
    """The client's address: the server's peer, or behind a proxy the address it appended.

    With ``BROADSHEET_BEHIND_PROXY=1`` the last entry of ``X-Forwarded-For`` is used: the one
    the proxy itself added for the client it saw (earlier entries come from the client and are
    not trusted). Without that setting ``X-Forwarded-For`` is ignored, since any client can send
    it; every client of a proxy that does not pass the address on then shares the proxy's.
    """
    from django.conf import settings

    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
