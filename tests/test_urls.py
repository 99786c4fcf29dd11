"""One article, one URL: normalising article URLs and choosing the canonical one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broadsheet.ingest.urls import (
    TRACKING_PARAMS,
    InvalidURL,
    canonical_url,
    is_cross_site_canonical,
    normalize_url,
    same_site,
)

NORMALIZE = [
    # scheme and host
    ("HTTPS://WWW.Example.COM/Story", "https://www.example.com/Story"),
    ("http://example.com/a", "http://example.com/a"),  # http is not upgraded
    ("https://example.com.", "https://example.com/"),
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("https://ＥＸＡＭＰＬＥ。com/", "https://example.com/"),
    ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
    ("https://user:secret@example.com/a", "https://example.com/a"),
    ("https://[2001:DB8:0:0::1]/a", "https://[2001:db8::1]/a"),
    ("https://b%C3%BCcher.example/", "https://xn--bcher-kva.example/"),
    ("https://%65xample.com/", "https://example.com/"),
    ("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/a"),
    ("https://news_site.example.com/", "https://news_site.example.com/"),
    # ports
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("https://example.com:80/a", "https://example.com:80/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("http://example.com:/a", "http://example.com/a"),
    ("http://example.com:0080/a", "http://example.com/a"),
    # fragment
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com/a?b=1#x?utm_source=y", "https://example.com/a?b=1"),
    # path
    ("https://example.com", "https://example.com/"),
    ("https://example.com/", "https://example.com/"),
    ("https://example.com/news/story/", "https://example.com/news/story"),
    ("https://example.com/news/story///", "https://example.com/news/story"),
    ("https://example.com/a//b", "https://example.com/a//b"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/../../a", "https://example.com/a"),
    ("https://example.com/a/%2e%2E/b", "https://example.com/b"),
    ("https://example.com/%7euser/%41bc", "https://example.com/~user/Abc"),
    ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ("https://example.com/café story", "https://example.com/caf%C3%A9%20story"),
    ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com\\news\\a", "https://example.com/news/a"),
    ("https://example.com/a;b,c:d@e", "https://example.com/a;b,c:d@e"),
    # query: tracking removed, the rest sorted by name, repeated names keep their order
    ("https://example.com/a?utm_source=tw&utm_medium=social&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?UTM_Campaign=x&p=2", "https://example.com/a?p=2"),
    ("https://example.com/a?fbclid=1&gclid=2&dclid=3&gbraid=4&wbraid=5&msclkid=6",
     "https://example.com/a"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&_ga=3&_hsenc=4&_hsmi=5&igshid=6&yclid=7",
     "https://example.com/a"),
    ("https://example.com/a?story=12&ref_src=twsrc&cmpid=rss", "https://example.com/a?story=12"),
    ("https://example.com/a?z=1&a=2&m=3", "https://example.com/a?a=2&m=3&z=1"),
    ("https://example.com/a?b=2&a=9&b=1", "https://example.com/a?a=9&b=2&b=1"),
    ("https://example.com/a?flag&b=1", "https://example.com/a?b=1&flag"),
    ("https://example.com/a?&&b=1&", "https://example.com/a?b=1"),
    ("https://example.com/a?", "https://example.com/a"),
    ("https://example.com/a?utm_source=x", "https://example.com/a"),
    ("https://example.com/a?q=a+b%2bc%7e", "https://example.com/a?q=a+b%2Bc~"),
    ("https://example.com/a?q=caf\u00e9", "https://example.com/a?q=caf%C3%A9"),
    ("https://example.com/a?next=/b?c=d", "https://example.com/a?next=/b?c=d"),
    ("https://example.com/a?utm%5Fsource=x&id=1", "https://example.com/a?id=1"),
    ("https://example.com/?p=123", "https://example.com/?p=123"),
    ("https://example.com/a?page=2&amp=1", "https://example.com/a?amp=1&page=2"),
    # whitespace a browser ignores
    ("  https://example.com/a \n", "https://example.com/a"),
    ("https://exa\tmple.com/a\nb", "https://example.com/ab"),
]


@pytest.mark.parametrize(("url", "expected"), NORMALIZE)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
    assert normalize_url(expected) == expected


UNUSABLE = [
    "",
    "   ",
    "example.com/story",
    "/news/story",
    "//example.com/story",
    "ftp://example.com/file",
    "mailto:desk@example.com",
    "javascript:alert(1)",
    "data:text/html,x",
    "http://",
    "https:///path",
    "http:/example.com/a",
    "http://example.com:99999/",
    "http://example.com:8o/",
    "http://exa mple.com/",
    "http://exa<mple.com/",
    "http://example..com/",
    "http://[::1/",
    "http://[not-ipv6]/",
    "https://xn--a.\u0000/",
    "https://\u2603\u2603.\ud800/",
]


@pytest.mark.parametrize("url", UNUSABLE)
def test_unusable_urls_raise_a_value_error(url: str) -> None:
    with pytest.raises(InvalidURL):
        normalize_url(url)


def test_invalid_url_is_a_value_error() -> None:
    assert issubclass(InvalidURL, ValueError)


def test_content_parameters_are_not_tracking() -> None:
    for name in ("id", "p", "story", "page", "article", "q", "amp", "v"):
        assert name not in TRACKING_PARAMS


# --------------------------------------------------------------------------------------------
# Same site


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("https://example.com/a", "https://example.com/b", True),
        ("https://www.example.com/a", "https://example.com/b", True),
        ("http://www.example.com/a", "https://example.com/b", True),
        ("https://amp.example.com/a", "https://www.example.com/b", True),
        ("https://m.example.com/a", "https://www.example.com/b", True),
        ("https://news.example.com/a", "https://example.com/b", True),
        ("https://EXAMPLE.com:8443/a", "https://example.com/b", True),
        ("https://example.com/a", "https://example.org/b", False),
        ("https://example.com/a", "https://notexample.com/b", False),
        ("https://example.com.evil.org/a", "https://example.com/b", False),
        ("https://news.example.com/a", "https://sport.example.com/b", False),
        ("https://example.com/a", "https://com/b", False),
        ("http://127.0.0.1/a", "http://127.0.0.1:8000/b", True),
        ("http://1.2.3.4/a", "http://2.3.4/b", False),
        ("https://example.com/a", "not a url", False),
        ("", "", False),
    ],
)
def test_same_site(a: str, b: str, expected: bool) -> None:
    assert same_site(a, b) is expected
    assert same_site(b, a) is expected


# --------------------------------------------------------------------------------------------
# Canonical URL

STORY = "https://www.example.com/news/2024/story-slug"

CANONICAL = [
    # (url, declared, expected)
    (STORY, "", STORY),
    (STORY + "?utm_source=rss#top", "", STORY),
    (STORY + "?utm_source=rss", STORY, STORY),
    ("https://amp.example.com/news/2024/story-slug/amp", STORY, STORY),
    ("https://www.example.com/amp/news/2024/story-slug", STORY + "/", STORY),
    ("https://example.com/news/2024/story-slug?outputType=amp", STORY, STORY),
    (STORY, "/news/2024/story-slug", STORY),
    (STORY, "story-slug?utm_medium=x", STORY),
    (STORY, "//www.example.com/news/2024/story-slug", STORY),
    ("http://www.example.com/news/2024/story-slug", STORY, STORY),  # declared https wins
    (STORY, "http://www.example.com/news/2024/story-slug", STORY),  # never downgraded
    ("http://www.example.com/news/2024/story-slug", "/news/2024/story-slug",
     "http://www.example.com/news/2024/story-slug"),
    (STORY, "http://www.example.com:443/news/2024/story-slug", STORY),
    (STORY, "  " + STORY + "  ", STORY),
    # implausible declared canonicals are ignored
    (STORY, "https://www.example.com/", STORY),
    (STORY, "https://example.com", STORY),
    (STORY, "/", STORY),
    (STORY, "https://wire.example.org/original/story", STORY),  # another site
    (STORY, "ftp://www.example.com/x", STORY),
    (STORY, "javascript:alert(1)", STORY),
    (STORY, "https://", STORY),
    (STORY, "http://[bad/", STORY),
    (STORY, "https://www.example.com:99999/x", STORY),
    # the home page may be its own canonical; ?p= shortlinks are articles
    ("https://www.example.com/?utm_source=x", "https://www.example.com/", "https://www.example.com/"),
    (STORY, "https://www.example.com/?p=123", "https://www.example.com/?p=123"),
]


@pytest.mark.parametrize(("url", "declared", "expected"), CANONICAL)
def test_canonical_url(url: str, declared: str, expected: str) -> None:
    assert canonical_url(url, declared) == expected


def test_canonical_url_of_unusable_url_raises() -> None:
    with pytest.raises(InvalidURL):
        canonical_url("not a url", STORY)


@pytest.mark.parametrize(
    ("url", "declared", "expected"),
    [
        (STORY, "https://wire.example.org/original/story", True),
        (STORY, "https://syndication.partner.example/a", True),
        (STORY, STORY, False),
        (STORY, "https://amp.example.com/x", False),
        (STORY, "/relative", False),
        (STORY, "", False),
        (STORY, "not a url at all::", False),
        (STORY, "ftp://other.example/x", False),
        ("not a url", "https://wire.example.org/original/story", False),
    ],
)
def test_is_cross_site_canonical(url: str, declared: str, expected: bool) -> None:
    assert is_cross_site_canonical(url, declared) is expected


# --------------------------------------------------------------------------------------------
# Properties


# Any text at all, lone surrogates (from broken decoding upstream) included.
ANY_TEXT = st.lists(
    st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=200
).map("".join)


@pytest.mark.slow  # 500 generated inputs
@settings(max_examples=500, deadline=None)
@given(ANY_TEXT)
def test_normalize_never_fails_except_with_value_error(text: str) -> None:
    try:
        once = normalize_url(text)
    except ValueError:
        return
    assert normalize_url(once) == once


@pytest.mark.slow  # 500 generated inputs
@settings(max_examples=500, deadline=None)
@given(st.from_regex(r"\Ahttps?://", fullmatch=False).flatmap(
    lambda prefix: ANY_TEXT.map(lambda rest: prefix + rest[:80])))
def test_normalize_of_http_prefixed_text(text: str) -> None:
    try:
        once = normalize_url(text)
    except ValueError:
        return
    assert normalize_url(once) == once


HOSTS = ["example.com", "WWW.Example.COM", "bücher.example", "example.com.", "127.0.0.1",
         "[::1]", "news.example.co.uk", "xn--bcher-kva.example", "exa_mple.com"]
SEGMENTS = ["a", "B", ".", "..", "", "%2e", "%2F", "%7e", "%zz", "%", "café", "a b", "~x",
            "story-1", ";p=1", "@", "%41", "%c3%a9", "\\"]
PARAMS = ["utm_source=x", "UTM_MEDIUM=y", "fbclid=1", "id=7", "p=2", "a", "b=", "=c", "q=a+b",
          "z=%7e", "x=%", "gclid=", "page=2", "ref_src=tw", "c=caf\u00e9", ""]


@st.composite
def url_like(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    userinfo = draw(st.sampled_from(["", "user@", "user:pw@"]))
    host = draw(st.sampled_from(HOSTS))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":", ":0443"]))
    path = "".join("/" + s for s in draw(st.lists(st.sampled_from(SEGMENTS), max_size=6)))
    path += draw(st.sampled_from(["", "/", "//"]))
    params = draw(st.lists(st.sampled_from(PARAMS), max_size=6))
    query = ("?" + "&".join(params)) if params or draw(st.booleans()) else ""
    fragment = draw(st.sampled_from(["", "#", "#top", "#!/x?utm_source=1"]))
    return f"{scheme}://{userinfo}{host}{port}{path}{query}{fragment}"


@pytest.mark.slow  # 500 generated inputs
@settings(max_examples=500, deadline=None)
@given(url_like())
def test_normalized_urls_are_stable_ascii_and_clean(url: str) -> None:
    once = normalize_url(url)
    assert normalize_url(once) == once
    assert once.isascii()
    assert once.startswith(("http://", "https://"))
    assert "#" not in once
    assert " " not in once
    query = once.partition("?")[2]
    for piece in query.split("&") if query else []:
        name = piece.split("=", 1)[0].lower()
        assert name not in TRACKING_PARAMS and not name.startswith("utm_"), once
    path = once.split("://", 1)[1].partition("?")[0]
    path = path[path.index("/"):]
    assert path == "/" or not path.endswith("/")
    assert "/./" not in path + "/" and "/../" not in path + "/"


@pytest.mark.slow  # 300 generated inputs
@settings(max_examples=300, deadline=None)
@given(url_like(), st.one_of(url_like(), st.text(max_size=40)))
def test_canonical_url_is_normalised_and_never_leaves_the_site(url: str, declared: str) -> None:
    chosen = canonical_url(url, declared)
    assert normalize_url(chosen) == chosen
    assert same_site(chosen, url)
    assert canonical_url(chosen) == chosen
