"""Every door that takes a password (web sign-in, admin login, the Google Reader ClientLogin, the
password-change and delete-account forms) and the password-reset request follow the same rules:
a throttled attempt is answered HTTP 429 with Retry-After, and only the guessing address waits."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from smtpfixture import smtp_server, smtp_settings  # noqa: F401 - fixtures, used by name

from broadsheet.readers.models import User

PASSWORD = "correct horse battery staple"
NEW = "a brand new passphrase here"
ATTACKER, OWNER = "203.0.113.7", "198.51.100.1"

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader() -> User:
    return User.objects.create_user("reader@example.org", PASSWORD)


def client_login(client, password):
    return client.post("/accounts/ClientLogin", {"Email": "reader@example.org",
                                                 "Passwd": password})


def test_reader_app_sign_in_waits_only_at_the_guessing_address(reader):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    codes = [client_login(attacker, f"guess {n}").status_code for n in range(8)]
    assert codes == [401] * 5 + [429] * 3
    refused = client_login(attacker, PASSWORD)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Too many attempts" in refused.content.decode()
    owner_app = client_login(Client(REMOTE_ADDR=OWNER), PASSWORD)
    assert owner_app.status_code == 200 and "Auth=" in owner_app.content.decode()


def test_guesses_at_the_app_door_count_at_the_web_door(reader):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(5):
        client_login(attacker, f"guess {n}")
    response = attacker.post(reverse("signin"), {"email": "reader@example.org",
                                                 "password": PASSWORD})
    assert response.status_code == 429 and response.has_header("Retry-After")


def test_the_password_forms_of_a_signed_in_reader_share_the_count(reader):
    session = Client(REMOTE_ADDR=ATTACKER)  # someone holding the reader's session
    session.force_login(reader)
    for n in range(3):
        session.post(reverse("password_change"), {
            "old_password": f"guess {n}", "new_password1": NEW, "new_password2": NEW})
    for n in range(2):
        assert session.post(reverse("account_delete"),
                            {"password": f"guess {n}"}).status_code == 400
    refused = session.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    reader.refresh_from_db()
    assert reader.check_password(PASSWORD)
    owner = Client(REMOTE_ADDR=OWNER)
    assert owner.post(reverse("signin"), {"email": "reader@example.org",
                                          "password": PASSWORD}).status_code == 302


def test_reset_requests_are_answered_429_with_retry_after(reader, smtp_settings):  # noqa: F811
    asker = Client(REMOTE_ADDR=ATTACKER)
    codes = [asker.post(reverse("password_reset"), {"email": "reader@example.org"}).status_code
             for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    refused = asker.post(reverse("password_reset"), {"email": "reader@example.org"})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many attempts; try again in" in refused.content.decode()
    assert len(smtp_settings.wait_for(3)) == 3


def test_reset_requests_for_many_addresses_hit_the_address_ceiling(db, smtp_settings,  # noqa: F811
                                                                   settings):
    asker = Client(REMOTE_ADDR=ATTACKER)
    limit = settings.SIGNIN_LIMITS["per_address"]
    for n in range(limit):
        assert asker.post(reverse("password_reset"),
                          {"email": f"someone{n}@example.org"}).status_code == 302
    refused = asker.post(reverse("password_reset"), {"email": "one.more@example.org"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 14 * 60
    other = Client(REMOTE_ADDR=OWNER)
    assert other.post(reverse("password_reset"),
                      {"email": "one.more@example.org"}).status_code == 302
