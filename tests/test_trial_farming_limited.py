"""Trials cannot be farmed from one address: the first sign-up of the day reads at once, later
ones wait for the emailed confirmation link (delivered over real SMTP), a few sign-ups a day per
address at most (HTTP 429 with Retry-After), and a few account emails an hour per address."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pages_fixtures import make_article, make_publisher
from smtpfixture import smtp_server, smtp_settings  # noqa: F401 - fixtures, used by name

from broadsheet.api.auth import issue_token
from broadsheet.config.env import SETTINGS, SettingError
from broadsheet.readers import emails
from broadsheet.readers.models import Membership, ThrottleAttempt, User
from broadsheet.readers.paywall import can_read_full
from broadsheet.web.links import article_path

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
FARM, HOME = "203.0.113.50", "198.51.100.77"


@pytest.fixture
def huey_immediate():
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before


@pytest.fixture
def mail(smtp_settings, settings, huey_immediate):  # noqa: F811
    settings.SITE_URL = "https://news.example.org"
    return smtp_settings


def sign_up(address: str, email: str) -> tuple[Client, object]:
    client = Client(REMOTE_ADDR=address)
    return client, client.post(reverse("signup"), {"email": email, "password": PASSWORD})


def confirm_link(message) -> str:
    found = re.search(r"https://news\.example\.org(/account/confirm/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def me(user: User) -> dict:
    secret = issue_token(user).secret
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").json()


def test_twelve_sign_ups_from_one_address_make_five_accounts(mail):
    codes = [sign_up(FARM, f"farm{n}@example.org")[1].status_code for n in range(12)]
    assert codes == [302] * 5 + [429] * 7
    assert User.objects.count() == 5
    _, refused = sign_up(FARM, "farm-more@example.org")
    assert 23 * 3600 < int(refused["Retry-After"]) <= 24 * 3600
    page = refused.content.decode()
    assert "Too many new accounts have been made from your network today" in page
    assert "try again in 24 hours" in page
    assert 'value="farm-more@example.org"' in page  # what was typed is kept
    assert sign_up(HOME, "neighbour@example.org")[1].status_code == 302  # others sign up


def test_only_the_first_trial_of_the_day_from_an_address_reads_at_once(mail):
    first, response = sign_up(FARM, "first@example.org")
    assert response.status_code == 302
    assert can_read_full(User.objects.get(email="first@example.org"))
    assert "Your free trial has started" in first.get(reverse("account")).content.decode()

    second, response = sign_up(FARM, "second@example.org")
    assert response.status_code == 302 and "_auth_user_id" in second.session  # signed in
    user = User.objects.get(email="second@example.org")
    assert user.membership.state == Membership.State.TRIALING
    assert user.membership.awaits_confirmation and not can_read_full(user)
    membership = me(user)["membership"]
    assert membership["awaiting_confirmation"] is True and membership["full_access"] is False
    assert membership["description"] == "Free trial: starts when you confirm your email address"

    other, _ = sign_up(HOME, "elsewhere@example.org")  # another address: at once
    assert can_read_full(User.objects.get(email="elsewhere@example.org"))
    assert me(User.objects.get(email="first@example.org"))["membership"][
        "awaiting_confirmation"] is False


def test_a_waiting_reader_sees_why_on_every_page(mail):
    article = make_article(make_publisher("The Daily Example"), title="Storm batters the coast",
                           section="World")
    sign_up(FARM, "first@example.org")
    client, response = sign_up(FARM, "second@example.org")
    notice = "Confirm your email address to start your free trial."
    welcome = client.get(response["Location"]).content.decode()
    assert notice in welcome and "your 14-day free trial starts when you open it" in welcome
    page = client.get(article_path(article)).content.decode()
    assert "Confirm your email address to read this article" in page
    assert "The third paragraph is only for members" not in page
    account = client.get(reverse("account")).content.decode()
    assert "Free trial: starts when you confirm your email address" in account
    assert reverse("confirm_email_send") in account


def test_the_emailed_link_starts_the_trial_in_full(mail, settings):
    settings.TRIAL_DAYS = 14
    sign_up(FARM, "first@example.org")
    client, _ = sign_up(FARM, "second@example.org")
    mail.wait_for(2)
    [message] = mail.to("second@example.org")
    assert "confirm your address to start your 14-day free trial" in message.subject
    assert "nothing starts without the link" in message.body
    page = Client().get(confirm_link(message))  # opened on another device, not signed in
    assert page.status_code == 200
    assert "Your free trial has started: 14 days" in page.content.decode()
    user = User.objects.get(email="second@example.org")
    assert user.email_confirmed_at is not None and can_read_full(user)
    left = user.membership.trial_ends_at - timezone.now()
    assert timedelta(days=13, hours=23) < left <= timedelta(days=14)  # counted from now
    assert me(user)["membership"]["awaiting_confirmation"] is False
    assert "Confirm your email address" not in client.get(reverse("account")).content.decode()


def test_a_forged_or_expired_link_starts_nothing(mail, settings):
    sign_up(FARM, "first@example.org")
    client, _ = sign_up(FARM, "second@example.org")
    user = User.objects.get(email="second@example.org")
    forged = client.get(reverse("confirm_email", args=["eyJ1IjoxfQ:forged:signature"]))
    assert forged.status_code == 400
    assert "ask for a new link on" in forged.content.decode()
    settings.SIGNIN_LIMITS = {**settings.SIGNIN_LIMITS, "confirm_link_days": 1}
    with mock.patch("django.core.signing.time.time",
                    return_value=timezone.now().timestamp() - 2 * 86400):
        old_token = emails.confirm_token(user)
    assert client.get(reverse("confirm_email", args=[old_token])).status_code == 400
    user.membership.refresh_from_db()
    assert user.membership.awaits_confirmation and not can_read_full(user)


def test_the_link_can_be_sent_again_a_few_times_an_hour(mail):
    sign_up(FARM, "first@example.org")
    client, _ = sign_up(FARM, "second@example.org")  # the welcome email is the first
    for _ in range(2):
        response = client.post(reverse("confirm_email_send"))
        assert response.status_code == 302
    refused = client.post(reverse("confirm_email_send"))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many attempts; try again in" in refused.content.decode()
    received = mail.wait_for(4)  # first's welcome, and three to second
    to_second = [m for m in received if m.recipients == ["second@example.org"]]
    assert len(to_second) == 3
    assert all("/account/confirm/" in m.body for m in to_second)


def test_reset_emails_to_a_waiting_address_share_its_hourly_budget(mail):
    sign_up(FARM, "first@example.org")
    sign_up(FARM, "second@example.org")  # one email
    asker = Client(REMOTE_ADDR=HOME)
    codes = [asker.post(reverse("password_reset"), {"email": "second@example.org"}).status_code
             for _ in range(3)]
    assert codes == [302, 302, 429]


def test_deleting_accounts_does_not_refill_the_day(mail):
    for n in range(5):
        client, _ = sign_up(FARM, f"farm{n}@example.org")
        client.post(reverse("account_delete"), {"password": PASSWORD})
    assert not User.objects.exists()
    assert sign_up(FARM, "farm5@example.org")[1].status_code == 429


def test_a_day_later_the_address_starts_afresh(mail):
    for n in range(5):
        sign_up(FARM, f"farm{n}@example.org")
    day_ago = timezone.now() - timedelta(hours=24, minutes=1)
    ThrottleAttempt.objects.filter(key__startswith="signup:").update(at=day_ago)
    _, response = sign_up(FARM, "tomorrow@example.org")
    assert response.status_code == 302
    assert can_read_full(User.objects.get(email="tomorrow@example.org"))


def test_a_refused_form_does_not_count(mail):
    client = Client(REMOTE_ADDR=FARM)
    for _ in range(10):
        assert client.post(reverse("signup"), {"email": "bad", "password": "x"}).status_code \
            == 400
    _, response = sign_up(FARM, "real@example.org")
    assert response.status_code == 302
    assert can_read_full(User.objects.get(email="real@example.org"))


def test_the_limits_are_settings(mail, settings):
    settings.SIGNIN_LIMITS = {**settings.SIGNIN_LIMITS, "signups_per_address": 2,
                              "instant_trials_per_address": 2}
    codes = [sign_up(FARM, f"farm{n}@example.org")[1].status_code for n in range(3)]
    assert codes == [302, 302, 429]
    assert all(can_read_full(user) for user in User.objects.all())
    setting = {s.name: s for s in SETTINGS}["BROADSHEET_SIGNUPS_PER_ADDRESS"]
    assert setting.read({"BROADSHEET_SIGNUPS_PER_ADDRESS": "7"}) == 7
    with pytest.raises(SettingError, match="1 or more"):
        setting.read({"BROADSHEET_SIGNUPS_PER_ADDRESS": "0"})


def test_a_link_that_cannot_be_sent_says_so_and_costs_nothing(mail, settings):
    sign_up(FARM, "first@example.org")
    client, _ = sign_up(FARM, "second@example.org")
    mail.stop()  # the mail server goes away
    response = client.post(reverse("confirm_email_send"))
    assert response.status_code == 503
    assert "We could not send the email just now" in response.content.decode()
    assert ThrottleAttempt.objects.filter(key__startswith="mail:").count() == 2  # the welcomes


def test_a_confirmed_reader_is_told_so(mail):
    client, _ = sign_up(FARM, "first@example.org")
    User.objects.filter(email="first@example.org").update(email_confirmed_at=timezone.now())
    response = client.post(reverse("confirm_email_send"), follow=True)
    assert "Your email address is already confirmed." in response.content.decode()


def test_sending_the_link_again_returns_to_the_page(mail):
    sign_up(FARM, "first@example.org")
    client, _ = sign_up(FARM, "second@example.org")
    page = client.get("/saved/").content.decode()
    assert 'name="next" value="/saved/"' in page
    response = client.post(reverse("confirm_email_send"), {"next": "/saved/"})
    assert response.status_code == 302 and response["Location"] == "/saved/"
    assert "We have sent a new link to second@example.org" in client.get("/saved/").content.decode()
