"""Password reset by email, delivered over SMTP to a real server on 127.0.0.1, and password
change for a signed-in reader."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from smtpfixture import smtp_server, smtp_settings  # noqa: F401 - fixtures, used by name

from broadsheet.readers.models import ThrottleAttempt, User

pytestmark = pytest.mark.django_db

OLD = "correct horse battery staple"
NEW = "a brand new passphrase here"




@pytest.fixture
def reader() -> User:
    return User.objects.create_user("reader@example.org", OLD)


@pytest.fixture
def mail(smtp_settings, settings):  # noqa: F811
    settings.SITE_URL = "https://news.example.org"
    return smtp_settings


def ask_for_reset(client, email="reader@example.org"):
    return client.post(reverse("password_reset"), {"email": email})


def reset_link(message) -> str:
    found = re.search(r"https://news\.example\.org(/account/password/reset/\S+/\S+/)",
                      message.body)
    assert found, message.body
    return found.group(1)


def test_reset_link_arrives_over_smtp_and_sets_a_new_password(client, reader, mail):
    response = ask_for_reset(client, email="Reader@Example.org")
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    [message] = mail.wait_for(1)
    assert message.recipients == ["reader@example.org"]
    assert message.subject == "Reset your Broadsheet password"
    assert any(line.upper().startswith("DATA") for line in mail.commands)

    link = reset_link(message)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")

    reader.refresh_from_db()
    assert reader.check_password(NEW) and not reader.check_password(OLD)
    assert client.login(email="reader@example.org", password=NEW)

    # The link works once.
    again = client.get(link, follow=True)
    assert "This link does not work" in again.content.decode()


def test_links_use_the_site_address_not_the_request_host(client, reader, mail, settings):
    settings.ALLOWED_HOSTS = ["*"]
    client.post(reverse("password_reset"), {"email": "reader@example.org"},
                HTTP_HOST="attacker.example")
    [message] = mail.wait_for(1)
    assert "attacker.example" not in message.body
    assert "https://news.example.org/account/password/reset/" in message.body


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, reader, mail):
    response = ask_for_reset(client, email="stranger@example.org")
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.messages == []


def test_a_weak_new_password_is_refused(client, reader, mail):
    ask_for_reset(client)
    [message] = mail.wait_for(1)
    page = client.get(reset_link(message), follow=True)
    set_url = page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200
    assert "too common" in response.content.decode()
    reader.refresh_from_db()
    assert reader.check_password(OLD)


def test_a_tampered_link_does_not_work(client, reader, mail):
    ask_for_reset(client)
    [message] = mail.wait_for(1)
    link = reset_link(message)
    tampered = link[:-3] + ("aa/" if not link.endswith("aa/") else "bb/")
    page = client.get(tampered, follow=True)
    assert "This link does not work" in page.content.decode()


def test_reset_emails_are_limited_per_address(client, reader, mail):
    for _ in range(3):
        assert ask_for_reset(client).status_code == 302
    response = ask_for_reset(client)
    assert response.status_code == 429
    assert "Too many attempts; try again in" in response.content.decode()
    assert len(mail.wait_for(3)) == 3


def test_the_form_is_labelled(client):
    assert '<label for="id_email">Email</label>' in client.get(
        reverse("password_reset")).content.decode()


# -- change while signed in ----------------------------------------------------------------------

def test_change_password_needs_the_old_one_and_keeps_the_reader_signed_in(client, reader):
    client.force_login(reader)
    wrong = client.post(reverse("password_change"), {
        "old_password": "not it at all", "new_password1": NEW, "new_password2": NEW})
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    response = client.post(reverse("password_change"), {
        "old_password": OLD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302 and response["Location"] == reverse("password_change_done")
    reader.refresh_from_db()
    assert reader.check_password(NEW)
    assert client.get(reverse("account")).status_code == 200  # still signed in


def test_change_password_refuses_a_weak_one(client, reader):
    client.force_login(reader)
    response = client.post(reverse("password_change"), {
        "old_password": OLD, "new_password1": "reader123", "new_password2": "reader123"})
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.check_password(OLD)


def test_change_password_needs_a_signed_in_reader(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("signin"))


def test_a_reset_email_that_cannot_be_sent_says_so(client, reader, smtp_server,  # noqa: F811
                                                   settings):
    port = smtp_server.port
    smtp_server.stop()  # nothing listens there any more
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    response = ask_for_reset(client)
    assert response.status_code == 503
    assert "We could not send the email just now" in response.content.decode()
    # The failure does not use up the reader's three reset emails.
    from broadsheet.readers.throttle import reset_throttle

    assert reset_throttle.check("reader@example.org", "127.0.0.1").allowed
    assert not ThrottleAttempt.objects.exists()


def test_a_silent_mail_server_times_out_with_the_same_message(client, reader, settings):
    import socket
    import time

    listener = socket.socket()  # accepts connections, never answers
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
    settings.EMAIL_TIMEOUT = 1
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        started = time.monotonic()
        response = ask_for_reset(client)
        assert time.monotonic() - started < 5
    finally:
        listener.close()
    assert response.status_code == 503
    assert "We could not send the email just now" in response.content.decode()


# -- wrong current passwords count like failed sign-ins ---------------------------------------

def test_guessing_the_old_password_is_throttled(client, reader):
    client.force_login(reader)
    for _ in range(5):
        wrong = client.post(reverse("password_change"), {
            "old_password": "a guess", "new_password1": NEW, "new_password2": NEW})
        assert wrong.status_code == 200
    response = client.post(reverse("password_change"), {
        "old_password": OLD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert int(response["Retry-After"]) >= 1
    reader.refresh_from_db()
    assert reader.check_password(OLD)
    # The same count as signing in: from this address the account waits there too.
    signin = Client().post(reverse("signin"), {"email": "reader@example.org", "password": OLD})
    assert signin.status_code == 429


def test_guessing_the_password_to_delete_the_account_is_throttled(client, reader):
    client.force_login(reader)
    for _ in range(5):
        assert client.post(reverse("account_delete"), {"password": "a guess"}).status_code == 400
    response = client.post(reverse("account_delete"), {"password": OLD})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert User.objects.filter(pk=reader.pk).exists()


def test_a_right_password_clears_the_count(client, reader):
    client.force_login(reader)
    for _ in range(4):
        client.post(reverse("password_change"), {
            "old_password": "a guess", "new_password1": NEW, "new_password2": NEW})
    response = client.post(reverse("password_change"), {
        "old_password": OLD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302
    assert not ThrottleAttempt.objects.filter(key__contains=":email:").exists()
