"""Password-guess throttling that an attacker cannot turn against an account's owner.

Failures are counted per client address and per account-and-address, never per account alone,
so guesses from elsewhere never lock the owner out:

- one address guessing one account gets ``free_failures`` (5) failures, then every further
  attempt waits twice as long as the one before after the latest failure (2, 4, 8 ... seconds),
  up to ``max_delay`` (15 minutes); failures are remembered for a day;
- one address guessing many accounts (credential stuffing) gets ``per_address`` (20) failures
  in any 15 minutes, then waits until the oldest of them is 15 minutes old.

A refused attempt is answered "Too many attempts; try again in N minutes" (HTTP 429 with
``Retry-After``). Every password door shares these rules (web sign-in, the admin login, the
Google Reader login, the password-change and delete-account forms); password-reset requests use
the same rules under their own scope. The limits are settings (``settings.SIGNIN_LIMITS``).

Attempts are rows in the database (``ThrottleAttempt``), so every web process on every machine
counts the same attempts, whatever the cache. ``Throttle.attempt`` books the attempt *before* the
password is checked, counting in one transaction that holds a lock on its keys (SQLite's write
lock; an advisory lock per key on PostgreSQL): parallel attempts are counted one after another,
so a burst of guesses gets exactly the limit, neither more nor fewer. A successful sign-in clears
the failures of that account from that address (not the address's own count, so one account
cannot be used to reset the budget of a client guessing others).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from .models import ThrottleAttempt

# The per-address ceiling counts failures in this window (seconds).
WINDOW = 15 * 60
# Failures of one account from one address are remembered this long (then the delays restart);
# the daily task deletes attempts older than this (longer than any throttle's window).
KEEP_ATTEMPTS = timedelta(days=1)
MEMORY = int(KEEP_ATTEMPTS.total_seconds())


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
        return f"Too many attempts; try again in {wait_words(self.retry_after)}."


def wait_words(seconds: int) -> str:
    """"12 seconds", "1 minute", "15 minutes", "3 hours": how long, in words a reader expects."""
    if seconds < 60:
        count, unit = max(1, seconds), "second"
    elif seconds <= 90 * 60:
        count, unit = math.ceil(seconds / 60), "minute"
    else:
        count, unit = math.ceil(seconds / 3600), "hour"
    return f"{count} {unit}{'' if count == 1 else 's'}"


@dataclass
class Attempt:
    """An attempt booked by ``Throttle.attempt``: it counts as a failure unless it is released.

    Call ``succeeded()`` when the password was right, ``release()`` when the attempt turned out
    not to be a guess at all (an empty form), and ``failed()`` (or nothing) when it was wrong.
    """

    throttle: Throttle | None  # None: a budget's use, which nothing clears
    email: str
    client: str
    verdict: Verdict
    ids: list[int] = field(default_factory=list)
    earlier: int = 0  # uses already counted when this one was booked (budgets)

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
        if self.throttle is not None:
            self.throttle.succeeded(self.email, self.client)


@dataclass(frozen=True)
class Rule:
    """One key an attempt counts under, and how its past attempts make the next one wait."""

    key: str
    limit: int  # attempts before waiting starts
    window: int  # seconds an attempt is remembered
    backoff: int = 0  # 0: wait until an attempt leaves the window; else the cap of a doubling wait

    def wait(self, times: list[float], now: float) -> float:
        """Seconds until the next attempt is allowed (0: now), given the times in the window."""
        if len(times) < self.limit:
            return 0
        if self.backoff:
            delay = min(self.backoff, 2 ** min(len(times) - self.limit + 1, 30))
            return max(0.0, times[-1] + delay - now)
        return max(1.0, times[len(times) - self.limit] + self.window - now)


def _digest(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:32]


class Throttle:
    """Counts failed attempts under a named scope (e.g. "signin"), by the rules above.

    Limits left as None are read from ``settings.SIGNIN_LIMITS`` on each attempt, so a changed
    setting (or a test's) takes effect without a restart.
    """

    def __init__(self, scope: str, *, free_failures: int | None = None,
                 max_delay: int | None = None, per_address: int | None = None,
                 window: int = WINDOW) -> None:
        self.scope = scope
        self._free_failures = free_failures
        self._max_delay = max_delay
        self._per_address = per_address
        self.window = window

    def _limit(self, given: int | None, name: str) -> int:
        return given if given is not None else settings.SIGNIN_LIMITS[name]

    @property
    def free_failures(self) -> int:
        return self._limit(self._free_failures, "free_failures")

    @property
    def max_delay(self) -> int:
        return self._limit(self._max_delay, "max_delay")

    @property
    def per_address(self) -> int:
        return self._limit(self._per_address, "per_address")

    def _pair_key(self, email: str, client: str) -> str:
        return f"{self.scope}:pair:{_digest(email)}:{client[:64]}"

    def rules(self, email: str, client: str) -> list[Rule]:
        """The keys this attempt counts under, each with its limit."""
        rules = []
        if client:
            rules.append(Rule(f"{self.scope}:client:{client[:64]}", self.per_address,
                              self.window))
        if email and client:
            rules.append(Rule(self._pair_key(email, client), self.free_failures, MEMORY,
                              backoff=max(1, self.max_delay)))
        return rules

    def check(self, email: str, client: str, now: float | None = None) -> Verdict:
        """Whether another attempt is allowed now (without booking one)."""
        now = time.time() if now is None else now
        return _verdict(self.rules(email, client), now)

    def attempt(self, email: str, client: str, now: float | None = None) -> Attempt:
        """Book an attempt and count, under a lock: refused (not booked) past a limit."""
        now = time.time() if now is None else now
        rules = self.rules(email, client)
        with transaction.atomic():
            _lock([rule.key for rule in rules])
            verdict = _verdict(rules, now)
            if not verdict.allowed:
                return Attempt(self, email, client, verdict)
            ids = [ThrottleAttempt.objects.create(key=rule.key, at=_moment(now)).pk
                   for rule in rules]
        return Attempt(self, email, client, verdict, ids)

    def failed(self, email: str, client: str, now: float | None = None) -> None:
        """Record one failed attempt without checking first."""
        now = time.time() if now is None else now
        ThrottleAttempt.objects.bulk_create(
            ThrottleAttempt(key=rule.key, at=_moment(now)) for rule in self.rules(email, client))

    def succeeded(self, email: str, client: str) -> None:
        """Forget this account's failures from this address (the address's own count stays)."""
        if email and client:
            ThrottleAttempt.objects.filter(key=self._pair_key(email, client)).delete()


def _times(rule: Rule, now: float) -> list[float]:
    """Times (epoch seconds, oldest first) of the attempts under the rule's key in its window."""
    rows = ThrottleAttempt.objects.filter(key=rule.key, at__gt=_moment(now - rule.window))
    return [moment.timestamp() for moment in rows.order_by("at").values_list("at", flat=True)]


def _verdict(rules: list[Rule], now: float) -> Verdict:
    wait = max((rule.wait(_times(rule, now), now) for rule in rules), default=0)
    return Verdict(False, max(1, math.ceil(wait))) if wait > 0 else Verdict(True)


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


class Budget:
    """A number of uses per key in a window (sign-ups per address, emails per recipient).

    Unlike a sign-in throttle nothing clears it: every use counts until it leaves the window.
    """

    def __init__(self, scope: str, setting: str, window: int, *, hashed: bool = True) -> None:
        self.scope = scope
        self.setting = setting
        self.window = window
        self.hashed = hashed  # email addresses are kept as digests; client addresses as they are

    @property
    def limit(self) -> int:
        return settings.SIGNIN_LIMITS[self.setting]

    def rule(self, name: str) -> Rule:
        return Rule(f"{self.scope}:{_digest(name) if self.hashed else name[:64]}", self.limit,
                    self.window)

    def used(self, name: str, now: float | None = None) -> int:
        """Uses under ``name`` still in the window."""
        now = time.time() if now is None else now
        return len(_times(self.rule(name), now))

    def take(self, name: str, now: float | None = None) -> Attempt:
        """Book one use under a lock: refused (not booked) when the budget is spent."""
        now = time.time() if now is None else now
        rule = self.rule(name)
        with transaction.atomic():
            _lock([rule.key])
            times = _times(rule, now)
            wait = rule.wait(times, now)
            if wait > 0:
                return Attempt(None, name, "", Verdict(False, max(1, math.ceil(wait))),
                               earlier=len(times))
            row = ThrottleAttempt.objects.create(key=rule.key, at=_moment(now))
        return Attempt(None, name, "", Verdict(True), [row.pk], earlier=len(times))


signin_throttle = Throttle("signin")
# Password-reset requests: the sign-in rules under their own scope, so asking for a reset link
# never spends a reader's sign-in attempts (the emails themselves have ``email_budget``).
reset_throttle = Throttle("reset")
# Account emails (welcome, confirmation, password reset) to one address in an hour.
email_budget = Budget("mail", "emails_per_address", 3600)
# New accounts made from one client address in a day.
signup_budget = Budget("signup", "signups_per_address", 24 * 3600, hashed=False)


def prune(now: datetime | None = None) -> int:
    """Delete attempts too old to count; returns how many (run by the daily task)."""
    now = now or datetime.now(tz=UTC)
    deleted, _ = ThrottleAttempt.objects.filter(at__lt=now - KEEP_ATTEMPTS).delete()
    return deleted


def client_address(request) -> str:
    """The client's address, as the key its attempts are counted under.

    Directly reached, that is REMOTE_ADDR; ``X-Forwarded-For`` is not trusted, since any client
    can send it. With ``BROADSHEET_BEHIND_PROXY=1`` it is the last address in
    ``X-Forwarded-For``: the one the reverse proxy appended (earlier ones came from the client).
    IPv6 addresses count by their /64 network, which one subscriber usually holds whole.
    """
    address = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        address = forwarded or address
    return _network(address) or "unknown"


def _network(address: str) -> str:
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
