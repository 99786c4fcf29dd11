"""Stripe webhooks: payloads in Stripe's documented event format, signed exactly as Stripe signs
them (``Stripe-Signature: t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>">``)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from broadsheet.readers.models import Membership, StripeEvent, User

SECRET = "whsec_test_0123456789abcdef"
State = Membership.State
_ids = itertools.count(1)



@pytest.fixture(autouse=True)
def stripe_billing(settings):
    settings.BILLING = "stripe"
    settings.STRIPE = {"secret_key": "sk_test_x", "webhook_secret": SECRET,
                       "price_id": "price_monthly"}


@pytest.fixture
def reader(db) -> User:
    user = User.objects.create_user("payer@example.org", "a long enough passphrase")
    Membership.objects.create(user=user, state=State.TRIALING,
                              trial_ends_at=timezone.now() + timedelta(days=3))
    return user


def sign(payload: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header Stripe sends with ``payload``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(event_type: str, obj: dict, *, created: int | None = None,
          event_id: str | None = None) -> dict:
    """An event as Stripe documents it (https://docs.stripe.com/api/events/object)."""
    return {
        "id": event_id or f"evt_test_{next(_ids)}",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": int(time.time()) if created is None else created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def post(client, payload: dict | bytes, signature: str | None = None, **kwargs):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {} if signature == "" else {"HTTP_STRIPE_SIGNATURE": signature or sign(body)}
    return client.post(reverse("stripe_webhook"), body, content_type="application/json",
                       **headers, **kwargs)


def checkout_completed(user: User, **extra) -> dict:
    return event("checkout.session.completed", {
        "id": "cs_test_1", "object": "checkout.session", "mode": "subscription",
        "client_reference_id": str(user.pk), "customer": "cus_123",
        "customer_email": user.email, "subscription": "sub_123",
        "payment_status": "paid", "status": "complete", **extra,
    })


def subscription(status: str = "active", *, period_end: int | None = None,
                 cancel_at_period_end: bool = False, legacy: bool = False,
                 sub_id: str = "sub_123", metadata: dict | None = None) -> dict:
    """A subscription object: ``legacy`` puts current_period_end on the subscription (API
    versions before 2025-03-31), otherwise on its items."""
    period_end = period_end or int(time.time()) + 30 * 86400
    obj = {
        "id": sub_id, "object": "subscription", "customer": "cus_123", "status": status,
        "cancel_at_period_end": cancel_at_period_end, "metadata": metadata or {},
        "items": {"object": "list", "data": [{
            "id": "si_1", "object": "subscription_item",
            "price": {"id": "price_monthly", "object": "price"},
            **({} if legacy else {"current_period_start": period_end - 30 * 86400,
                                  "current_period_end": period_end}),
        }]},
    }
    if legacy:
        obj["current_period_start"] = period_end - 30 * 86400
        obj["current_period_end"] = period_end
    return obj


def membership_of(user: User) -> Membership:
    return Membership.objects.get(user=user)


def paying(client, user: User) -> Membership:
    assert post(client, checkout_completed(user)).status_code == 200
    return membership_of(user)


# -- the events ---------------------------------------------------------------------------------

def test_checkout_completed_makes_an_active_member_and_stores_stripe_ids(client, reader):
    response = post(client, checkout_completed(reader))
    assert response.status_code == 200
    membership = membership_of(reader)
    assert membership.state == State.ACTIVE
    assert (membership.stripe_customer_id, membership.stripe_subscription_id) \
        == ("cus_123", "sub_123")


@pytest.mark.parametrize("legacy", [False, True], ids=["period-on-items", "period-on-subscription"])
def test_subscription_updated_sets_period_end_in_either_api_version(client, reader, legacy):
    paying(client, reader)
    end = int(time.time()) + 31 * 86400
    assert post(client, event("customer.subscription.updated",
                              subscription(period_end=end, legacy=legacy))).status_code == 200
    membership = membership_of(reader)
    assert membership.state == State.ACTIVE
    assert membership.current_period_end == datetime.fromtimestamp(end, tz=UTC)


def test_subscription_set_to_cancel_at_period_end_means_cancelled_reading_until_then(
        client, reader):
    paying(client, reader)
    end = int(time.time()) + 5 * 86400
    post(client, event("customer.subscription.updated",
                       subscription(period_end=end, cancel_at_period_end=True)))
    membership = membership_of(reader)
    assert membership.state == State.CANCELLED
    assert membership.has_access(timezone.now())
    assert not membership.has_access(datetime.fromtimestamp(end, tz=UTC))


@pytest.mark.parametrize(("status", "state"), [
    ("past_due", State.PAST_DUE), ("unpaid", State.EXPIRED), ("canceled", State.EXPIRED),
    ("active", State.ACTIVE),
])
def test_subscription_status_changes(client, reader, status, state):
    paying(client, reader)
    post(client, event("customer.subscription.updated", subscription(status)))
    assert membership_of(reader).state == state


def test_subscription_deleted_expires_the_membership(client, reader):
    paying(client, reader)
    post(client, event("customer.subscription.deleted", subscription("canceled")))
    membership = membership_of(reader)
    assert membership.state == State.EXPIRED
    assert not membership.has_access(timezone.now())


@pytest.mark.parametrize("where", ["parent", "top-level"])
def test_invoice_payment_failed_makes_past_due_and_paid_invoice_restores(client, reader, where):
    paying(client, reader)
    invoice = {"id": "in_1", "object": "invoice", "customer": "cus_123", "status": "open",
               "attempt_count": 1}
    if where == "parent":  # API versions since 2025-03-31
        invoice["parent"] = {"type": "subscription_details",
                             "subscription_details": {"subscription": "sub_123"}}
    else:
        invoice["subscription"] = "sub_123"
    post(client, event("invoice.payment_failed", invoice))
    assert membership_of(reader).state == State.PAST_DUE
    post(client, event("invoice.paid", {**invoice, "status": "paid"}))
    assert membership_of(reader).state == State.ACTIVE


def test_subscription_event_before_checkout_event_finds_the_reader_by_metadata(client, reader):
    """Stripe does not promise order: the subscription may be announced first."""
    end = int(time.time()) + 30 * 86400
    post(client, event("customer.subscription.created",
                       subscription(period_end=end,
                                    metadata={"broadsheet_user_id": str(reader.pk)})))
    membership = membership_of(reader)
    assert membership.state == State.ACTIVE
    assert membership.stripe_subscription_id == "sub_123"
    post(client, checkout_completed(reader))
    assert membership_of(reader).current_period_end == datetime.fromtimestamp(end, tz=UTC)


def test_an_old_subscription_ending_does_not_end_the_new_one(client, reader):
    paying(client, reader)
    response = post(client, event("customer.subscription.deleted",
                                  subscription("canceled", sub_id="sub_OLD")))
    assert response.content == b"another subscription"
    assert membership_of(reader).state == State.ACTIVE


def test_events_for_unknown_readers_are_accepted_and_change_nothing(client, reader):
    other = event("customer.subscription.deleted", {**subscription("canceled"),
                                                     "id": "sub_x", "customer": "cus_x"})
    assert post(client, other).status_code == 200
    assert membership_of(reader).state == State.TRIALING


# -- idempotence and order ----------------------------------------------------------------------

def test_the_same_event_twice_is_harmless(client, reader):
    paying(client, reader)
    failed = event("invoice.payment_failed", {"id": "in_2", "object": "invoice",
                                              "customer": "cus_123", "subscription": "sub_123"})
    assert post(client, failed).status_code == 200
    post(client, event("invoice.paid", {"id": "in_2", "object": "invoice",
                                        "customer": "cus_123", "subscription": "sub_123"}))
    assert membership_of(reader).state == State.ACTIVE
    again = post(client, failed)  # Stripe retries a delivery it thinks failed
    assert again.status_code == 200 and again.content == b"duplicate"
    assert membership_of(reader).state == State.ACTIVE
    assert StripeEvent.objects.filter(event_id=failed["id"]).count() == 1


def test_an_older_event_arriving_late_does_not_undo_a_newer_one(client, reader):
    paying(client, reader)
    now = int(time.time())
    post(client, event("customer.subscription.deleted", subscription("canceled"), created=now))
    late = post(client, event("customer.subscription.updated", subscription("active"),
                              created=now - 60))
    assert late.content == b"stale"
    assert membership_of(reader).state == State.EXPIRED


# -- verification --------------------------------------------------------------------------------

def test_wrong_secret_is_refused(client, reader):
    body = json.dumps(checkout_completed(reader)).encode()
    response = post(client, body, sign(body, secret="whsec_someone_else"))
    assert response.status_code == 400
    assert membership_of(reader).state == State.TRIALING
    assert not StripeEvent.objects.exists()


def test_stale_timestamp_is_refused(client, reader):
    body = json.dumps(checkout_completed(reader)).encode()
    response = post(client, body, sign(body, timestamp=int(time.time()) - 3600))
    assert response.status_code == 400
    assert membership_of(reader).state == State.TRIALING


def test_tampered_payload_is_refused(client, reader):
    genuine = json.dumps(checkout_completed(reader, customer="cus_123")).encode()
    forged = genuine.replace(b"cus_123", b"cus_666")
    assert post(client, forged, sign(genuine)).status_code == 400


def test_missing_signature_is_refused(client, reader):
    assert post(client, checkout_completed(reader), signature="").status_code == 400
    assert membership_of(reader).state == State.TRIALING


def test_signed_garbage_is_refused(client, db):
    body = b"{not json"
    assert post(client, body, sign(body)).status_code == 400


def test_unknown_event_types_are_acknowledged_and_ignored(client, reader):
    response = post(client, event("customer.created", {"id": "cus_9", "object": "customer"}))
    assert response.status_code == 200 and response.content == b"ignored"


def test_webhook_needs_post_and_no_csrf_token(reader):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get(reverse("stripe_webhook")).status_code == 405
    assert post(strict, checkout_completed(reader)).status_code == 200


def test_without_a_webhook_secret_nothing_is_accepted(client, reader, settings):
    settings.STRIPE = {**settings.STRIPE, "webhook_secret": ""}
    body = json.dumps(checkout_completed(reader)).encode()
    assert post(client, body, sign(body, secret="")).status_code == 400
    assert membership_of(reader).state == State.TRIALING


def test_without_billing_there_is_no_webhook(client, reader, settings):
    settings.BILLING = "none"
    assert post(client, checkout_completed(reader)).status_code == 404


# -- payments that have not arrived yet ----------------------------------------------------------

@pytest.mark.parametrize("status", ["unpaid", ""])
def test_checkout_without_payment_keeps_the_trial_until_the_invoice_is_paid(client, reader,
                                                                            status):
    response = post(client, checkout_completed(reader, payment_status=status))
    assert response.content == b"awaiting payment"
    membership = membership_of(reader)
    assert membership.state == State.TRIALING
    assert membership.stripe_subscription_id == "sub_123"  # known, for the invoice to come
    invoice = {"id": "in_1", "object": "invoice", "customer": "cus_123", "status": "paid",
               "parent": {"type": "subscription_details",
                          "subscription_details": {"subscription": "sub_123"}}}
    post(client, event("invoice.paid", invoice))
    assert membership_of(reader).state == State.ACTIVE


def test_an_expired_reader_waits_for_a_delayed_payment(client, reader):
    Membership.objects.filter(user=reader).update(state=State.EXPIRED)
    post(client, checkout_completed(reader, payment_status="unpaid"))
    membership = membership_of(reader)
    assert membership.state == State.EXPIRED and not membership.has_access(timezone.now())
    succeeded = checkout_completed(reader, payment_status="paid")
    succeeded["type"] = "checkout.session.async_payment_succeeded"
    assert post(client, succeeded).content == b"active"
    assert membership_of(reader).state == State.ACTIVE


def test_a_checkout_without_payment_due_activates_at_once(client, reader):
    post(client, checkout_completed(reader, payment_status="no_payment_required"))
    assert membership_of(reader).state == State.ACTIVE


def test_a_paid_invoice_for_another_subscription_activates_nothing(client, reader):
    post(client, checkout_completed(reader, payment_status="unpaid"))
    invoice = {"id": "in_2", "object": "invoice", "customer": "cus_123", "status": "paid",
               "subscription": "sub_OTHER"}
    post(client, event("invoice.paid", invoice))
    assert membership_of(reader).state == State.TRIALING
