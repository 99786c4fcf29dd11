"""Every answer carries the security headers a public site needs: a Content-Security-Policy that
runs no inline script, a Permissions-Policy, and, behind an HTTPS proxy, Strict-Transport-Security.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from api_support import make_article, make_publisher, make_reader

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    found: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


@pytest.mark.parametrize("path", ["/", "/search?q=tide", "/account/signin/", "/admin/login/",
                                  "/api/v1/articles", "/api/v1/docs", "/offline/"])
def test_every_page_sends_a_policy_without_inline_script(client, path):
    make_article(make_publisher(), 1)
    response = client.get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    script = policy["script-src"]
    assert script[0] == "'self'" and script[1].startswith("'nonce-") and len(script) == 2
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"][0] == "'self'"
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]  # pictures come through /img/
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_each_request_gets_its_own_nonce(client):
    first = directives(client.get("/"))["script-src"][1]
    second = directives(client.get("/"))["script-src"][1]
    assert first != second


def test_pages_have_no_inline_script_or_style(client):
    article = make_article(make_publisher(), 2)
    client.force_login(make_reader("active"))
    for path in ("/", f"/article/{article.pk}/x/", f"/article/{article.pk}/print/", "/account/",
                 "/for-you/", "/search?q=tide"):
        page = client.get(path, follow=True).content.decode()
        for tag in page.split("<script")[1:]:
            assert " src=" in tag.split(">")[0], f"{path}: inline script <script{tag[:80]}"
        assert " style=" not in page, path
        assert "<style" not in page, path


def test_stripe_checkout_is_a_form_target_when_payments_are_on(client, settings):
    settings.BILLING = "stripe"
    policy = directives(client.get("/"))
    assert policy["form-action"] == ["'self'", "https://checkout.stripe.com",
                                     "https://billing.stripe.com"]


HEADERS_OF = """
import json, os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "broadsheet.config.settings"
django.setup()
from django.test import Client
answers = {}
for proto in ("https", "http"):
    response = Client().get("/manifest.webmanifest", HTTP_HOST="127.0.0.1",
                            HTTP_X_FORWARDED_PROTO=proto)
    answers[proto] = response.headers.get("Strict-Transport-Security")
print(json.dumps(answers))
"""


def hsts_headers(tmp_path: Path, **env: str) -> dict[str, str | None]:
    environment = {**os.environ, "BROADSHEET_HOME": str(tmp_path), "DATABASE_URL": "", **env}
    environment["PYTHONPATH"] = str(ROOT / "src")
    done = subprocess.run([sys.executable, "-c", HEADERS_OF], env=environment,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_strict_transport_security_behind_an_https_proxy(tmp_path):
    behind = hsts_headers(tmp_path, BROADSHEET_BEHIND_PROXY="1")
    assert behind == {"https": "max-age=31536000", "http": None}
    shorter = hsts_headers(tmp_path, BROADSHEET_BEHIND_PROXY="1", BROADSHEET_HSTS_SECONDS="600")
    assert shorter["https"] == "max-age=600"
    # Without a proxy the header cannot be trusted: a client could claim https itself.
    assert hsts_headers(tmp_path, BROADSHEET_BEHIND_PROXY="0") == {"https": None, "http": None}


def test_debug_error_pages_stay_readable(client, settings):
    settings.DEBUG = True
    assert "Content-Security-Policy" not in client.get("/no-such-page/")
    assert "Content-Security-Policy" in client.get("/")
