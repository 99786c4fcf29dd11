"""Hostile input, generated: nothing executable survives the sanitiser or the extraction, the URL
normaliser never crashes and is idempotent, no JSON API query answers 500, and the image proxy
answers any address, forged or signed, with a clear 4xx or 502.

Executable means what a browser would run: a ``<script>`` (or another element that carries
code), an ``on*=`` event handler, or a ``javascript:``/``vbscript:``/``data:`` address in a link
or image, however it is spelled. The output is read back with lxml, as a browser would read it.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

import lxml.html
import pytest
from api_support import make_article, make_publisher, make_reader
from django.test import Client
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from broadsheet.api.auth import issue_token
from broadsheet.ingest.extract import ExtractionError, extract
from broadsheet.ingest.plaintext import plain_text
from broadsheet.ingest.sanitize import sanitize_html
from broadsheet.ingest.urls import InvalidURL, canonical_url, normalize_url
from broadsheet.web.images import signing as image_signing

BASE = "https://news.example/world/story"
CODE_TAGS = {"script", "iframe", "frame", "object", "embed", "applet", "svg", "math", "style",
             "form", "input", "button", "base", "meta", "link", "template", "video", "audio",
             "source", "noscript", "textarea", "xmp", "plaintext"}
URL_ATTRS = {"href", "src", "srcset", "action", "formaction", "background", "poster",
             "xlink:href", "data", "codebase", "lowsrc", "dynsrc", "cite"}
BAD_SCHEME = re.compile(r"^(?:javascript|vbscript|data|livescript):", re.IGNORECASE)
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]+")

TAGS = ["script", "img", "a", "svg", "iframe", "style", "math", "object", "embed", "p", "div",
        "form", "input", "body", "details", "video", "source", "base", "meta", "link",
        "noscript", "template", "textarea", "title", "xmp", "table", "SCRIPT", "ScRiPt",
        "scr<script>ipt", "image", "isindex", "marquee", "animate", "set", "use"]
ATTRS = ["onerror", "onload", "onclick", "ONMOUSEOVER", "onfocus", "onanimationstart", "href",
         "src", "srcset", "style", "formaction", "action", "xlink:href", "data-src", "background",
         "autofocus", "srcdoc", "data", "poster", "onerror\t", "/onerror"]
VALUES = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
          "java&#x09;script:alert(1)", "&#106;avascript:alert(1)", "&#x6A;avascript:alert(1)",
          " \x01javascript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<script>x</script>",
          "https://img.example/a.png", "/relative.png", 'x" onerror="alert(1)', "alert(1)",
          "javascript&colon;alert(1)", "//evil.example/x.js", "expression(alert(1))"]
FRAGMENTS = ["<", ">", "</", "/>", "<!--", "-->", "<![CDATA[", "]]>", "&lt;script&gt;", "&amp;",
             '"', "'", "=", " ", "\n", "\x00", "alert(1)", "text", "<!doctype html>", "<?xml?>"]


@st.composite
def open_tag(draw) -> str:
    tag = draw(st.sampled_from(TAGS))
    attrs = draw(st.lists(st.tuples(st.sampled_from(ATTRS), st.sampled_from(VALUES),
                                    st.sampled_from(['"', "'", ""])), max_size=3))
    spelled = "".join(f" {name}={quote}{value}{quote}" for name, value, quote in attrs)
    return f"<{tag}{spelled}{draw(st.sampled_from(['>', '/>', ' >', '']))}"


PIECE = st.one_of(open_tag(), st.sampled_from(TAGS).map(lambda tag: f"</{tag}>"),
                  st.sampled_from(FRAGMENTS), st.sampled_from(VALUES), st.text(max_size=8))
HOSTILE_HTML = st.lists(PIECE, min_size=1, max_size=25).map("".join)


def assert_nothing_runs(html: str) -> None:
    """Read ``html`` as a browser would; no element, attribute or address in it may run code."""
    assert "<script" not in html.lower()
    if not html.strip():
        return
    for root in lxml.html.fragments_fromstring(f"<div>{html}</div>"):
        if not isinstance(root, lxml.html.HtmlElement):
            continue
        for element in root.iter():
            if not isinstance(element.tag, str):
                continue
            assert element.tag.lower() not in CODE_TAGS, html
            for name, value in element.attrib.items():
                assert not name.lower().startswith("on"), html
                if name.lower() in URL_ATTRS:
                    assert not BAD_SCHEME.match(_CONTROL_OR_SPACE.sub("", value)), html


@pytest.mark.parametrize("runs", [
    "<script>alert(1)</script>", '<img src="x.png" onerror="alert(1)">',
    '<a href=" java\tscript:alert(1)">x</a>', '<img src="data:image/svg+xml,x">',
    "<svg><a>x</a></svg>",
])
def test_the_check_sees_what_runs(runs: str) -> None:
    with pytest.raises(AssertionError):
        assert_nothing_runs(runs)


@pytest.mark.slow  # 500 generated documents
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE_HTML)
def test_nothing_executable_survives_the_sanitiser(html: str) -> None:
    once = sanitize_html(html, BASE)
    assert_nothing_runs(once)
    assert sanitize_html(once, BASE) == once


PAGE = st.tuples(st.text(max_size=20), HOSTILE_HTML, HOSTILE_HTML).map(
    lambda parts: (f"<html><head><title>{parts[0]}</title><meta name='author' content="
                   f"'{parts[0]}'></head><body><article><h1>{parts[0]}</h1><p>" + "Harbour "
                   "news, told at length so the page reads as an article. " * 8
                   + f"</p>{parts[1]}<p>{parts[2]}</p></article></body></html>"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(PAGE, HOSTILE_HTML))
def test_extraction_never_crashes_and_its_output_is_sanitised(page: str) -> None:
    try:
        found = extract(page, BASE)
    except ExtractionError:
        return
    # What the pipeline stores: the body through the sanitiser, the author as plain text.
    assert_nothing_runs(sanitize_html(found.html, BASE))
    author = plain_text(found.author)
    assert "<" not in author and ">" not in author


URL_PIECES = ["http://", "https://", "HTTPS://", "//", "news.example", "Bücher.example",
              "[::1]", "127.0.0.1", ":443", ":80", ":99999", ":x", "/", "/a/../b", "/./",
              "%2e%2E", "%41", "%zz", "?", "&", "#", "utm_source=x", "id=3", "fbclid=1", "a=1",
              "@", "user:pw@", " ", "\t", "\x00", "\\", "..", "javascript:alert(1)", "é", "%"]
URLISH = st.lists(st.one_of(st.sampled_from(URL_PIECES), st.text(max_size=5)),
                  min_size=1, max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(URLISH, st.one_of(URLISH, st.just("")))
def test_url_normaliser_never_crashes_and_is_idempotent(url: str, declared: str) -> None:
    try:
        normal = normalize_url(url)
    except InvalidURL:
        return
    assert normalize_url(normal) == normal
    canonical = canonical_url(url, declared)
    assert normalize_url(canonical) == canonical
    assert canonical_url(canonical) == canonical


# --- every JSON API query parameter --------------------------------------------------------------

ODD_VALUES = ["", "0", "-1", "1e309", "NaN", "null", "true", "[]", "{}", "2026-13-45",
              "2026-11-20T25:61:00Z", "9" * 40, "-" + "9" * 40, "../..", "%00", "\x00",
              "<script>", "' OR 1=1 --", "\u202e", "Ωmega", " ", "a" * 2000]
QUERY_VALUE = st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=30),
                        st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str))


_OPERATIONS: list[tuple[str, list[str]]] = []


def api_operations(client: Client) -> list[tuple[str, list[str]]]:
    """Every GET path of the API (path parameters left as ``{name}``) with its query names."""
    if _OPERATIONS:
        return _OPERATIONS
    spec = client.get("/api/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        if "get" in operations:
            names = [p["name"] for p in operations["get"].get("parameters", [])
                     if p.get("in") == "query"]
            _OPERATIONS.append((path, names))
    return _OPERATIONS


@pytest.fixture
def member_token(db) -> str:
    """An article to find and a member's token; made once, shared by every example."""
    make_article(make_publisher(), 1)
    return issue_token(make_reader("active"), "api", "fuzz").secret


# Path parameters: often the stored article's number (1), else anything a URL path can carry.
PATH_VALUE = st.one_of(st.just("1"), QUERY_VALUE.map(
    lambda value: re.sub(r"[\x00-\x20%/?#]", "_", value) or "_"))


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_json_api_query_answers_500(member_token: str, data) -> None:
    client = Client(raise_request_exception=False)
    path, names = data.draw(st.sampled_from(api_operations(client)))
    filled = re.sub(r"\{[^}]+\}", lambda _: data.draw(PATH_VALUE), path)
    params = {name: data.draw(QUERY_VALUE) for name in names if data.draw(st.booleans())}
    if data.draw(st.booleans()):
        extra = data.draw(st.sampled_from(["page", "per_page", "since", "q", "unknown"]))
        params[extra] = data.draw(QUERY_VALUE)
    headers = {}
    if data.draw(st.booleans()):
        headers["HTTP_AUTHORIZATION"] = f"Bearer {member_token}"
    answer = client.get(filled, params, **headers)
    assert answer.status_code < 500, (filled, params, answer.status_code,
                                      answer.content[:300])


# --- the image proxy's address ---------------------------------------------------------------

SEGMENT = st.one_of(st.text(max_size=40), st.sampled_from(
    ["", "A" * 22, "=", "==", "%00", "..", "aHR0cDovLzEyNy4wLjAuMS8", "_-_-", "\u202e", "é"]))


def signed_path(url: str) -> str:
    """The proxy path this site would write for ``url``, whatever ``url`` holds."""
    encoded = base64.urlsafe_b64encode(url.encode("utf-8", "surrogatepass")).rstrip(b"=")
    return f"/img/{image_signing.signature(url)}/{encoded.decode()}"


@pytest.mark.slow  # 200 generated addresses through the whole request handler
@settings(max_examples=200, deadline=None)
@given(SEGMENT, SEGMENT)
def test_forged_image_addresses_are_refused_never_500(signature: str, encoded: str) -> None:
    """Any path under /img/ that this site did not sign is a clear 4xx, fetching nothing."""
    client = Client(raise_request_exception=False)
    path = f"/img/{quote(signature, safe='')}/{quote(encoded, safe='')}"
    answer = client.get(path)
    assert answer.status_code in (400, 403, 404), (path, answer.status_code, answer.content)


@pytest.fixture
def proxy_home(settings, tmp_path):
    settings.HOME = tmp_path
    settings.IMAGES = {**settings.IMAGES, "allow_loopback": False}


@pytest.mark.slow  # 80 generated addresses, each fetched from a server
@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(URLISH)
def test_signed_hostile_image_urls_answer_clearly_never_500(proxy_home, url: str) -> None:
    """A stored picture address can be anything a publisher wrote; the proxy never fails on it."""
    assume(url)  # an empty address has no proxy path: the page shows no picture
    answer = Client(raise_request_exception=False).get(signed_path(url))
    assert answer.status_code in (200, 400, 403, 404, 502), (url, answer.status_code,
                                                               answer.content[:300])
    if answer.status_code != 200:
        assert answer["Content-Type"].startswith("text/plain")
