"""Opting in to the daily briefing: by the API (``PATCH /api/v1/me``, token or session with
CSRF) and on the account page (hour, time zone, the browser's zone by default)."""

from __future__ import annotations

import pytest
from api_support import make_reader
from django.test import Client
from django.urls import reverse

from broadsheet.api.auth import issue_token
from broadsheet.curation.models import Briefing

pytestmark = pytest.mark.django_db

OPT_IN = {"briefing": {"enabled": True, "hour": 7, "time_zone": "Europe/London"}}


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user).secret}"}


def patch(client, body, **headers):
    return client.patch("/api/v1/me", body, content_type="application/json", **headers)


# --- the API ------------------------------------------------------------------------------------

def test_me_shows_the_briefing_off_with_defaults(client, settings):
    settings.TIME_ZONE = "UTC"
    reader = make_reader("trial")
    data = client.get("/api/v1/me", **bearer(reader)).json()
    assert data["briefing"] == {"enabled": False, "hour": 7, "time_zone": "UTC"}
    reader.time_zone = "Europe/Paris"
    reader.save()
    data = client.get("/api/v1/me", **bearer(reader)).json()
    assert data["briefing"]["time_zone"] == "Europe/Paris"  # the reader's own zone first


def test_opting_in_with_a_token(client):
    reader = make_reader("trial")
    response = patch(client, OPT_IN, **bearer(reader))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["briefing"] == OPT_IN["briefing"]
    assert body["email"] == reader.email and "membership" in body  # the same body as GET
    assert response.json() == client.get("/api/v1/me", **bearer(reader)).json()
    assert "no-store" in response["Cache-Control"]
    saved = Briefing.objects.get(user=reader)
    assert (saved.enabled, saved.hour, saved.time_zone) == (True, 7, "Europe/London")


def test_any_field_may_be_left_out(client):
    reader = make_reader("trial")
    patch(client, OPT_IN, **bearer(reader))
    changed = patch(client, {"briefing": {"hour": 18}}, **bearer(reader)).json()["briefing"]
    assert changed == {"enabled": True, "hour": 18, "time_zone": "Europe/London"}
    off = patch(client, {"briefing": {"enabled": False}}, **bearer(reader)).json()["briefing"]
    assert off == {"enabled": False, "hour": 18, "time_zone": "Europe/London"}
    assert patch(client, {}, **bearer(reader)).json()["briefing"] == off


@pytest.mark.parametrize(("briefing", "field"), [
    ({"hour": 24}, "hour"),
    ({"hour": -1}, "hour"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
    ({"time_zone": "../../etc/passwd"}, "time_zone"),
    ({"enabled": "sometimes"}, "enabled"),
])
def test_bad_values_are_refused_naming_the_field(client, briefing, field):
    reader = make_reader("trial")
    response = patch(client, {"briefing": briefing}, **bearer(reader))
    assert response.status_code == 422
    assert f"briefing.{field}:" in response.json()["detail"]
    assert not Briefing.objects.filter(user=reader).exists()


def test_a_visitor_cannot_patch(client):
    assert patch(client, OPT_IN).status_code == 401


def test_the_session_needs_csrf():
    reader = make_reader("trial")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader)
    refused = patch(browser, OPT_IN)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Briefing.objects.filter(user=reader).exists()
    browser.cookies.load({"csrftoken": "a" * 32})
    accepted = patch(browser, OPT_IN, HTTP_X_CSRFTOKEN="a" * 32)
    assert accepted.status_code == 200
    assert accepted.json()["briefing"]["enabled"] is True


# --- the account page ---------------------------------------------------------------------------

def test_the_account_page_offers_the_briefing_with_the_browsers_zone(client, settings):
    settings.TIME_ZONE = "UTC"
    reader = make_reader("trial")
    client.force_login(reader)
    page = client.get(reverse("account")).content.decode()
    assert '<h2 id="briefing-title">Daily briefing</h2>' in page
    assert f'action="{reverse("briefing_settings")}"' in page
    assert 'name="enabled"' in page and 'name="hour"' in page
    assert '<option value="7" selected>07:00</option>' in page
    # Never chosen: the select carries the marker briefing.js fills from the browser.
    assert 'data-browser-time-zone=""' in page and "web/briefing.js" in page
    assert '<option value="UTC" selected>UTC</option>' in page  # without JavaScript
    assert '<option value="America/New_York">America/New York</option>' in page


def test_saving_the_form_opts_in(client):
    reader = make_reader("trial")
    client.force_login(reader)
    response = client.post(reverse("briefing_settings"),
                           {"enabled": "on", "hour": "6", "time_zone": "America/New_York"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account") + "#briefing-title"
    saved = Briefing.objects.get(user=reader)
    assert (saved.enabled, saved.hour, saved.time_zone) == (True, 6, "America/New_York")
    page = client.get(reverse("account")).content.decode()
    assert "Your daily briefing is on: every day at 06:00, America/New_York time." in page
    assert '<option value="America/New_York" selected>' in page
    assert 'data-browser-time-zone' not in page  # chosen now: the browser's zone is not forced
    client.post(reverse("briefing_settings"), {"hour": "6", "time_zone": "America/New_York"})
    assert Briefing.objects.get(user=reader).enabled is False  # unticked: off


def test_a_bad_zone_from_the_form_shows_the_page_again_with_the_error(client):
    reader = make_reader("trial")
    client.force_login(reader)
    response = client.post(reverse("briefing_settings"),
                           {"enabled": "on", "hour": "7", "time_zone": "Nowhere/Atlantis"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Your account" in page and "Select a valid choice" in page
    assert not Briefing.objects.filter(user=reader).exists()
    bad_hour = client.post(reverse("briefing_settings"),
                           {"enabled": "on", "hour": "25", "time_zone": "Europe/London"})
    assert bad_hour.status_code == 400


def test_the_form_needs_a_signed_in_reader(client):
    response = client.post(reverse("briefing_settings"),
                           {"enabled": "on", "hour": "7", "time_zone": "Europe/London"})
    assert response.status_code == 302 and "/account/signin/" in response["Location"]
    assert not Briefing.objects.exists()
