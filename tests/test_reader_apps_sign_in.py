"""A reader app signs in with the address its account type asks for: the site alone, or the
site with ``/api/greader/`` or ``/api/greader.php/``, with or without a trailing slash.

Apps glue their base and the API path together, so a base ending in "/" sends doubled slashes
(``/api/greader//accounts/ClientLogin``); those are requests over real HTTP, as apps send them.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlencode, urlsplit

import pytest
from api_support import PASSWORD, make_article, make_publisher, make_reader
from django.urls import reverse

from broadsheet.api.greader import READING_LIST

BASES = ["", "/api/greader", "/api/greader.php"]
EMAIL = "reeder@example.com"


@pytest.fixture
def world(db):
    gazette = make_publisher("The Harbour Gazette", "World")
    make_article(gazette, 1)
    make_reader("trial", EMAIL)


def _auth(body: str) -> dict:
    token = dict(line.split("=", 1) for line in body.split())["Auth"]
    return {"HTTP_AUTHORIZATION": f"GoogleLogin auth={token}"}


@pytest.mark.parametrize("base", BASES)
def test_app_signs_in_and_syncs_at_each_base(client, world, base):
    response = client.post(f"{base}/accounts/ClientLogin", {"Email": EMAIL, "Passwd": PASSWORD})
    assert response.status_code == 200, response.content
    auth = _auth(response.content.decode())
    subscriptions = client.get(f"{base}/reader/api/0/subscription/list?output=json", **auth)
    assert [s["title"] for s in subscriptions.json()["subscriptions"]] == ["The Harbour Gazette"]
    stream = client.get(f"{base}/reader/api/0/stream/contents/{READING_LIST}", **auth)
    assert len(stream.json()["items"]) == 1
    assert client.get(f"{base}/reader/atom/{READING_LIST}", **auth).status_code == 200


@pytest.mark.parametrize("base", ["/api/greader/", "/api/greader.php/"])
def test_a_base_with_a_trailing_slash_doubles_the_slash_and_still_works(client, world, base):
    response = client.post(f"{base}/accounts/ClientLogin", {"Email": EMAIL, "Passwd": PASSWORD})
    assert response.status_code == 200, response.content
    auth = _auth(response.content.decode())
    assert client.get(f"{base}/reader/api/0/token", **auth).status_code == 200
    marked = client.post(f"{base}/reader/api/0/mark-all-as-read", {"s": READING_LIST}, **auth)
    assert marked.content == b"OK"


def test_wrong_password_is_refused_at_every_base(client, world):
    for base in BASES:
        response = client.post(f"{base}/accounts/ClientLogin", {"Email": EMAIL, "Passwd": "no"})
        assert response.status_code == 401
        assert response.content == b"Error=BadAuthentication"


def test_other_paths_under_the_bases_are_not_found(client, world):
    assert client.get("/api/greader/nothing-here").status_code == 404
    assert client.get("/api/greader.php/reader/api/0/nothing").status_code == 404


def test_addresses_are_named_at_the_site_root(db):
    assert reverse("greader_client_login") == "/accounts/ClientLogin"
    assert reverse("greader_atom_stream", args=["feed/1"]) == "/reader/atom/feed/1"


def _over_http(live_server, method: str, path: str, body: dict | None = None,
               headers: dict | None = None) -> tuple[int, str]:
    """One request with ``path`` sent exactly as written (no client tidies its slashes)."""
    address = urlsplit(live_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    data = urlencode(body).encode() if body is not None else None
    sent = dict(headers or {})
    if data is not None:
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_doubled_slashes_over_real_http(live_server):
    make_publisher("The Harbour Gazette", "World")
    make_reader("trial", EMAIL)
    credentials = {"Email": EMAIL, "Passwd": PASSWORD}
    for path in ("//accounts/ClientLogin", "/api/greader//accounts/ClientLogin",
                 "/api/greader.php//accounts/ClientLogin"):
        status, body = _over_http(live_server, "POST", path, credentials)
        assert status == 200, (path, body)
    auth = {"Authorization": _auth(body)["HTTP_AUTHORIZATION"]}
    for path in ("//reader/api/0/subscription/list?output=json",
                 "/api/greader.php//reader/api/0/subscription/list?output=json",
                 "/api/greader//reader/atom/feed%2F1?n=20"):
        status, body = _over_http(live_server, "GET", path, headers=auth)
        assert status == 200, (path, body[:200])
