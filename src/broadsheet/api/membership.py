"""The reader's membership in the JSON API, mounted at /api/v1/me/membership: cancel and resume,
as the account page's buttons do (token or session).

Cancelling keeps full access until the paid period ends; resuming before then renews as before.
With Stripe billing the subscription is told first, and nothing changes here when it cannot be.
Paying (Stripe Checkout) and the billing portal are pages at Stripe, reached from the account
page only.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError

from broadsheet.readers import billing
from broadsheet.readers import membership as transitions

from . import schemas
from .auth import ReaderAuth, reader_of
from .me import me_out

router = Router(tags=["me"])
signed_in = ReaderAuth()


def _tell_stripe(membership, *, cancel: bool) -> None:
    """Set the subscription to end (or renew) at the period's end; 503 when Stripe cannot be
    told (the membership is then left as it was)."""
    if not (billing.enabled() and membership.stripe_subscription_id):
        return
    try:
        billing.gateway().set_cancel_at_period_end(membership.stripe_subscription_id, cancel)
    except (billing.BillingError, billing.BillingUnavailable) as error:
        verb = "cancelled" if cancel else "resumed"
        raise HttpError(503, f"The membership could not be {verb}: {error}. Please try again "
                             "later.") from error


@router.post("/cancel", response={200: schemas.Me, 401: schemas.Error, 409: schemas.Error,
                                  503: schemas.Error},
             auth=signed_in, summary="Cancel the membership at the end of the paid period")
def cancel(request: HttpRequest) -> dict:
    return _change(reader_of(request), cancel=True)


@router.post("/resume", response={200: schemas.Me, 401: schemas.Error, 409: schemas.Error,
                                  503: schemas.Error},
             auth=signed_in, summary="Undo a cancellation before the paid period ends")
def resume(request: HttpRequest) -> dict:
    return _change(reader_of(request), cancel=False)


def _change(user, *, cancel: bool) -> dict:
    """Cancel or resume as the account page's buttons do: 409 when there is nothing to change."""
    membership = transitions.membership_of(user)
    allowed = transitions.can_cancel if cancel else transitions.can_resume
    if membership is None or not allowed(membership):
        what = "membership to cancel" if cancel else "cancelled membership to resume"
        raise HttpError(409, f"There is no {what}.")
    _tell_stripe(membership, cancel=cancel)
    (transitions.cancel if cancel else transitions.resume)(membership)
    return me_out(user)
