"""Paid Stripe invoices are recorded as revenue (``Payment``), once per invoice, from signed
webhook payloads in Stripe's documented invoice format."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from test_stripe_webhooks import SECRET, event, post

from broadsheet.readers.models import Membership, Payment, User

PAID_AT = int(datetime(2026, 11, 3, 9, 30, tzinfo=UTC).timestamp())


@pytest.fixture(autouse=True)
def stripe_billing(settings):
    settings.BILLING = "stripe"
    settings.STRIPE = {"secret_key": "sk_test_x", "webhook_secret": SECRET,
                       "price_id": "price_monthly"}


@pytest.fixture
def member(db) -> User:
    user = User.objects.create_user("payer@example.org", "a long enough passphrase")
    Membership.objects.create(user=user, state=Membership.State.ACTIVE,
                              stripe_customer_id="cus_123", stripe_subscription_id="sub_123",
                              current_period_end=timezone.now() + timedelta(days=20))
    return user


def invoice(invoice_id: str = "in_1", amount: int = 999, currency: str = "gbp",
            paid_at: int | None = PAID_AT, customer: str = "cus_123") -> dict:
    """An invoice object as Stripe documents it (https://docs.stripe.com/api/invoices/object),
    subscription under ``parent`` as since API version 2025-03-31."""
    return {
        "id": invoice_id, "object": "invoice", "customer": customer, "status": "paid",
        "amount_due": amount, "amount_paid": amount, "amount_remaining": 0,
        "currency": currency, "billing_reason": "subscription_cycle",
        "parent": {"type": "subscription_details",
                   "subscription_details": {"subscription": "sub_123", "metadata": {}}},
        "status_transitions": {"finalized_at": (paid_at or PAID_AT) - 60, "paid_at": paid_at,
                               "marked_uncollectible_at": None, "voided_at": None},
    }


def test_a_paid_invoice_is_recorded_with_its_amount_currency_reader_and_time(client, member):
    assert post(client, event("invoice.paid", invoice(amount=1299))).status_code == 200
    payment = Payment.objects.get()
    assert (payment.stripe_invoice_id, payment.amount_paid, payment.currency) \
        == ("in_1", 1299, "GBP")
    assert payment.user == member
    assert payment.paid_at == datetime(2026, 11, 3, 9, 30, tzinfo=UTC)


def test_the_same_invoice_twice_is_one_payment(client, member):
    body = event("invoice.paid", invoice())
    post(client, body)
    post(client, body)  # the same event delivered again
    post(client, event("invoice.paid", invoice()))  # another event about the same invoice
    assert Payment.objects.count() == 1
    post(client, event("invoice.paid", invoice("in_2", amount=500)))
    assert sorted(Payment.objects.values_list("stripe_invoice_id", "amount_paid")) \
        == [("in_1", 999), ("in_2", 500)]


def test_without_paid_at_the_events_time_is_used(client, member):
    created = int(time.time()) - 30
    post(client, event("invoice.paid", invoice(paid_at=None), created=created))
    assert Payment.objects.get().paid_at == datetime.fromtimestamp(created, tz=UTC)


def test_money_from_an_unknown_customer_still_counts_as_revenue(client, db):
    post(client, event("invoice.paid", invoice("in_9", customer="cus_unknown", currency="eur")))
    payment = Payment.objects.get()
    assert payment.user is None and (payment.amount_paid, payment.currency) == (999, "EUR")


def test_zero_and_failed_invoices_are_not_revenue(client, member):
    post(client, event("invoice.paid", invoice("in_trial", amount=0)))
    post(client, event("invoice.payment_failed", {**invoice("in_failed"), "status": "open",
                                                  "amount_paid": 0}))
    assert not Payment.objects.exists()


def test_a_payment_outlives_the_account(client, member):
    post(client, event("invoice.paid", invoice()))
    member.delete()
    payment = Payment.objects.get()
    assert payment.user is None and payment.amount_paid == 999


def test_a_badly_signed_invoice_records_nothing(client, member):
    response = post(client, event("invoice.paid", invoice()), signature="t=1,v1=deadbeef")
    assert response.status_code == 400
    assert not Payment.objects.exists()
