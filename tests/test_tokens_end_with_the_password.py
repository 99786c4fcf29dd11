"""A new password locks out every app and private feed of the reader; the account page lists
them, revokes them one by one and makes private feed addresses."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from broadsheet.api.auth import issue_token, user_for_token
from broadsheet.api.models import ApiToken
from broadsheet.readers.models import User

pytestmark = pytest.mark.django_db

OLD = "correct horse battery staple"
NEW = "a brand new passphrase here"



@pytest.fixture
def reader() -> User:
    return User.objects.create_user("reader@example.org", OLD)


def three_tokens(user) -> dict[str, str]:
    return {kind: issue_token(user, kind, f"My {kind}").secret for kind in ApiToken.Kind.values}


def all_dead(secrets: dict[str, str]) -> bool:
    return all(user_for_token(secret, kind) is None for kind, secret in secrets.items())


def test_changing_the_password_revokes_every_token(client, reader):
    secrets = three_tokens(reader)
    client.force_login(reader)
    response = client.post(reverse("password_change"), {
        "old_password": OLD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert all_dead(secrets)
    assert client.get(reverse("account")).status_code == 200  # this session stays signed in


def test_resetting_the_password_revokes_every_token(reader):
    secrets = three_tokens(reader)
    browser = Client()
    uid = urlsafe_base64_encode(force_bytes(reader.pk))
    link = reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(reader)])
    form_page = browser.get(link, follow=True)
    assert form_page.status_code == 200
    response = browser.post(form_page.redirect_chain[-1][0],
                            {"new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    reader.refresh_from_db()
    assert reader.check_password(NEW)
    assert all_dead(secrets)


def test_a_password_set_anywhere_else_revokes_too(reader):
    secrets = three_tokens(reader)
    reader.set_password(NEW)  # the admin, `broadsheet users`, changepassword
    reader.save()
    assert all_dead(secrets)


def test_other_saves_and_hash_upgrades_keep_the_tokens(reader, settings):
    secrets = three_tokens(reader)
    reader.time_zone = "Europe/Paris"
    reader.save()
    # A stronger hasher is configured: the next sign-in re-hashes the same password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                 "django.contrib.auth.hashers.MD5PasswordHasher"]
    assert reader.check_password(OLD)
    reader.refresh_from_db()
    assert reader.password.startswith("pbkdf2_")
    assert all(user_for_token(secret, kind) == reader for kind, secret in secrets.items())


def test_account_page_lists_tokens_and_revokes_one(client, reader):
    secrets = three_tokens(reader)
    client.force_login(reader)
    page = client.get(reverse("account")).content.decode()
    assert "Reader apps and private feeds" in page
    for label in ("JSON API", "Google Reader API", "Private feed"):
        assert label in page
    assert "My greader" in page and "Never" in page
    token = ApiToken.objects.get(user=reader, kind=ApiToken.Kind.GREADER)
    assert reverse("token_revoke", args=[token.pk]) in page
    response = client.post(reverse("token_revoke", args=[token.pk]), follow=True)
    assert "no longer works" in response.content.decode()
    assert user_for_token(secrets["greader"], "greader") is None
    assert user_for_token(secrets["api"], "api") == reader


def test_last_use_is_shown(client, reader):
    secret = issue_token(reader, ApiToken.Kind.API, "Phone app").secret
    user_for_token(secret, ApiToken.Kind.API)
    client.force_login(reader)
    row = re.search(r"Phone app.*?</tr>", client.get(reverse("account")).content.decode(), re.S)
    assert row and "Never" not in row.group(0)


def test_one_reader_cannot_revoke_anothers_token(client, reader):
    other = User.objects.create_user("other@example.org", OLD)
    secret = issue_token(other, ApiToken.Kind.API).secret
    token = ApiToken.objects.get(user=other)
    client.force_login(reader)
    response = client.post(reverse("token_revoke", args=[token.pk]), follow=True)
    assert "no such app" in response.content.decode()
    assert user_for_token(secret, ApiToken.Kind.API) == other


def test_revoking_needs_post(client, reader):
    issue_token(reader)
    token = ApiToken.objects.get(user=reader)
    client.force_login(reader)
    assert client.get(reverse("token_revoke", args=[token.pk])).status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_private_feed_address_is_made_and_shown_once(client, reader, settings):
    settings.SITE_URL = "https://news.example.org"
    client.force_login(reader)
    response = client.post(reverse("private_feed_new"), follow=True)
    page = response.content.decode()
    found = re.search(r'value="https://news\.example\.org(/feeds/private/[^"]+/latest\.xml)"', page)
    assert found, page
    assert ApiToken.objects.filter(user=reader, kind=ApiToken.Kind.FEED).count() == 1
    assert Client().get(found.group(1)).status_code == 200  # the address works as a feed
    assert found.group(1) not in client.get(reverse("account")).content.decode()  # shown once
