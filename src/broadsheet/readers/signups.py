"""Sign-ups that cannot be farmed: a few new accounts per client address a day, and only the
first trial of the day from an address starts at once.

An honest reader signs up and reads straight away. A second (third ...) sign-up from the same
address within a day still gets its account and its trial, but the trial starts when the reader
opens the emailed confirmation link, so a farm of throwaway accounts gets nothing to read unless
each address it types really receives mail. Past ``signups_per_address`` a day the address is
refused (HTTP 429 with ``Retry-After``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from .throttle import Attempt, signup_budget, wait_words


@dataclass(frozen=True)
class Admission:
    """A sign-up booked against its client address's daily budget (or refused)."""

    attempt: Attempt

    @property
    def allowed(self) -> bool:
        return self.attempt.allowed

    @property
    def retry_after(self) -> int:
        return self.attempt.verdict.retry_after

    @property
    def instant(self) -> bool:
        """Whether the trial starts at once (no earlier instant trial from this address today)."""
        return self.attempt.earlier < settings.SIGNIN_LIMITS["instant_trials_per_address"]

    @property
    def message(self) -> str:
        return ("Too many new accounts have been made from your network today; try again in "
                f"{wait_words(self.retry_after)}. If you already have an account, sign in.")

    def release(self) -> None:
        """Nothing was made (a refused form): the sign-up does not count."""
        self.attempt.release()


def admit(client: str) -> Admission:
    """Book a sign-up from ``client`` (call before the account is made)."""
    return Admission(signup_budget.take(client))
