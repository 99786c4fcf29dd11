"""Membership transitions: small functions shared by the account pages, Stripe webhooks, the
``broadsheet users`` command and the daily expiry task.

States::

    trialing --(trial ends)--------------------------------> expired
    trialing --(checkout completed)------------------------> active
    active   --(payment fails)------------------------------> past_due --(paid)--> active
    active   --(reader cancels: reads until period end)----> cancelled --(resume)--> active
    cancelled --(period ends)-------------------------------> expired
    any      --(subscription deleted / ended)---------------> expired
    expired  --(checkout completed again)-------------------> active

Access is always computed from time by ``Membership.has_access`` (so a trial ends on the minute even
before the daily task runs); these functions keep the stored state honest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeGuard

from django.conf import settings
from django.db.models import Q
from django.utils import dateformat, timezone

from .models import Membership, User

State = Membership.State

# Cancelling a membership whose period end is unknown keeps access this long (about a month).
UNKNOWN_PERIOD_GRACE = timedelta(days=30)
# A paying membership whose period ended this long ago without word from Stripe (a lost
# "subscription deleted" webhook) is expired by the daily task.
LAPSED_GRACE = timedelta(days=3)


def start_trial(user: User, now: datetime | None = None, days: int | None = None, *,
                awaits_confirmation: bool = False) -> Membership:
    """Start the free trial that sign-up gives: full access at once for ``TRIAL_DAYS`` days.

    With ``awaits_confirmation`` (a repeat trial from one address) access waits for the emailed
    confirmation link, and the trial's days are counted from then (``confirm_trial``).
    """
    now = now or timezone.now()
    days = settings.TRIAL_DAYS if days is None else days
    membership, _ = Membership.objects.update_or_create(
        user=user,
        defaults={"state": State.TRIALING, "trial_ends_at": now + timedelta(days=days),
                  "awaits_confirmation": awaits_confirmation},
    )
    return membership


def confirm_trial(user: User, now: datetime | None = None) -> bool:
    """The reader confirmed their address: a trial that waited for it starts now, in full.

    Returns whether a trial started.
    """
    membership = membership_of(user)
    if membership is None or not membership.awaits_confirmation:
        return False
    membership.awaits_confirmation = False
    started = membership.state == State.TRIALING
    if started:
        now = now or timezone.now()
        membership.trial_ends_at = now + timedelta(days=settings.TRIAL_DAYS)
    membership.save()
    return started


def membership_of(user: User) -> Membership | None:
    """The user's membership, or None (staff made with createsuperuser have none)."""
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def grant(user: User) -> Membership:
    """An active membership without billing (made by an administrator or the command line)."""
    membership, _ = Membership.objects.get_or_create(user=user)
    membership.state = State.ACTIVE
    membership.current_period_end = None
    membership.save()
    return membership


def activate(membership: Membership, *, period_end: datetime | None = None,
             customer_id: str = "", subscription_id: str = "") -> Membership:
    """A paid subscription starts (or is paid again after a failure)."""
    membership.state = State.ACTIVE
    if subscription_id and subscription_id != membership.stripe_subscription_id:
        membership.current_period_end = None  # the old subscription's period says nothing now
    if period_end is not None:
        membership.current_period_end = period_end
    if customer_id:
        membership.stripe_customer_id = customer_id
    if subscription_id:
        membership.stripe_subscription_id = subscription_id
    membership.save()
    return membership


def mark_past_due(membership: Membership) -> Membership:
    """A payment failed: the reader keeps reading while the payment is retried."""
    if membership.state != State.EXPIRED:
        membership.state = State.PAST_DUE
        membership.save()
    return membership


def can_cancel(membership: Membership | None) -> TypeGuard[Membership]:
    return membership is not None and membership.state in (State.ACTIVE, State.PAST_DUE)


def can_resume(membership: Membership | None, now: datetime | None = None,
               ) -> TypeGuard[Membership]:
    now = now or timezone.now()
    return (membership is not None and membership.state == State.CANCELLED
            and membership.current_period_end is not None and now < membership.current_period_end)


def cancel(membership: Membership, *, period_end: datetime | None = None,
           now: datetime | None = None) -> Membership:
    """Cancel at the end of the paid period: reading continues until then.

    When no period end is known (a membership made by an administrator, or a Stripe member whose
    subscription details have not arrived yet), reading continues until the end of a running
    trial, else for ``UNKNOWN_PERIOD_GRACE``: never less than the reader may have paid for.
    """
    now = now or timezone.now()
    if period_end is not None:
        membership.current_period_end = period_end
    if membership.current_period_end is None:
        trial_end = membership.trial_ends_at
        membership.current_period_end = (trial_end if trial_end is not None and trial_end > now
                                          else now + UNKNOWN_PERIOD_GRACE)
    membership.state = State.CANCELLED if membership.current_period_end > now else State.EXPIRED
    membership.save()
    return membership


def resume(membership: Membership) -> Membership:
    """Undo a cancellation before the period ends: the subscription renews again."""
    membership.state = State.ACTIVE
    membership.save()
    return membership


def expire(membership: Membership) -> Membership:
    membership.state = State.EXPIRED
    membership.save()
    return membership


def expire_due(now: datetime | None = None) -> int:
    """Expire ended trials, cancelled memberships past their period, and active or past-due
    memberships more than ``LAPSED_GRACE`` past a known period end; returns how many.

    The last is a backstop: Stripe renews a subscription by moving its period end, so a period
    long over means the renewal and the "subscription deleted" event were both lost. An active
    membership without a period end (made by an administrator) never lapses.
    """
    now = now or timezone.now()
    ended = (Q(state=State.TRIALING) & (Q(trial_ends_at__lte=now) | Q(trial_ends_at__isnull=True))
             | Q(state=State.CANCELLED) & (Q(current_period_end__lte=now)
                                           | Q(current_period_end__isnull=True))
             | Q(state__in=[State.ACTIVE, State.PAST_DUE],
                 current_period_end__lt=now - LAPSED_GRACE))
    return Membership.objects.filter(ended).update(state=State.EXPIRED, updated_at=now)


@dataclass(frozen=True)
class SubscriptionChange:
    """What a Stripe subscription says about a membership (see ``apply_subscription``)."""

    status: str  # Stripe's: active, trialing, past_due, canceled, unpaid, incomplete, ...
    cancel_at_period_end: bool
    period_end: datetime | None


def apply_subscription(membership: Membership, change: SubscriptionChange) -> Membership:
    """Bring a membership in line with its Stripe subscription."""
    if change.period_end is not None:
        membership.current_period_end = change.period_end
    status = change.status
    if status in ("active", "trialing"):
        membership.state = State.CANCELLED if change.cancel_at_period_end else State.ACTIVE
    elif status == "past_due":
        membership.state = State.PAST_DUE
    elif status in ("canceled", "unpaid", "incomplete_expired"):
        membership.state = State.EXPIRED
    # "incomplete" and "paused" leave the state as it is: nothing has been paid yet or it is on hold
    membership.save()
    return membership


def describe(membership: Membership | None, now: datetime | None = None) -> str:
    """The membership in words; dates in the current time zone (activate the reader's first)."""
    now = now or timezone.now()
    if membership is None:
        return "No membership"
    state = membership.state
    if state == State.TRIALING:
        if membership.awaits_confirmation:
            return "Free trial: starts when you confirm your email address"
        if membership.trial_ends_at is None or now >= membership.trial_ends_at:
            return "Expired: your free trial has ended"
        days = math.ceil((membership.trial_ends_at - now).total_seconds() / 86400)
        return f"Free trial: {days} day{'' if days == 1 else 's'} left"
    if state == State.ACTIVE:
        if membership.current_period_end and now < membership.current_period_end:
            return f"Member: renews {_day(membership.current_period_end, now)}"
        return "Member"
    if state == State.PAST_DUE:
        return "Payment failed: please update your card"
    if state == State.CANCELLED:
        if membership.current_period_end and now < membership.current_period_end:
            return f"Cancelled: reading until {_day(membership.current_period_end, now)}"
        return "Expired"
    return "Expired"


def _day(moment: datetime, now: datetime) -> str:
    local = timezone.localtime(moment)
    text = dateformat.format(local, "j F")
    return text if local.year == timezone.localtime(now).year else f"{text} {local.year}"
