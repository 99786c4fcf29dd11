"""Unsubscribing from the daily briefing without signing in: the email's link (GET) stops it at
once and offers "Subscribe again"; a mail app's one-click POST (RFC 8058) stops it too; a forged
link changes nothing. Answers are never cached."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from briefing_support import news, opt_in, reader, site  # noqa: F401
from django.core import signing
from django.test import Client
from smtpfixture import smtp_server, smtp_settings  # noqa: F401 - fixtures, used by name

from broadsheet.curation import briefing
from broadsheet.curation.models import Briefing
from broadsheet.web.briefing import send_due, unsubscribe_url

pytestmark = pytest.mark.django_db

MORNING = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2026, 12, 8, 7, 0, tzinfo=UTC)


@pytest.fixture
def subscriber(site):  # noqa: F811
    subscriber = reader("subscriber@example.org")
    opt_in(subscriber, 7, "Europe/London")
    return subscriber


def path_of(url: str) -> str:
    return url.removeprefix("https://news.example.org")


def enabled(user) -> bool:
    return Briefing.objects.get(user=user).enabled


def assert_private(response) -> None:
    cache_control = response["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control


def test_the_emails_one_click_header_unsubscribes(news, subscriber, smtp_settings):  # noqa: F811
    assert send_due(now=MORNING).sent == 1
    [message] = smtp_settings.wait_for(1)
    link = message.message["List-Unsubscribe"].strip()[1:-1]
    assert message.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # What a mail app does (RFC 8058): a POST without cookies or CSRF token.
    mail_app = Client(enforce_csrf_checks=True)
    response = mail_app.post(path_of(link), "List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert_private(response)
    assert not enabled(subscriber)
    assert send_due(now=NEXT_MORNING).sent == 0
    assert len(smtp_settings.messages) == 1


def test_a_post_that_is_not_one_click_changes_nothing(subscriber):
    response = Client(enforce_csrf_checks=True).post(
        path_of(unsubscribe_url(subscriber)), {"something": "else"})
    assert response.status_code == 400
    assert enabled(subscriber)


def test_following_the_link_unsubscribes_without_signing_in(subscriber):
    visitor = Client()
    response = visitor.get(path_of(unsubscribe_url(subscriber)))
    assert response.status_code == 200
    assert_private(response)
    page = response.content.decode()
    assert "You are unsubscribed" in page and "subscriber@example.org" in page
    assert "Subscribe again" in page
    assert not enabled(subscriber)
    assert "_auth_user_id" not in visitor.session  # nobody was signed in


def test_subscribe_again_from_the_page(subscriber):
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(path_of(unsubscribe_url(subscriber)))
    assert not enabled(subscriber)
    token = page.context["csrf_token"]
    # The page's own signed address (signed when the page was made: a second later than a
    # token signed here may be); posting to it below is what proves it is this reader's.
    found = re.search(r'action="(/briefing/resubscribe/[^"]+)"', page.content.decode())
    assert found, "the page offers to subscribe again"
    action = found.group(1)
    assert visitor.post(action).status_code == 403  # a form like any other: CSRF protected
    response = visitor.post(action, {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 200
    assert_private(response)
    assert "You are subscribed again" in response.content.decode()
    chosen = Briefing.objects.get(user=subscriber)
    assert (chosen.enabled, chosen.hour, chosen.time_zone) == (True, 7, "Europe/London")


def test_a_link_checkers_head_request_changes_nothing(subscriber):
    response = Client().head(path_of(unsubscribe_url(subscriber)))
    assert response.status_code == 200
    assert enabled(subscriber)


@pytest.mark.parametrize("token", [
    "not-a-token",
    signing.dumps({"u": 1}, salt="some.other.salt"),  # signed, but for something else
    "eyJ1IjoxfQ:1abcde:forgedsignatureforgedsignatureforgedsig",
])
def test_a_forged_link_changes_nothing(subscriber, token):
    victim = signing.dumps({"u": subscriber.pk}, salt="wrong")
    for bad in (token, victim):
        client = Client(enforce_csrf_checks=True)
        got = client.get(f"/briefing/unsubscribe/{bad}/")
        assert got.status_code == 400
        assert "This link does not work" in got.content.decode()
        assert_private(got)
        posted = client.post(f"/briefing/unsubscribe/{bad}/", "List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")
        assert posted.status_code == 400
    assert enabled(subscriber)


def test_a_tampered_token_for_another_reader_changes_nothing(subscriber):
    other = reader("other@example.org")
    opt_in(other, 7, "Europe/London")
    genuine = briefing.unsubscribe_token(subscriber)
    payload, _, rest = genuine.partition(":")
    forged_payload = signing.b64_encode(f'{{"u":{other.pk}}}'.encode()).decode()
    response = Client().get(f"/briefing/unsubscribe/{forged_payload}:{rest}/")
    assert response.status_code == 400
    assert enabled(subscriber) and enabled(other)
