"""Every ``next=`` address goes through one check (``readers.nextpath``): a hostile one never
takes a reader off the site, whichever form carries it; one on the site is followed."""

from __future__ import annotations

import ast
import pathlib

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from pages_fixtures import make_article, make_publisher, make_reader

from broadsheet.readers.nextpath import next_value, safe_next
from broadsheet.web.links import article_path

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "broadsheet"
PASSWORD = "correct horse battery"

HOSTILE = [
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\\/evil.example",
    "https://evil.example/",
    "http://evil.example/account/",
    "https:evil.example",
    "HTTPS://EVIL.EXAMPLE/",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "https://testserver@evil.example/",
    "https://evil.example\\@testserver/",
    "https://testserver.evil.example/",
    "ftp://testserver/",
    "/ok\x00//evil.example",
    "/" + "a" * 2100,
]

ON_SITE = ["/saved/", "/for-you/?page=2", "/article/1/a-b/#end", "http://testserver/saved/"]


def _offsite(location: str) -> bool:
    """Whether a browser would leave testserver for ``location`` (given as a Location header)."""
    lowered = location.strip().lower().replace("\\", "/")
    if lowered.startswith("//"):
        return True
    return ":" in lowered.split("/", 1)[0] and not lowered.startswith("http://testserver/")


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_falls_back(target: str) -> None:
    get = RequestFactory().get("/", {"next": target})
    assert safe_next(get, "/fallback/") == "/fallback/"
    assert next_value(get) == ""
    post = RequestFactory().post("/", {"next": target})
    assert safe_next(post, "/fallback/") == "/fallback/"


@pytest.mark.parametrize("target", ["%2F%2Fevil.example/", "%2f%5cevil.example",
                                    "/%2F%2Fevil.example/", "%252F%252Fevil.example"])
def test_encoded_next_stays_a_path_here(target: str) -> None:
    """Still-encoded slashes are a relative path on this site, never a host to a browser."""
    request = RequestFactory().get("/", {"next": target})
    found = safe_next(request, "/fallback/")
    assert found in (target, "/fallback/")
    assert not _offsite(found)


@pytest.mark.parametrize("target", ON_SITE)
def test_on_site_next_is_followed(target: str) -> None:
    assert safe_next(RequestFactory().get("/", {"next": target}), "/fallback/") == target


def test_https_page_refuses_a_plain_http_next() -> None:
    request = RequestFactory().get("/", {"next": "http://testserver/saved/"}, secure=True)
    assert safe_next(request, "/fallback/") == "/fallback/"


def test_no_next_goes_to_the_named_fallback() -> None:
    assert safe_next(RequestFactory().get("/"), "account") == reverse("account")


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/",
                                    "https://evil.example/", "javascript:alert(1)"])
def test_sign_in_never_sends_a_reader_off_site(target: str) -> None:
    make_reader("reader@example.org", password=PASSWORD)
    client = Client(REMOTE_ADDR="198.51.100.7")
    page = client.get(reverse("signin"), {"next": target}).content.decode()
    assert "evil.example" not in page and "javascript:" not in page
    response = client.post(f"{reverse('signin')}?next={target}",
                           {"email": "reader@example.org", "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert not _offsite(response["Location"])


@pytest.mark.django_db
def test_sign_in_follows_a_next_on_the_site() -> None:
    make_reader("reader@example.org", password=PASSWORD)
    response = Client(REMOTE_ADDR="198.51.100.8").post(
        reverse("signin"), {"email": "reader@example.org", "password": PASSWORD,
                            "next": "/saved/"})
    assert response.status_code == 302 and response["Location"] == "/saved/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE[:12])
def test_save_and_follow_forms_never_send_a_reader_off_site(target: str) -> None:
    publisher = make_publisher("The Daily Example")
    article = make_article(publisher)
    client = Client()
    client.force_login(make_reader("saver@example.org"))
    saved = client.post(reverse("save_toggle", args=[article.pk]), {"next": target})
    assert saved.status_code == 302 and saved["Location"] == article_path(article)
    followed = client.post(reverse("follow_toggle"), {"kind": "publisher",
                                                      "value": publisher.slug, "next": target})
    assert followed.status_code == 302
    assert followed["Location"] == reverse("publication", args=[publisher.slug])


def test_one_function_checks_next_addresses() -> None:
    """No view module checks a ``next`` address by itself."""
    checkers = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name | ast.Attribute):
                name = node.id if isinstance(node, ast.Name) else node.attr
                if name == "url_has_allowed_host_and_scheme":
                    checkers.append(str(path.relative_to(SRC)))
            if isinstance(node, ast.FunctionDef) and node.name == "safe_next":
                checkers.append(str(path.relative_to(SRC)))
    assert set(checkers) == {"readers/nextpath.py"}


@pytest.mark.django_db
def test_the_desk_sends_a_visitor_to_sign_in_and_back() -> None:
    response = Client().post(reverse("desk_pick_create"), {"next": "//evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('signin')}?next=%2Fdesk%2Fpicks%2F"
