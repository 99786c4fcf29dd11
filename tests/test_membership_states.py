"""Membership states and their transitions: the trial, paying, past due, cancelling, expiring,
the words the account page shows, and the daily task that keeps stored states honest."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from broadsheet.readers import membership as transitions
from broadsheet.readers.models import Membership, User
from broadsheet.readers.tasks import expire_memberships

State = Membership.State
UTC = zoneinfo.ZoneInfo("UTC")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)



def make(email: str, **fields) -> Membership:
    user = User.objects.create_user(email, "a long enough passphrase")
    return Membership.objects.create(user=user, **fields)


# -- words (no database) -----------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "words"), [
    ({"state": State.TRIALING, "trial_ends_at": NOW + 12 * DAY}, "Free trial: 12 days left"),
    ({"state": State.TRIALING, "trial_ends_at": NOW + 11 * DAY + timedelta(hours=1)},
     "Free trial: 12 days left"),
    ({"state": State.TRIALING, "trial_ends_at": NOW + timedelta(hours=3)},
     "Free trial: 1 day left"),
    ({"state": State.TRIALING, "trial_ends_at": NOW - DAY}, "Expired: your free trial has ended"),
    ({"state": State.ACTIVE, "current_period_end": datetime(2027, 1, 3, 9, tzinfo=UTC)},
     "Member: renews 3 January 2027"),
    ({"state": State.ACTIVE, "current_period_end": datetime(2026, 12, 24, 9, tzinfo=UTC)},
     "Member: renews 24 December"),
    ({"state": State.ACTIVE}, "Member"),
    ({"state": State.CANCELLED, "current_period_end": datetime(2026, 12, 3, 9, tzinfo=UTC)},
     "Cancelled: reading until 3 December"),
    ({"state": State.CANCELLED, "current_period_end": NOW - DAY}, "Expired"),
    ({"state": State.PAST_DUE}, "Payment failed: please update your card"),
    ({"state": State.EXPIRED}, "Expired"),
])
def test_membership_in_words(fields, words):
    with timezone.override(UTC):
        assert transitions.describe(Membership(**fields), NOW) == words


def test_no_membership_in_words():
    assert transitions.describe(None, NOW) == "No membership"


def test_dates_are_shown_in_the_readers_time_zone():
    # 23:30 on 2 December in UTC is already 3 December in Sydney.
    cancelled = Membership(state=State.CANCELLED,
                           current_period_end=datetime(2026, 12, 2, 23, 30, tzinfo=UTC))
    with timezone.override(zoneinfo.ZoneInfo("Australia/Sydney")):
        assert transitions.describe(cancelled, NOW) == "Cancelled: reading until 3 December"
    with timezone.override(UTC):
        assert transitions.describe(cancelled, NOW) == "Cancelled: reading until 2 December"


@pytest.mark.parametrize(("status", "cancel_at_end", "state"), [
    ("active", False, State.ACTIVE),
    ("trialing", False, State.ACTIVE),
    ("active", True, State.CANCELLED),
    ("past_due", False, State.PAST_DUE),
    ("unpaid", False, State.EXPIRED),
    ("canceled", False, State.EXPIRED),
    ("incomplete_expired", False, State.EXPIRED),
])
@pytest.mark.django_db
def test_stripe_subscription_status_maps_to_a_state(status, cancel_at_end, state):
    membership = make("sub@example.org", state=State.TRIALING, trial_ends_at=NOW)
    end = timezone.now() + 30 * DAY
    transitions.apply_subscription(membership, transitions.SubscriptionChange(
        status=status, cancel_at_period_end=cancel_at_end, period_end=end))
    membership.refresh_from_db()
    assert membership.state == state
    assert membership.current_period_end == end


@pytest.mark.django_db
def test_incomplete_subscription_changes_nothing():
    membership = make("inc@example.org", state=State.TRIALING, trial_ends_at=NOW)
    transitions.apply_subscription(membership, transitions.SubscriptionChange(
        status="incomplete", cancel_at_period_end=False, period_end=None))
    membership.refresh_from_db()
    assert membership.state == State.TRIALING


# -- transitions --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_trial_starts_with_full_access_for_the_configured_days(settings):
    settings.TRIAL_DAYS = 9
    user = User.objects.create_user("trial@example.org", "a long enough passphrase")
    membership = transitions.start_trial(user, now=NOW)
    assert membership.state == State.TRIALING
    assert membership.trial_ends_at == NOW + 9 * DAY
    assert membership.has_access(NOW + 9 * DAY - timedelta(seconds=1))
    assert not membership.has_access(NOW + 9 * DAY)


@pytest.mark.django_db
def test_cancel_keeps_reading_until_period_end_and_resume_restores():
    end = timezone.now() + 10 * DAY
    membership = make("cancel@example.org", state=State.ACTIVE, current_period_end=end)
    assert transitions.can_cancel(membership)
    transitions.cancel(membership)
    membership.refresh_from_db()
    assert membership.state == State.CANCELLED
    assert membership.has_access(timezone.now())
    assert not membership.has_access(end)
    assert transitions.can_resume(membership)
    transitions.resume(membership)
    membership.refresh_from_db()
    assert membership.state == State.ACTIVE and membership.current_period_end == end


@pytest.mark.django_db
def test_cancelling_without_a_known_period_end_keeps_reading_for_30_days():
    membership = make("granted@example.org", state=State.ACTIVE)
    transitions.cancel(membership, now=NOW)
    membership.refresh_from_db()
    assert membership.state == State.CANCELLED
    assert membership.current_period_end == NOW + 30 * DAY
    assert membership.has_access(NOW + 29 * DAY)
    assert not membership.has_access(NOW + 30 * DAY)
    assert transitions.can_resume(membership, NOW + DAY)


@pytest.mark.django_db
def test_cancelling_without_a_period_end_during_a_trial_keeps_the_trial():
    # Paid at checkout, but Stripe's subscription details have not arrived yet.
    membership = make("early@example.org", state=State.ACTIVE, trial_ends_at=NOW + 5 * DAY,
                      stripe_subscription_id="sub_1")
    transitions.cancel(membership, now=NOW)
    membership.refresh_from_db()
    assert membership.state == State.CANCELLED
    assert membership.current_period_end == NOW + 5 * DAY


@pytest.mark.django_db
def test_trials_and_expired_memberships_cannot_be_cancelled():
    assert not transitions.can_cancel(make("t@example.org", state=State.TRIALING,
                                           trial_ends_at=timezone.now() + DAY))
    assert not transitions.can_cancel(make("e@example.org", state=State.EXPIRED))
    assert not transitions.can_cancel(None)


@pytest.mark.django_db
def test_payment_failure_keeps_access_and_payment_restores_active():
    membership = make("due@example.org", state=State.ACTIVE)
    transitions.mark_past_due(membership)
    assert membership.state == State.PAST_DUE and membership.has_access(timezone.now())
    transitions.activate(membership, period_end=NOW, customer_id="cus_1", subscription_id="sub_1")
    membership.refresh_from_db()
    assert (membership.state, membership.stripe_customer_id, membership.stripe_subscription_id) \
        == (State.ACTIVE, "cus_1", "sub_1")


@pytest.mark.django_db
def test_payment_failure_does_not_revive_an_expired_membership():
    membership = make("gone@example.org", state=State.EXPIRED)
    transitions.mark_past_due(membership)
    membership.refresh_from_db()
    assert membership.state == State.EXPIRED


@pytest.mark.django_db
def test_grant_makes_an_active_membership_without_billing():
    user = User.objects.create_user("granted2@example.org", "a long enough passphrase")
    membership = transitions.grant(user)
    assert membership.state == State.ACTIVE and membership.current_period_end is None
    assert membership.has_access(timezone.now() + 1000 * DAY)


# -- the daily task -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_daily_task_expires_ended_trials_cancellations_and_lapsed_subscriptions():
    now = timezone.now()
    ended_trial = make("a@example.org", state=State.TRIALING, trial_ends_at=now - DAY)
    trial = make("b@example.org", state=State.TRIALING, trial_ends_at=now + DAY)
    ended_cancel = make("c@example.org", state=State.CANCELLED, current_period_end=now - DAY)
    cancelled = make("d@example.org", state=State.CANCELLED, current_period_end=now + DAY)
    active = make("e@example.org", state=State.ACTIVE, current_period_end=now - DAY)
    past_due = make("f@example.org", state=State.PAST_DUE)
    # Stripe's "subscription deleted" was lost: the period ended long ago with no renewal.
    lapsed = make("g@example.org", state=State.ACTIVE, current_period_end=now - 4 * DAY)
    lapsed_due = make("h@example.org", state=State.PAST_DUE, current_period_end=now - 4 * DAY)
    granted = make("i@example.org", state=State.ACTIVE)  # no end: made by an administrator

    assert expire_memberships.call_local() == 4
    assert expire_memberships.call_local() == 0  # twice is harmless

    def state(m: Membership) -> str:
        m.refresh_from_db()
        return m.state

    assert state(ended_trial) == State.EXPIRED
    assert state(ended_cancel) == State.EXPIRED
    assert state(trial) == State.TRIALING
    assert state(cancelled) == State.CANCELLED
    assert state(active) == State.ACTIVE  # within the grace: Stripe may still be renewing
    assert state(past_due) == State.PAST_DUE
    assert state(lapsed) == State.EXPIRED
    assert state(lapsed_due) == State.EXPIRED
    assert state(granted) == State.ACTIVE


def test_daily_task_is_scheduled_once_a_day():
    from datetime import datetime as dt

    runs = [hour for hour in range(24) for minute in range(60)
            if expire_memberships.task_class().validate_datetime(dt(2026, 12, 1, hour, minute))]
    assert len(runs) == 1
