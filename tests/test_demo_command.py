"""`broadsheet demo` populates the app offline from the bundled sample publisher network."""

import socket

import pytest
from django.utils.html import escape

from broadsheet.articles.models import Article
from broadsheet.cli import main
from broadsheet.sources.models import Source

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_ingests_the_sample_network_and_the_home_page_lists_it(client, capsys):
    assert main(["demo", "--no-serve", "--network-port", "0"]) == 0
    out = capsys.readouterr().out
    assert "0 sources failed" in out and "0 articles failed" in out
    assert Article.objects.count() >= 36
    assert Source.objects.filter(status=Source.Status.OK).count() == Source.objects.count()
    assert not Article.objects.filter(canonical_url__contains="utm_").exists()
    sections = set(Article.objects.values_list("section", flat=True))
    assert {"World", "Politics", "Business", "Technology", "Science", "Sport",
            "Culture"} <= sections

    page = client.get("/")
    assert page.status_code == 200
    newest = Article.objects.order_by("-published_at").first()
    assert escape(newest.title) in page.content.decode()


def test_demo_runs_twice_without_duplicates(capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    assert main(["demo", "--no-serve", "--network-port", port]) == 0
    articles, sources = Article.objects.count(), Source.objects.count()
    assert main(["demo", "--no-serve", "--network-port", port]) == 0
    assert (Article.objects.count(), Source.objects.count()) == (articles, sources)
    assert "0 new" in capsys.readouterr().out.splitlines()[-1]
