"""Stripe webhook events turned into membership transitions.

Handled: checkout.session.completed (which activates only once the payment went through:
``payment_status`` "paid" or "no_payment_required"), checkout.session.async_payment_succeeded (a
bank debit or similar that settled later), customer.subscription.created/updated/deleted,
invoice.payment_failed and invoice.paid (which ends a past-due spell, or activates a membership
whose checkout was still awaiting payment). Every ``invoice.paid`` is also recorded as a
``Payment`` (once per invoice), the revenue that publishers' statements share out. Stripe may
send an event twice and in any order: processed event ids are remembered (``StripeEvent``), and
an event older than the newest one already applied to a membership is skipped.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import membership as transitions
from .billing import USER_ID_METADATA
from .models import Membership, Payment, StripeEvent, User

log = logging.getLogger("broadsheet.readers.stripe")

HANDLED = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.payment_failed",
    "invoice.paid",
}


def handle_event(event: dict) -> str:
    """Apply one verified event; returns what happened, in a word or two (for logs and tests)."""
    event_type = event.get("type", "")
    if event_type not in HANDLED:
        return "ignored"
    event_id = event.get("id", "")
    try:
        with transaction.atomic():
            StripeEvent.objects.create(event_id=event_id, type=event_type)
            outcome = _apply(event_type, event)
    except IntegrityError:
        return "duplicate"
    log.info("stripe %s %s: %s", event_type, event_id, outcome)
    return outcome


def _apply(event_type: str, event: dict) -> str:
    """Route one handled event to the handler for its family; each returns the outcome."""
    obj = event.get("data", {}).get("object", {})
    created = _time(event.get("created"))
    if event_type.startswith("checkout.session."):
        return _apply_checkout(obj, created)
    if event_type.startswith("customer.subscription."):
        return _apply_subscription(event_type, obj, created)
    return _apply_invoice(event_type, obj, created)


def _apply_checkout(obj: dict, created: datetime | None) -> str:
    """A finished checkout: activate the reader once paid, or remember whose it is until then."""
    membership = _find(user_id=obj.get("client_reference_id")
                       or (obj.get("metadata") or {}).get(USER_ID_METADATA),
                       customer_id=_id(obj.get("customer")))
    if membership is None:
        return "no such reader"
    if obj.get("mode", "subscription") != "subscription":
        return "not a subscription"
    if _stale(membership, created):
        return "stale"
    customer_id, subscription_id = _id(obj.get("customer")), _id(obj.get("subscription"))
    if obj.get("payment_status") not in PAID:
        # Not paid yet (a bank debit on its way): remember whose subscription it is, keep the
        # state (a trial reads on; an expired reader waits) until invoice.paid or
        # async_payment_succeeded says the money arrived.
        _remember_ids(membership, customer_id, subscription_id)
        membership.save()
        _applied(membership, created)
        return "awaiting payment"
    transitions.activate(membership, customer_id=customer_id,
                         subscription_id=subscription_id)
    _applied(membership, created)
    return "active"


def _apply_subscription(event_type: str, obj: dict, created: datetime | None) -> str:
    """A subscription changed or ended: follow it, unless it is an old one the reader replaced."""
    membership = _find(subscription_id=obj.get("id", ""),
                       customer_id=_id(obj.get("customer")),
                       user_id=(obj.get("metadata") or {}).get(USER_ID_METADATA))
    if membership is None:
        return "no such reader"
    if _stale(membership, created):
        return "stale"
    subscription_id = obj.get("id", "")
    deleted = event_type == "customer.subscription.deleted"
    current = membership.stripe_subscription_id
    if current and subscription_id != current and (
            deleted or obj.get("status") not in ("active", "trialing")):
        return "another subscription"  # an old subscription ending after a new one began
    _remember_ids(membership, _id(obj.get("customer")), subscription_id)
    if deleted:
        transitions.expire(membership)
    else:
        transitions.apply_subscription(membership, transitions.SubscriptionChange(
            status=obj.get("status", ""),
            cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
            period_end=subscription_period_end(obj),
        ))
    _applied(membership, created)
    return str(membership.state)


def _apply_invoice(event_type: str, obj: dict, created: datetime | None) -> str:
    """An invoice paid or failed: record the money, then move the reader's own membership."""
    subscription_id = invoice_subscription(obj)
    membership = _find(subscription_id=subscription_id, customer_id=_id(obj.get("customer")))
    if event_type == "invoice.paid":  # money received counts, whatever it does to a membership
        record_payment(obj, membership.user_id if membership else None, created)
    if membership is None:
        return "no such reader"
    if _stale(membership, created):
        return "stale"
    own = bool(subscription_id) and subscription_id == membership.stripe_subscription_id
    if subscription_id and membership.stripe_subscription_id and not own:
        return "another subscription"
    if event_type == "invoice.payment_failed":
        transitions.mark_past_due(membership)
    elif membership.state == Membership.State.PAST_DUE or (
            membership.state in AWAITING and own):
        transitions.activate(membership)
    _applied(membership, created)
    return str(membership.state)


# checkout.session.completed's payment_status values that mean the reader has paid.
PAID = ("paid", "no_payment_required")
# States a paid invoice for the reader's own subscription turns active (a checkout that was
# awaiting payment).
AWAITING = (Membership.State.TRIALING, Membership.State.EXPIRED)


def record_payment(invoice: dict, user_id: int | None,
                   created: datetime | None) -> Payment | None:
    """Store a paid invoice's amount once (by invoice id); nothing for an invoice of zero.

    Stripe's invoice object: ``amount_paid`` in minor units, ``currency`` in lower case,
    ``status_transitions.paid_at`` (the event's creation time stands in when it is missing).
    Revenue is in the account's currency; the statements use only payments in theirs.
    """
    invoice_id = invoice.get("id") or ""
    amount = int(invoice.get("amount_paid") or 0)
    currency = (invoice.get("currency") or "").upper()
    if not invoice_id or amount <= 0 or len(currency) != 3:
        return None
    paid_at = (_time((invoice.get("status_transitions") or {}).get("paid_at")) or created
               or timezone.now())
    payment, _ = Payment.objects.get_or_create(
        stripe_invoice_id=invoice_id,
        defaults={"user_id": user_id, "amount_paid": amount, "currency": currency,
                  "paid_at": paid_at})
    return payment


def subscription_period_end(subscription: dict) -> datetime | None:
    """The end of the paid period: on the subscription in older API versions, on its items since
    2025-03-31 (the latest item end, when there are several)."""
    if subscription.get("current_period_end"):
        return _time(subscription["current_period_end"])
    items = (subscription.get("items") or {}).get("data") or []
    ends = [item["current_period_end"] for item in items if item.get("current_period_end")]
    return _time(max(ends)) if ends else None


def invoice_subscription(invoice: dict) -> str:
    """The invoice's subscription id: top-level in older API versions, under ``parent`` since
    2025-03-31."""
    if invoice.get("subscription"):
        return _id(invoice["subscription"])
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return _id(details.get("subscription"))


def _find(subscription_id: str = "", customer_id: str = "", user_id=None) -> Membership | None:
    memberships = Membership.objects.select_for_update()
    if subscription_id:
        found = memberships.filter(stripe_subscription_id=subscription_id).first()
        if found:
            return found
    if customer_id:
        found = memberships.filter(stripe_customer_id=customer_id).first()
        if found:
            return found
    if user_id:
        try:
            user = User.objects.get(pk=int(user_id))
        except (User.DoesNotExist, ValueError, TypeError):
            return None
        membership, _ = Membership.objects.get_or_create(
            user=user, defaults={"state": Membership.State.EXPIRED})
        return memberships.get(pk=membership.pk)
    return None


def _remember_ids(membership: Membership, customer_id: str, subscription_id: str) -> None:
    if customer_id and not membership.stripe_customer_id:
        membership.stripe_customer_id = customer_id
    if subscription_id:
        membership.stripe_subscription_id = subscription_id


def _stale(membership: Membership, created: datetime | None) -> bool:
    return (created is not None and membership.stripe_event_at is not None
            and created < membership.stripe_event_at)


def _applied(membership: Membership, created: datetime | None) -> None:
    if created is not None:
        membership.stripe_event_at = created
        membership.save(update_fields=["stripe_event_at"])


def _id(value) -> str:
    """Stripe sends an id, or the whole object when expanded."""
    if isinstance(value, dict):
        return value.get("id", "")
    return value or ""


def _time(value) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)
