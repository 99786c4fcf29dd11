"""The admin's sign-in form is throttled like the web sign-in: guessing an editor's password at
/admin/login/ soon waits (HTTP 429 with Retry-After and a page that says when to try again),
shares its count with /account/signin/, and never locks the editor out from their own address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from broadsheet.readers.models import User

PASSWORD = "correct horse battery staple"
ATTACKER, EDITOR = "203.0.113.7", "198.51.100.20"


@pytest.fixture
def editor(db) -> User:
    return User.objects.create_user("editor@example.org", PASSWORD, is_staff=True,
                                    is_superuser=True)


def admin_login(client, password, email="editor@example.org"):
    return client.post("/admin/login/", {"username": email, "password": password,
                                         "next": "/admin/"})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_are_not_all_answered(editor):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    codes = [admin_login(attacker, f"guess number {n}").status_code for n in range(30)]
    assert codes[:5] == [200] * 5  # Django's admin answers a wrong password with the form again
    assert set(codes[5:]) == {429}
    response = admin_login(attacker, PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    page = response.content.decode()
    assert "Too many attempts; try again in" in page
    assert not signed_in(attacker)


def test_the_editor_signs_in_from_their_own_address_meanwhile(editor):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(30):
        admin_login(attacker, f"guess number {n}")
    own = Client(REMOTE_ADDR=EDITOR)
    response = admin_login(own, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert signed_in(own)


def test_admin_and_web_sign_in_share_one_count(editor):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(3):
        assert admin_login(attacker, f"guess number {n}").status_code == 200
    for n in range(2):
        response = attacker.post(reverse("signin"), {"email": "editor@example.org",
                                                     "password": f"web guess {n}"})
        assert response.status_code == 400
    assert admin_login(attacker, PASSWORD).status_code == 429
    assert attacker.post(reverse("signin"), {"email": "editor@example.org",
                                             "password": PASSWORD}).status_code == 429


def test_an_empty_form_and_the_form_page_cost_nothing(editor):
    client = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(10):
        assert client.get("/admin/login/").status_code == 200
        assert client.post("/admin/login/", {"username": "", "password": ""}).status_code == 200
    assert admin_login(client, PASSWORD).status_code == 302


def test_csrf_is_checked_before_anything_is_counted(editor):
    strict = Client(enforce_csrf_checks=True, REMOTE_ADDR=ATTACKER)
    for n in range(10):
        assert admin_login(strict, f"guess {n}").status_code == 403
    assert admin_login(Client(REMOTE_ADDR=ATTACKER), PASSWORD).status_code == 302
