"""A feed that sends markup in its authors and invisible characters in its headlines is stored
and served as clean plain text; right-to-left headlines keep their letters."""

from __future__ import annotations

import pytest
from api_support import make_article, make_publisher
from django.db import connection

from broadsheet.articles.models import Article
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.ingest.plaintext import one_line, plain_text, strip_invisible
from broadsheet.poll.pipeline import run_sources
from broadsheet.sources import state
from broadsheet.sources.models import Publisher, Source

pytestmark = pytest.mark.django_db

POLICY = FetchPolicy(allow_private=True, total_timeout=5, host_delay=0.0, per_host=4)
BODY = "<p>" + "The sea wall held through the night and the harbour reopened. " * 12 + "</p>"
HEBREW = "\u05d7\u05d3\u05e9\u05d5\u05ea \u200f\u05d4\u05e0\u05de\u05dc"  # an RLM among letters
ARABIC = "\u0645\u062d\u0645\u062f \u200f\u0639\u0644\u064a"
ITEMS = [
    # (title as sent, author as sent, title stored, author stored)
    ("Invoice \u202egnp.exe attached", "<![CDATA[<script>alert(1)</script>Ana <b>Reyes</b>]]>",
     "Invoice gnp.exe attached", "Ana Reyes"),
    ("Pay\u200bPal\u2060 account \ufeffnotice", "Tom &amp;amp; Jerry\u0007",
     "PayPal account notice", "Tom & Jerry"),
    (HEBREW, "\u2067\u0639\u0644\u064a\u2069", HEBREW, "\u0639\u0644\u064a"),
]


def feed(server) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{server.url(f'/story/{n}')}</link>"
        f"<guid>story-{n}</guid><dc:creator>{author}</dc:creator>"
        f"<description><![CDATA[{BODY}]]></description>"
        f"<content:encoded><![CDATA[{BODY}]]></content:encoded></item>"
        for n, (title, author, _, _) in enumerate(ITEMS))
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
            "xmlns:dc='http://purl.org/dc/elements/1.1/' "
            "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
            f"<title>Gazette</title>{items}</channel></rss>").encode()


def test_feed_authors_and_titles_are_stored_clean(http_server, client):
    http_server.route("/feed.xml", body=feed(http_server),
                      headers={"Content-Type": "application/rss+xml"})
    for n in range(len(ITEMS)):
        http_server.route(f"/story/{n}", body=f"<html><body><article>{BODY}</article></body>"
                          "</html>".encode(), headers={"Content-Type": "text/html"})
    publisher = Publisher.objects.create(name="Gazette")
    source = Source.objects.create(publisher=publisher, url=http_server.url("/feed.xml"))
    jobs = state.jobs(Source.objects.filter(pk=source.pk))
    assert run_sources(jobs, policy=POLICY, workers=1).total("new") == len(ITEMS)

    for n, (_, _, title, author) in enumerate(ITEMS):
        stored = Article.objects.get(guid=f"story-{n}")
        assert (stored.title, stored.author) == (title, author)
    # The same feed again finds every article unchanged: cleaning is stable.
    again = run_sources(state.jobs(Source.objects.filter(pk=source.pk)), policy=POLICY,
                        workers=1)
    assert again.total("updated") == 0


def test_the_api_sends_authors_as_plain_text_whatever_is_stored(client):
    article = make_article(make_publisher(), 1)
    with connection.cursor() as cursor:  # as a row stored by an older version would be
        cursor.execute("UPDATE articles_article SET author = %s WHERE id = %s",
                       ["<script>alert(1)</script><i>Ana</i>\u202e Reyes\u0007", article.pk])
    for path in (f"/api/v1/articles/{article.pk}", "/api/v1/articles"):
        body = client.get(path).json()
        shown = body if "author" in body else body["items"][0]
        assert shown["author"] == "Ana Reyes"


@pytest.mark.parametrize(("given", "expected"), [
    ("<script>alert(1)</script>Ana", "Ana"),
    ("&lt;script&gt;alert(1)&lt;/script&gt;Ana", "Ana"),
    ("&amp;lt;img src=x onerror=alert(1)&amp;gt;Ana", "Ana"),
    ("Ana\x00 \x1bReyes\x85\x7f", "Ana Reyes"),
    ("A" * 900, "A" * 500),
    (ARABIC, ARABIC),
    ("Ana\u200f Reyes", "Ana Reyes"),
])
def test_plain_text_of_names(given, expected):
    assert plain_text(given) == expected


def test_joiners_stay_where_a_script_needs_them():
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert strip_invisible(persian) == persian
    assert strip_invisible(family) == family
    assert strip_invisible("pay\u200dpal") == "paypal"
    assert one_line("  Tide\n\trises \u2028 again  ") == "Tide rises again"
