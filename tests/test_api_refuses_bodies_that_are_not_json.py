"""A JSON endpoint sent a body that is not JSON (a form, multipart, broken JSON) answers 400 or
422 with a message, never 500: from a signed-in browser session (CSRF header and all) and with a
token."""

from __future__ import annotations

import re

import pytest
from api_support import PASSWORD, make_article, make_publisher, make_reader
from django.test import Client

from broadsheet.api.auth import issue_token

pytestmark = pytest.mark.django_db

MULTIPART = ("multipart/form-data; boundary=edge",
             b'--edge\r\nContent-Disposition: form-data; name="name"\r\n\r\nphone\r\n--edge--\r\n')
BODIES = [
    MULTIPART,
    ("multipart/form-data; boundary=edge", b"no parts at all"),
    ("multipart/form-data", b"no boundary"),
    ("application/x-www-form-urlencoded", b"name=phone&kind=api"),
    ("application/json", b'{"name": "phone"'),
    ("application/json", b"\xff\xfe\x00"),
    ("text/plain", b"name=phone"),
]


def session_client() -> Client:
    """A browser's session: signed in, with the CSRF cookie and header a page's script sends."""
    client = Client(enforce_csrf_checks=True)
    user = make_reader("active")
    client.login(email=user.email, password=PASSWORD)
    client.get("/account/")
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return client


def test_a_token_made_with_a_multipart_body_is_refused_clearly():
    client = session_client()
    content_type, body = MULTIPART
    answer = client.post("/api/v1/tokens", body, content_type=content_type)
    assert answer.status_code == 400
    assert "JSON" in answer.json()["detail"]
    # The same request as JSON works.
    made = client.post("/api/v1/tokens", {"name": "phone"}, content_type="application/json")
    assert made.status_code == 201


def writing_operations(client: Client) -> list[tuple[str, str]]:
    """Every (method, path) of the JSON API that takes a body, with path parameters filled."""
    spec = client.get("/api/v1/openapi.json").json()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch") and "requestBody" in operation:
                found.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return found


@pytest.mark.parametrize("auth", ["session", "token"])
def test_every_json_endpoint_refuses_bodies_that_are_not_json(auth):
    make_article(make_publisher(), 1)
    if auth == "session":
        client = session_client()
    else:
        client = Client()
        issued = issue_token(make_reader("active"), "api", "test")
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {issued.secret}"
    operations = writing_operations(client)
    assert ("post", "/api/v1/tokens") in operations
    for method, path in operations:
        for content_type, body in BODIES:
            answer = getattr(client, method)(path, body, content_type=content_type)
            where = f"{method.upper()} {path} ({content_type})"
            assert 400 <= answer.status_code < 500, f"{where}: {answer.status_code}"
            assert answer.json().get("detail"), where
