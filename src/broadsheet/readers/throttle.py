"""Sign-in throttling: a few failed attempts per email address and per client address per window.

At most 5 failures per email address and 20 per client address in 15 minutes; then "Too many
attempts; try again in N minutes".

Counters live in Django's cache (local memory on one machine, Redis on many), so every web process
shares them when Redis is configured. A window opens at the first failure and closes ``WINDOW``
seconds later; a successful sign-in clears the address's counter (not the client's, so one account
cannot be used to reset the budget of a client guessing others).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

MAX_FAILURES_PER_EMAIL = 5
# Higher: a household, office or mobile carrier shares one address among many readers.
MAX_FAILURES_PER_CLIENT = 20
WINDOW = 15 * 60  # seconds


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the oldest window closes

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))

    @property
    def message(self) -> str:
        minutes = self.minutes
        return (f"Too many attempts; try again in {minutes} minute{'' if minutes == 1 else 's'}.")


class Throttle:
    """Counts failures under named keys (e.g. "signin"), per email and per client address."""

    def __init__(self, scope: str, per_email: int = MAX_FAILURES_PER_EMAIL,
                 per_client: int = MAX_FAILURES_PER_CLIENT, window: int = WINDOW) -> None:
        self.scope = scope
        self.per_email = per_email
        self.per_client = per_client
        self.window = window

    def _keys(self, email: str, client: str) -> list[tuple[str, int]]:
        """The cache keys this attempt counts under, each with its limit."""
        keys = []
        if email:
            digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
            keys.append((f"throttle:{self.scope}:email:{digest}", self.per_email))
        if client:
            keys.append((f"throttle:{self.scope}:client:{client}", self.per_client))
        return keys

    def check(self, email: str, client: str, now: float | None = None) -> Verdict:
        """Whether another attempt is allowed now."""
        now = time.time() if now is None else now
        waits = []
        for key, limit in self._keys(email, client):
            record = cache.get(key)
            if record is None:
                continue
            started, failures = record
            ends = started + self.window
            if failures >= limit and now < ends:
                waits.append(ends - now)
        if waits:
            return Verdict(False, math.ceil(max(waits)))
        return Verdict(True)

    def failed(self, email: str, client: str, now: float | None = None) -> None:
        """Record one failed attempt (or one use, for limits on sending)."""
        now = time.time() if now is None else now
        for key, _limit in self._keys(email, client):
            record = cache.get(key)
            if record is None or now >= record[0] + self.window:
                record = (now, 0)
            started, failures = record
            remaining = max(1, math.ceil(started + self.window - now))
            cache.set(key, (started, failures + 1), remaining)

    def succeeded(self, email: str) -> None:
        """Forget the failures recorded against this address."""
        for key, _limit in self._keys(email, ""):
            cache.delete(key)


signin_throttle = Throttle("signin")
# Password-reset emails: a few per address and client, so the form cannot be used to flood inboxes.
reset_throttle = Throttle("reset", per_email=3, per_client=10)


def client_address(request) -> str:
    """The client's address as the server saw it.

    ``X-Forwarded-For`` is not trusted: any client can send it. Behind a reverse proxy that does
    not pass the client's address on as REMOTE_ADDR, all clients share the proxy's budget; the
    per-address limit holds either way.
    """
    return request.META.get("REMOTE_ADDR", "") or "unknown"
