"""Billing: the calls Broadsheet makes to Stripe, behind one small gateway object.

``gateway()`` returns the gateway for the current settings. ``StripeGateway`` talks to Stripe
through the official ``stripe`` library; its API address can be pointed elsewhere (the ``api_base``
key of ``settings.STRIPE``), which is how the tests check the exact requests against a local HTTP
server. ``BILLING=none`` has no gateway: memberships are managed by the administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

USER_ID_METADATA = "broadsheet_user_id"


class BillingUnavailable(Exception):
    """Payments are off (``BILLING=none``) or Stripe is not configured."""


class BillingError(Exception):
    """Stripe refused or could not be reached; the message is safe to show to the reader."""


@dataclass(frozen=True)
class CheckoutRequest:
    user_id: int
    email: str
    success_url: str
    cancel_url: str
    customer_id: str = ""  # a returning customer keeps their Stripe customer


class Gateway(Protocol):
    def create_checkout(self, request: CheckoutRequest) -> str:
        """Create a Checkout Session for the membership; returns the page to send the reader to."""
        ...

    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool) -> None:
        """Cancel at the end of the period (True) or undo that (False)."""
        ...

    def cancel_now(self, subscription_id: str) -> None:
        """End the subscription at once (the reader deleted their account)."""
        ...

    def create_portal(self, customer_id: str, return_url: str) -> str:
        """A customer-portal session where the reader updates their card; returns its page."""
        ...


class StripeGateway:
    """Stripe Checkout in subscription mode, and subscription updates."""

    def __init__(self, secret_key: str, price_id: str, api_base: str | None = None) -> None:
        import stripe

        self.client = stripe.StripeClient(
            secret_key, max_network_retries=2,
            base_addresses={"api": api_base} if api_base else None)
        self.price_id = price_id

    def create_checkout(self, request: CheckoutRequest) -> str:
        params: dict = {
            "mode": "subscription",
            "line_items": [{"price": self.price_id, "quantity": 1}],
            "client_reference_id": str(request.user_id),
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            # Subscription events then name the reader even if they arrive before this session's.
            "subscription_data": {"metadata": {USER_ID_METADATA: str(request.user_id)}},
            "metadata": {USER_ID_METADATA: str(request.user_id)},
        }
        if request.customer_id:
            params["customer"] = request.customer_id
        else:
            params["customer_email"] = request.email
        session = self._call(self.client.v1.checkout.sessions.create, params=params)
        return session.url

    def set_cancel_at_period_end(self, subscription_id: str, cancel: bool) -> None:
        self._call(self.client.v1.subscriptions.update, subscription_id,
                   params={"cancel_at_period_end": cancel})

    def cancel_now(self, subscription_id: str) -> None:
        self._call(self.client.v1.subscriptions.cancel, subscription_id)

    def create_portal(self, customer_id: str, return_url: str) -> str:
        session = self._call(self.client.v1.billing_portal.sessions.create,
                             params={"customer": customer_id, "return_url": return_url})
        return session.url

    @staticmethod
    def _call(function, *args, **kwargs):
        import stripe

        try:
            return function(*args, **kwargs)
        except stripe.StripeError as error:
            message = getattr(error, "user_message", None) or "the payment service did not answer"
            raise BillingError(message) from error


def gateway() -> Gateway:
    """The gateway for the current settings."""
    if settings.BILLING != "stripe":
        raise BillingUnavailable("payments are off (BROADSHEET_BILLING=none)")
    config = settings.STRIPE
    if not config.get("secret_key") or not config.get("price_id"):
        raise BillingUnavailable("Stripe is not configured (secret key and price id)")
    return StripeGateway(config["secret_key"], config["price_id"], config.get("api_base"))


def enabled() -> bool:
    return settings.BILLING == "stripe"
