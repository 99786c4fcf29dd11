"""The account page: email, password link, membership in words, cancel and resume (locally, or
through Stripe's API, checked against a local server standing in for api.stripe.com), Stripe
Checkout, and deleting the account with everything it holds."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow, Membership, ReadingHistory, SavedArticle, User
from broadsheet.sources.models import Publisher

pytestmark = pytest.mark.django_db

State = Membership.State
PASSWORD = "correct horse battery staple"



def make_reader(email="reader@example.org", **membership) -> User:
    user = User.objects.create_user(email, PASSWORD)
    if membership:
        Membership.objects.create(user=user, **membership)
    return user


def page_of(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("account"))
    assert response.status_code == 200
    return response.content.decode()


def form_data(request) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(request.body.decode()))


@pytest.fixture
def stripe_api(http_server, settings):
    """Billing through Stripe, its API answered by a local HTTP server."""
    settings.BILLING = "stripe"
    settings.SITE_URL = "https://news.example.org"
    settings.STRIPE = {"secret_key": "sk_test_abc", "webhook_secret": "whsec_x",
                       "price_id": "price_monthly", "api_base": http_server.base_url}
    json_headers = {"Content-Type": "application/json"}
    http_server.route("/v1/checkout/sessions", headers=json_headers, body=json.dumps({
        "id": "cs_test_1", "object": "checkout.session",
        "url": "https://checkout.stripe.com/c/pay/cs_test_1"}).encode())
    http_server.route("/v1/billing_portal/sessions", headers=json_headers, body=json.dumps({
        "id": "bps_1", "object": "billing_portal.session",
        "url": "https://billing.stripe.com/p/session/bps_1"}).encode())
    http_server.route("/v1/subscriptions/sub_123", headers=json_headers, body=json.dumps({
        "id": "sub_123", "object": "subscription", "status": "active"}).encode())
    return http_server


# -- what the page shows -------------------------------------------------------------------------

def test_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("account"))
    assert response.status_code == 302
    assert response["Location"] == reverse("signin") + "?next=" + reverse("account")


def test_page_shows_email_password_link_and_trial_days_left(client):
    user = make_reader(state=State.TRIALING,
                       trial_ends_at=timezone.now() + timedelta(days=12))
    page = page_of(client, user)
    assert "reader@example.org" in page
    assert reverse("password_change") in page
    assert "Free trial: 12 days left" in page
    assert reverse("account_delete") in page


@pytest.mark.parametrize(("fields", "words"), [
    ({"state": State.ACTIVE, "current_period_end": datetime(2099, 1, 3, 12, tzinfo=UTC)},
     "Member: renews 3 January 2099"),
    ({"state": State.CANCELLED, "current_period_end": datetime(2099, 1, 3, 12, tzinfo=UTC)},
     "Cancelled: reading until 3 January 2099"),
    ({"state": State.PAST_DUE}, "Payment failed: please update your card"),
    ({"state": State.EXPIRED}, "Expired"),
])
def test_page_shows_membership_in_words(client, fields, words):
    assert words in page_of(client, make_reader(**fields))


def test_dates_are_in_the_readers_time_zone(client):
    user = make_reader(state=State.ACTIVE,
                       current_period_end=datetime(2099, 1, 2, 20, tzinfo=UTC))
    user.time_zone = "Pacific/Auckland"  # already 3 January there
    user.save()
    assert "Member: renews 3 January 2099" in page_of(client, user)


def test_without_billing_the_administrator_manages_membership(client, settings):
    settings.BILLING = "none"
    page = page_of(client, make_reader(state=State.TRIALING,
                                       trial_ends_at=timezone.now() + timedelta(days=2)))
    assert "Membership is managed by the administrator" in page
    assert reverse("checkout") not in page
    assert client.post(reverse("checkout")).status_code == 404


# -- cancel and resume without billing -----------------------------------------------------------

def test_cancel_and_resume_locally(client, settings):
    settings.BILLING = "none"
    end = timezone.now() + timedelta(days=10)
    user = make_reader(state=State.ACTIVE, current_period_end=end)
    page = page_of(client, user)
    assert reverse("membership_cancel") in page
    response = client.post(reverse("membership_cancel"), follow=True)
    assert "Your membership is cancelled. Reading until" in response.content.decode()
    assert Membership.objects.get(user=user).state == State.CANCELLED
    assert "Cancelled: reading until" in page_of(client, user)

    client.post(reverse("membership_resume"))
    membership = Membership.objects.get(user=user)
    assert membership.state == State.ACTIVE and membership.current_period_end == end


def test_cancel_and_resume_need_post(client):
    client.force_login(make_reader(state=State.ACTIVE))
    assert client.get(reverse("membership_cancel")).status_code == 405
    assert client.get(reverse("membership_resume")).status_code == 405


def test_cancel_is_csrf_protected():
    user = make_reader(state=State.ACTIVE)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(reverse("membership_cancel")).status_code == 403
    assert Membership.objects.get(user=user).state == State.ACTIVE


def test_a_trial_has_nothing_to_cancel(client):
    user = make_reader(state=State.TRIALING, trial_ends_at=timezone.now() + timedelta(days=3))
    assert reverse("membership_cancel") not in page_of(client, user)
    client.post(reverse("membership_cancel"))
    assert Membership.objects.get(user=user).state == State.TRIALING


# -- cancel, resume and checkout through Stripe --------------------------------------------------

def test_cancel_asks_stripe_to_cancel_at_period_end(client, stripe_api):
    end = timezone.now() + timedelta(days=20)
    user = make_reader(state=State.ACTIVE, current_period_end=end,
                       stripe_customer_id="cus_123", stripe_subscription_id="sub_123")
    client.force_login(user)
    client.post(reverse("membership_cancel"))
    sent = stripe_api.last_request("/v1/subscriptions/sub_123")
    assert sent.method == "POST"
    assert sent.headers["authorization"] == "Bearer sk_test_abc"
    assert form_data(sent) == {"cancel_at_period_end": "true"}
    assert Membership.objects.get(user=user).state == State.CANCELLED

    client.post(reverse("membership_resume"))
    assert form_data(stripe_api.last_request("/v1/subscriptions/sub_123")) \
        == {"cancel_at_period_end": "false"}
    assert Membership.objects.get(user=user).state == State.ACTIVE


def test_when_stripe_refuses_the_membership_is_unchanged(client, stripe_api):
    stripe_api.route("/v1/subscriptions/sub_123", status=400,
                     headers={"Content-Type": "application/json"},
                     body=b'{"error": {"type": "invalid_request_error", '
                          b'"message": "No such subscription"}}')
    user = make_reader(state=State.ACTIVE, stripe_subscription_id="sub_123",
                       current_period_end=timezone.now() + timedelta(days=5))
    client.force_login(user)
    response = client.post(reverse("membership_cancel"), follow=True)
    assert "could not be cancelled" in response.content.decode()
    assert Membership.objects.get(user=user).state == State.ACTIVE


def test_checkout_creates_a_subscription_session_and_redirects_to_it(client, stripe_api):
    user = make_reader(state=State.TRIALING, trial_ends_at=timezone.now() + timedelta(days=1))
    page = page_of(client, user)
    assert reverse("checkout") in page and "Become a member" in page
    response = client.post(reverse("checkout"))
    assert response.status_code == 303
    assert response["Location"] == "https://checkout.stripe.com/c/pay/cs_test_1"
    sent = form_data(stripe_api.last_request("/v1/checkout/sessions"))
    assert sent["mode"] == "subscription"
    assert sent["line_items[0][price]"] == "price_monthly"
    assert sent["line_items[0][quantity]"] == "1"
    assert sent["client_reference_id"] == str(user.pk)
    assert sent["customer_email"] == "reader@example.org"
    assert sent["success_url"] == "https://news.example.org/account/?checkout=success"
    assert sent["cancel_url"] == "https://news.example.org/account/"
    assert sent["subscription_data[metadata][broadsheet_user_id]"] == str(user.pk)


def test_a_returning_customer_checks_out_as_the_same_stripe_customer(client, stripe_api):
    client.force_login(make_reader(state=State.EXPIRED, stripe_customer_id="cus_old"))
    client.post(reverse("checkout"))
    sent = form_data(stripe_api.last_request("/v1/checkout/sessions"))
    assert sent["customer"] == "cus_old" and "customer_email" not in sent


def test_checkout_needs_post_and_a_reader(client, stripe_api):
    assert client.post(reverse("checkout")).status_code == 302  # to sign in
    client.force_login(make_reader())
    assert client.get(reverse("checkout")).status_code == 405
    assert stripe_api.requests == []


def test_checkout_failure_is_explained(client, stripe_api):
    stripe_api.route("/v1/checkout/sessions", status=401,
                     headers={"Content-Type": "application/json"},
                     body=b'{"error": {"type": "invalid_request_error", '
                          b'"message": "Invalid API Key provided"}}')
    client.force_login(make_reader())
    response = client.post(reverse("checkout"), follow=True)
    assert "Checkout could not start" in response.content.decode()


def test_paying_members_are_not_offered_checkout(client, stripe_api):
    user = make_reader(state=State.ACTIVE, stripe_subscription_id="sub_123",
                       current_period_end=timezone.now() + timedelta(days=9))
    assert reverse("checkout") not in page_of(client, user)
    response = client.post(reverse("checkout"))  # even when asked directly
    assert response.status_code == 302 and response["Location"] == reverse("account")
    assert stripe_api.requests_for("/v1/checkout/sessions") == []


def test_after_a_failed_payment_the_reader_updates_their_card_in_stripes_portal(
        client, stripe_api):
    user = make_reader(state=State.PAST_DUE, stripe_customer_id="cus_123",
                       stripe_subscription_id="sub_123")
    page = page_of(client, user)
    assert "Update your card" in page and reverse("billing_portal") in page
    assert reverse("checkout") not in page  # a second subscription would charge twice
    response = client.post(reverse("billing_portal"))
    assert response.status_code == 303
    assert response["Location"] == "https://billing.stripe.com/p/session/bps_1"
    assert form_data(stripe_api.last_request("/v1/billing_portal/sessions")) == {
        "customer": "cus_123", "return_url": "https://news.example.org/account/"}


def test_no_portal_without_a_stripe_customer(client, stripe_api):
    client.force_login(make_reader(state=State.TRIALING,
                                   trial_ends_at=timezone.now() + timedelta(days=1)))
    assert client.post(reverse("billing_portal")).status_code == 404


# -- deleting the account ------------------------------------------------------------------------

def holdings(user: User) -> None:
    publisher = Publisher.objects.create(name="The Daily Test")
    article = Article.objects.create(publisher=publisher, url="https://t.example/a",
                                     canonical_url="https://t.example/a", title="A",
                                     published_at=timezone.now())
    section = Section.objects.get_or_create(name="World", defaults={"slug": "world"})[0]
    Follow.objects.create(user=user, kind=Follow.Kind.PUBLISHER, publisher=publisher)
    Follow.objects.create(user=user, kind=Follow.Kind.SECTION, section=section)
    Follow.objects.create(user=user, kind=Follow.Kind.TOPIC, topic="bridges")
    SavedArticle.objects.create(user=user, article=article)
    ReadingHistory.objects.create(user=user, article=article, read_at=timezone.now())


def test_delete_account_needs_the_password(client):
    user = make_reader(state=State.ACTIVE)
    client.force_login(user)
    page = client.get(reverse("account_delete")).content.decode()
    assert '<label for="id_password">Password</label>' in page
    response = client.post(reverse("account_delete"), {"password": "not my password"})
    assert response.status_code == 400
    assert "That password is not right." in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()


def test_delete_account_removes_everything_it_holds_and_signs_out(client):
    user = make_reader(state=State.ACTIVE)
    other = make_reader("other@example.org", state=State.ACTIVE)
    holdings(user)
    SavedArticle.objects.create(user=other, article=Article.objects.get())
    client.force_login(user)
    response = client.post(reverse("account_delete"), {"password": PASSWORD})
    assert response.status_code == 200
    assert "has been deleted" in response.content.decode()
    assert not User.objects.filter(pk=user.pk).exists()
    for model in (Membership, Follow, SavedArticle, ReadingHistory):
        assert not model.objects.filter(user_id=user.pk).exists(), model
    assert "_auth_user_id" not in client.session
    # Nobody else's data goes, and shared things stay.
    assert SavedArticle.objects.filter(user=other).count() == 1
    assert Article.objects.count() == 1 and Publisher.objects.count() == 1


def test_delete_account_stops_the_stripe_subscription_first(client, stripe_api):
    user = make_reader(state=State.ACTIVE, stripe_customer_id="cus_123",
                       stripe_subscription_id="sub_123")
    client.force_login(user)
    client.post(reverse("account_delete"), {"password": PASSWORD})
    sent = stripe_api.last_request("/v1/subscriptions/sub_123")
    assert sent.method == "DELETE"
    assert not User.objects.filter(pk=user.pk).exists()


def test_nothing_is_deleted_when_the_subscription_cannot_be_stopped(client, stripe_api):
    stripe_api.route("/v1/subscriptions/sub_123", status=500,
                     headers={"Content-Type": "application/json"},
                     body=b'{"error": {"type": "api_error", "message": "down"}}')
    user = make_reader(state=State.ACTIVE, stripe_subscription_id="sub_123")
    client.force_login(user)
    response = client.post(reverse("account_delete"), {"password": PASSWORD})
    assert response.status_code == 503
    assert "nothing was deleted" in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()
