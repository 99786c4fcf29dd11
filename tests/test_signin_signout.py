"""Sign in by email and password (throttled after repeated failures), sign out by POST, and
session cookies that are HttpOnly, SameSite and Secure over HTTPS."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from broadsheet.readers.middleware import SecureCookiesOverHttpsMiddleware
from broadsheet.readers.models import User
from broadsheet.readers.throttle import Throttle

PASSWORD = "correct horse battery staple"




@pytest.fixture
def reader(db) -> User:
    return User.objects.create_user("reader@example.org", PASSWORD)


def sign_in(client, email="reader@example.org", password=PASSWORD, **extra):
    return client.post(reverse("signin"), {"email": email, "password": password, **extra})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_form_has_fields_labelled_email_and_password(client, db):
    page = client.get(reverse("signin")).content.decode()
    assert '<label for="id_email">Email</label>' in page
    assert '<label for="id_password">Password</label>' in page
    assert reverse("password_reset") in page and reverse("signup") in page


def test_sign_in_with_any_case_of_the_address(client, reader):
    response = sign_in(client, email="  Reader@EXAMPLE.org ")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert signed_in(client)


def test_sign_in_returns_to_next_on_this_site_only(client, reader):
    assert sign_in(client, next="/saved/")["Location"] == "/saved/"
    other = Client()
    assert sign_in(other, next="https://evil.example/")["Location"] == reverse("home")


def test_wrong_password_or_unknown_address_gets_one_plain_error(client, reader):
    for email, password in (("reader@example.org", "wrong password!"),
                            ("nobody@example.org", PASSWORD)):
        response = sign_in(client, email=email, password=password)
        assert response.status_code == 400
        assert "do not match an account" in response.content.decode()
        assert not signed_in(client)


def test_a_deactivated_account_cannot_sign_in(client, reader):
    reader.is_active = False
    reader.save()
    assert sign_in(client).status_code == 400
    assert not signed_in(client)


def test_csrf_token_is_required(reader):
    assert sign_in(Client(enforce_csrf_checks=True)).status_code == 403


# -- throttling ----------------------------------------------------------------------------------

def test_after_five_failures_from_one_address_even_the_right_password_waits(client, reader):
    for _ in range(5):
        assert sign_in(client, password="not the password").status_code == 400
    response = sign_in(client)  # right password, too soon
    assert response.status_code == 429
    assert "Too many attempts; try again in 2 seconds." in response.content.decode()
    assert response["Retry-After"] == "2"
    assert not signed_in(client)
    # The owner at another address is not held up by the guesses.
    assert sign_in(Client(REMOTE_ADDR="10.0.0.9")).status_code == 302


def test_a_successful_sign_in_clears_the_address_count(client, reader):
    for _ in range(4):
        sign_in(client, password="not the password")
    assert sign_in(client).status_code == 302
    client.post(reverse("signout"))
    for _ in range(4):
        assert sign_in(client, password="not the password").status_code == 400
    assert sign_in(client).status_code == 302


def test_one_client_guessing_many_addresses_is_locked_out(db, reader):
    guesser = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(20):
        assert sign_in(guesser, email=f"victim{n}@example.org").status_code == 400
    response = sign_in(guesser)  # a real account, right password, same client
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert sign_in(Client(REMOTE_ADDR="198.51.100.1")).status_code == 302


def test_the_window_closes_after_fifteen_minutes(db):
    throttle = Throttle("test", free_failures=5, max_delay=900, per_address=20, window=900)
    for second in range(20):
        throttle.failed(f"a{second}@example.org", "1.2.3.4", now=1000.0 + second)
    verdict = throttle.check("b@example.org", "1.2.3.4", now=1019.0)
    assert not verdict.allowed and verdict.minutes == 15
    assert throttle.check("b@example.org", "1.2.3.4", now=1000.0 + 840).message \
        == "Too many attempts; try again in 1 minute."
    assert throttle.check("b@example.org", "1.2.3.4", now=1000.0 + 900).allowed
    assert throttle.check("b@example.org", "5.6.7.8", now=1019.0).allowed


# -- signing out ---------------------------------------------------------------------------------

def test_sign_out_needs_a_post(client, reader):
    sign_in(client)
    page = client.get(reverse("signout"))
    assert page.status_code == 200 and signed_in(client)
    assert 'method="post"' in page.content.decode()
    response = client.post(reverse("signout"))
    assert response.status_code == 302 and not signed_in(client)
    assert client.get(reverse("account"))["Location"].startswith(reverse("signin"))


def test_sign_out_is_csrf_protected(reader):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reader)
    assert strict.post(reverse("signout")).status_code == 403
    assert "_auth_user_id" in strict.session


# -- cookies -------------------------------------------------------------------------------------

def test_session_cookie_is_httponly_and_samesite(client, reader):
    response = sign_in(client)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_session_is_renewed_on_sign_in(client, reader):
    client.get(reverse("signin"))
    client.session.save()
    before = client.session.session_key
    sign_in(client)
    assert client.session.session_key != before


@pytest.fixture
def secure_cookie_middleware(settings):
    middleware = list(settings.MIDDLEWARE)
    name = "broadsheet.readers.middleware.SecureCookiesOverHttpsMiddleware"
    if name not in middleware:
        middleware.insert(middleware.index("django.middleware.security.SecurityMiddleware") + 1,
                          name)
        settings.MIDDLEWARE = middleware


def test_cookies_are_secure_over_https(secure_cookie_middleware, reader):
    over_https = Client()
    response = over_https.post(reverse("signin"), {"email": "reader@example.org",
                                                   "password": PASSWORD}, secure=True)
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    page = Client().get(reverse("signin"), secure=True)
    assert page.cookies["csrftoken"]["secure"] is True


def test_cookies_over_https_behind_a_proxy_are_secure(secure_cookie_middleware, reader,
                                                     settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # BEHIND_PROXY=1
    response = Client().post(reverse("signin"), {"email": "reader@example.org",
                                                 "password": PASSWORD},
                             HTTP_X_FORWARDED_PROTO="https")
    assert response.cookies["sessionid"]["secure"] is True


def test_forwarded_proto_is_ignored_unless_behind_a_proxy(secure_cookie_middleware, reader,
                                                          settings):
    assert not settings.BEHIND_PROXY
    assert getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is None
    response = Client().post(reverse("signin"), {"email": "reader@example.org",
                                                 "password": PASSWORD},
                             HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 302
    assert not response.cookies["sessionid"]["secure"]


def test_behind_proxy_setting_trusts_forwarded_proto(tmp_path):
    import os
    import subprocess
    import sys

    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.SECURE_PROXY_SSL_HEADER)")
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "broadsheet.config.settings",
               "BROADSHEET_HOME": str(tmp_path), "BROADSHEET_BEHIND_PROXY": "1"}
    shown = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True,
                           text=True, check=True).stdout
    assert "HTTP_X_FORWARDED_PROTO" in shown


def test_cookies_over_plain_http_stay_usable(secure_cookie_middleware, reader):
    response = Client().post(reverse("signin"), {"email": "reader@example.org",
                                                 "password": PASSWORD})
    assert response.status_code == 302
    assert not response.cookies["sessionid"]["secure"]


def test_middleware_marks_every_cookie_of_a_secure_response(rf):
    from django.http import HttpResponse

    def view(request):
        response = HttpResponse("ok")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2", httponly=True)
        return response

    middleware = SecureCookiesOverHttpsMiddleware(view)
    secure = middleware(rf.get("/", secure=True))
    assert all(secure.cookies[name]["secure"] is True for name in ("a", "b"))
    plain = middleware(rf.get("/"))
    assert not any(plain.cookies[name]["secure"] for name in ("a", "b"))
