"""An app cancels and resumes the reader's membership as the account page's buttons do: reading
continues until the paid period ends, Stripe is told first, and a refusal changes nothing."""

from __future__ import annotations

import json
import urllib.parse
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from broadsheet.api.auth import issue_token
from broadsheet.readers.models import Membership, User

pytestmark = pytest.mark.django_db
State = Membership.State


def app_for(**membership) -> tuple[Client, User]:
    user = User.objects.create_user("member@example.org", "correct horse battery staple")
    if membership:
        Membership.objects.create(user=user, **membership)
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user).secret}"), user


@pytest.fixture
def stripe_api(http_server, settings):
    """Billing through Stripe, its API answered by a local HTTP server."""
    settings.BILLING = "stripe"
    settings.STRIPE = {"secret_key": "sk_test_abc", "webhook_secret": "whsec_x",
                       "price_id": "price_monthly", "api_base": http_server.base_url}
    http_server.route("/v1/subscriptions/sub_123", headers={"Content-Type": "application/json"},
                      body=json.dumps({"id": "sub_123", "object": "subscription",
                                       "status": "active"}).encode())
    return http_server


def test_cancel_then_resume_without_billing(settings):
    settings.BILLING = "none"
    end = timezone.now() + timedelta(days=20)
    app, user = app_for(state=State.ACTIVE, current_period_end=end)
    cancelled = app.post("/api/v1/me/membership/cancel")
    assert cancelled.status_code == 200
    membership = cancelled.json()["membership"]
    assert membership["state"] == "cancelled" and membership["full_access"] is True
    assert app.post("/api/v1/me/membership/cancel").json() == {
        "detail": "There is no membership to cancel."}
    resumed = app.post("/api/v1/me/membership/resume")
    assert resumed.status_code == 200 and resumed.json()["membership"]["state"] == "active"
    assert app.post("/api/v1/me/membership/resume").status_code == 409
    assert Membership.objects.get(user=user).state == State.ACTIVE


def test_a_trial_has_nothing_to_cancel():
    app, user = app_for(state=State.TRIALING, trial_ends_at=timezone.now() + timedelta(days=3))
    assert app.post("/api/v1/me/membership/cancel").status_code == 409
    assert Membership.objects.get(user=user).state == State.TRIALING
    assert Client().post("/api/v1/me/membership/cancel").status_code == 401


def test_stripe_is_told_first(stripe_api):
    app, user = app_for(state=State.ACTIVE, stripe_subscription_id="sub_123",
                        current_period_end=timezone.now() + timedelta(days=20))
    assert app.post("/api/v1/me/membership/cancel").status_code == 200
    sent = stripe_api.last_request("/v1/subscriptions/sub_123")
    assert dict(urllib.parse.parse_qsl(sent.body.decode())) == {"cancel_at_period_end": "true"}
    assert app.post("/api/v1/me/membership/resume").status_code == 200
    sent = stripe_api.last_request("/v1/subscriptions/sub_123")
    assert dict(urllib.parse.parse_qsl(sent.body.decode())) == {"cancel_at_period_end": "false"}


def test_when_stripe_refuses_nothing_changes(stripe_api):
    stripe_api.route("/v1/subscriptions/sub_123", status=400,
                     headers={"Content-Type": "application/json"},
                     body=b'{"error": {"type": "invalid_request_error", '
                          b'"message": "No such subscription"}}')
    app, user = app_for(state=State.ACTIVE, stripe_subscription_id="sub_123",
                        current_period_end=timezone.now() + timedelta(days=5))
    refused = app.post("/api/v1/me/membership/cancel")
    assert refused.status_code == 503
    assert refused.json()["detail"].startswith("The membership could not be cancelled")
    assert Membership.objects.get(user=user).state == State.ACTIVE
