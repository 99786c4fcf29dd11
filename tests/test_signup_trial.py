"""Sign up with email and password: signed in at once, a free trial with full access, back to the
article the reader came from; a welcome email (over real SMTP) whose link confirms the address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from smtpfixture import smtp_server, smtp_settings  # noqa: F401 - fixtures, used by name

from broadsheet.config import settings as project_settings
from broadsheet.readers.models import Membership, User
from broadsheet.readers.paywall import can_read_full

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "correct horse battery staple"



def sign_up(client, email="new@example.org", password=GOOD_PASSWORD, next_url=None, **extra):
    data = {"email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("signup"), data, **extra)


def signed_in_user(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_the_form_has_fields_labelled_email_and_password(client):
    page = client.get(reverse("signup")).content.decode()
    assert re.search(r'<label for="id_email">Email</label>', page)
    assert re.search(r'<label for="id_password">Password</label>', page)
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'type="password"' in page and 'autocomplete="new-password"' in page


def test_signing_up_signs_in_and_starts_the_trial_with_full_access(client, settings):
    settings.TRIAL_DAYS = 14
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    before = timezone.now()
    response = sign_up(client, email="Reader@Example.ORG")
    assert response.status_code == 302
    user = signed_in_user(client)
    assert user is not None and user.email == "reader@example.org"
    assert user.check_password(GOOD_PASSWORD)
    assert user.password.startswith("argon2")
    membership = Membership.objects.get(user=user)
    assert membership.state == Membership.State.TRIALING
    assert before + timedelta(days=14) <= membership.trial_ends_at \
        <= timezone.now() + timedelta(days=14)
    assert can_read_full(user)
    assert user.email_confirmed_at is None  # access does not wait for a confirmation


def test_trial_length_comes_from_the_setting(client, settings):
    settings.TRIAL_DAYS = 3
    sign_up(client)
    membership = Membership.objects.get(user__email="new@example.org")
    left = membership.trial_ends_at - timezone.now()
    assert timedelta(days=2, hours=23) < left <= timedelta(days=3)


def test_signing_up_from_an_article_returns_to_it(client):
    article_path = "/article/42/bridge-closes/"
    page = client.get(reverse("signup") + "?next=" + article_path).content.decode()
    assert f'name="next" value="{article_path}"' in page
    response = sign_up(client, next_url=article_path)
    assert response.status_code == 302 and response["Location"] == article_path


@pytest.mark.parametrize("target", [
    "https://evil.example/phish", "//evil.example/phish", "http:///evil.example",
    "javascript:alert(1)", "https:evil.example",
])
def test_next_never_leaves_the_site(client, target):
    response = sign_up(client, next_url=target)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_used_address_gets_a_clear_error(client):
    User.objects.create_user("taken@example.org", GOOD_PASSWORD)
    response = sign_up(client, email="TAKEN@example.org")
    assert response.status_code == 400
    assert "An account with this email address already exists" in response.content.decode()
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1
    assert signed_in_user(client) is None


@pytest.mark.parametrize(("password", "complaint"), [
    ("short1", "too short"),
    ("password123", "too common"),
    ("83920174650", "entirely numeric"),
    ("newexample.org", "too similar"),
])
def test_weak_passwords_are_refused(client, password, complaint):
    response = sign_up(client, password=password)
    assert response.status_code == 400
    assert complaint in response.content.decode()
    assert not User.objects.filter(email="new@example.org").exists()


def test_a_bad_address_is_refused(client):
    response = sign_up(client, email="not-an-address")
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()


def test_csrf_token_is_required():
    strict = Client(enforce_csrf_checks=True)
    assert sign_up(strict).status_code == 403
    assert not User.objects.exists()


def test_signed_in_readers_are_sent_to_their_account(client):
    sign_up(client)
    response = client.get(reverse("signup"))
    assert response.status_code == 302 and response["Location"] == reverse("account")


@pytest.fixture
def huey_immediate():
    """Background tasks run at once, in this process (restored afterwards)."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before


@pytest.fixture
def huey_queue():
    """Background tasks wait in a queue in memory, as they would for `broadsheet worker`."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    before = HUEY.storage
    HUEY.storage = MemoryStorage(HUEY.name)
    yield HUEY
    HUEY.storage = before


@pytest.fixture
def silent_mail_server(settings):
    """A mail server that accepts the connection and then never says a word."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
    settings.EMAIL_TIMEOUT = 3
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield listener
    listener.close()


def test_signing_up_does_not_wait_for_a_silent_mail_server(client, silent_mail_server,
                                                            huey_queue):
    import time

    started = time.monotonic()
    response = sign_up(client, email="quick@example.org")
    took = time.monotonic() - started
    assert response.status_code == 302
    assert took < 2, f"sign-up waited {took:.1f}s for the mail server"
    assert huey_queue.pending_count() == 1  # the welcome email waits for the worker


def test_a_failed_welcome_email_is_retried_later(client, smtp_server, settings,  # noqa: F811
                                                  huey_queue):
    from broadsheet.readers.tasks import WELCOME_RETRIES

    port = smtp_server.port
    smtp_server.stop()  # nothing listens there any more
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    sign_up(client, email="retry@example.org")
    task = huey_queue.dequeue()
    huey_queue.execute(task)  # what the worker does: the send fails...
    [again] = huey_queue.scheduled()  # ...and the email is tried again later
    assert again.retries == WELCOME_RETRIES - 1


def test_welcome_email_arrives_over_smtp_and_its_link_confirms_the_address(
        client, smtp_settings, settings, huey_immediate):  # noqa: F811
    settings.SITE_URL = "https://news.example.org"
    sign_up(client, email="welcome@example.org")
    [message] = smtp_settings.wait_for(1)
    assert message.recipients == ["welcome@example.org"]
    assert "free trial" in message.subject
    link = re.search(r"https://news\.example\.org(/account/confirm/\S+/)", message.body)
    assert link, message.body
    page = client.get(link.group(1))
    assert page.status_code == 200 and "Address confirmed" in page.content.decode()
    confirmed_at = User.objects.get(email="welcome@example.org").email_confirmed_at
    assert timedelta(0) <= timezone.now() - confirmed_at < timedelta(minutes=5)


def test_a_forged_confirmation_link_confirms_nothing(client):
    sign_up(client, email="forged@example.org")
    response = client.get(reverse("confirm_email", args=["eyJ1IjoxfQ:forged:signature"]))
    assert response.status_code == 400
    assert User.objects.get(email="forged@example.org").email_confirmed_at is None


def test_signing_up_works_when_the_mail_server_is_down(client, settings, smtp_server,  # noqa: F811
                                                        huey_immediate):
    port = smtp_server.port
    smtp_server.stop()  # nothing listens there any more
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    response = sign_up(client, email="offline@example.org")
    assert response.status_code == 302
    assert can_read_full(signed_in_user(client))
