"""Ingesting a publisher network over real HTTP: good articles stored once, bad input recorded."""

from __future__ import annotations

import pytest
from publisher_network import CHROME, STORIES, PublisherNetwork

from broadsheet.articles.models import Article
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.poll.pipeline import run_sources
from broadsheet.sources import state
from broadsheet.sources.models import Publisher, Source

pytestmark = pytest.mark.django_db

POLICY = FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=1.5, total_timeout=3,
                     max_bytes=2 * 1024 * 1024, max_redirects=5, concurrency=20, per_host=8,
                     host_delay=0.0)


@pytest.fixture
def network(http_server):
    return PublisherNetwork(http_server)


def add_sources(network: PublisherNetwork, names: list[str]) -> dict[str, Source]:
    sources = {}
    for name in names:
        publisher, _ = Publisher.objects.get_or_create(name=f"Publisher {name}")
        sources[name] = Source.objects.create(publisher=publisher, url=network.urls[name])
    return sources


def ingest(sources, workers: int = 1):
    jobs = state.jobs(Source.objects.filter(id__in=[s.pk for s in sources]).order_by("id"))
    return run_sources(jobs, policy=POLICY, workers=workers)


def test_good_publishers_are_stored_clean_and_once(network):
    sources = add_sources(network, ["gazette", "ledger", "current"])
    summary = ingest(sources.values())
    assert summary.total("new") == len(STORIES) + 2, summary.failed_articles
    assert not summary.failed_sources

    for story in STORIES:
        article = Article.objects.get(title=story.title)
        assert article.canonical_url == network.server.url("/gazette/" + story.slug)
        assert "utm_source" in article.url  # the link as given is kept beside the canonical one
        assert article.author == story.author
        assert article.section == story.section
        assert story.paragraphs[2] in article.text
        assert not article.text.startswith(story.title)
        for chrome in CHROME:
            assert chrome not in article.text
        assert "<script" not in article.html
    culture = Article.objects.get(title__startswith="Orchestra unveils")
    assert culture.word_count > 300 and culture.author == "Lena Kowalski"
    chips = Article.objects.get(title__startswith="Chip plant")
    assert chips.published_at.isoformat().startswith("2026-11-26T07:15")


def test_second_run_changes_nothing_and_uses_conditional_get(network):
    sources = add_sources(network, ["gazette", "ledger", "current"])
    ingest(sources.values())
    network.server.clear_log()
    summary = ingest(sources.values())
    assert summary.total("new") == 0 and summary.total("updated") == 0
    assert Article.objects.count() == len(STORIES) + 2
    feed_request = network.server.last_request("/gazette/feed.xml")
    assert feed_request.headers.get("if-none-match") == '"gazette-v1"'
    # Known articles are not fetched again.
    assert network.server.hits("/gazette/" + STORIES[0].slug) == 0


BAD = {
    "slow": "sent nothing",
    "missing": "404",
    "broken": "500",
    "busy": "503",
    "loop": "redirect",
    "huge": "over the 2 MB limit",
    "bomb": "over the 2 MB limit",
    "malformed": "malformed",
    "laughs": "entit",
    "external": "entit",
    "html": "web page, not a feed",
}


def test_every_bad_source_gets_a_clear_recorded_error_and_stops_no_other(network):
    sources = add_sources(network, [*BAD, "gazette"])
    summary = ingest(sources.values())
    assert summary.total("new") == len(STORIES)
    for name, words in BAD.items():
        source = Source.objects.get(pk=sources[name].pk)
        assert source.status == Source.Status.ERROR, (name, source.last_error)
        assert words.lower() in source.last_error.lower(), (name, source.last_error)
        assert source.consecutive_errors == 1
        assert source.next_check_at > source.last_checked_at
    busy = Source.objects.get(pk=sources["busy"].pk)
    assert (busy.next_check_at - busy.last_checked_at).total_seconds() >= 1800


def test_odd_but_valid_feeds_are_handled(network):
    sources = add_sources(network, ["empty", "latin1", "nolinks", "dupes", "dead-links"])
    summary = ingest(sources.values())
    for name in ["empty", "latin1", "nolinks", "dupes", "dead-links"]:
        assert Source.objects.get(pk=sources[name].pk).status == Source.Status.OK, name
    failed = dict(summary.failed_articles)
    assert any("410" in reason for reason in failed.values()), failed
    # Items with no link are stored under their feed and guid; none is stored twice.
    titles = list(Article.objects.values_list("title", flat=True))
    assert len(titles) == len(set(zip(titles, Article.objects.values_list("source", flat=True),
                                      strict=True)))
    assert not Article.objects.filter(title="Vanished").exists()


def test_private_addresses_are_refused_when_not_allowed(db):
    publisher = Publisher.objects.create(name="Nowhere")
    urls = ["http://127.0.0.1:9/feed.xml", "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/feed.xml"]
    sources = [Source.objects.create(publisher=publisher, url=url) for url in urls]
    policy = FetchPolicy(allow_private=False, connect_timeout=2, total_timeout=3)
    summary = run_sources(state.jobs(Source.objects.all()), policy=policy, workers=1)
    assert len(summary.failed_sources) == 3
    for source in sources:
        source.refresh_from_db()
        assert "BROADSHEET_FETCH_ALLOW_PRIVATE" in source.last_error, source.last_error


def test_pages_are_prepared_in_worker_processes_too(network):
    sources = add_sources(network, ["gazette", "current"])
    summary = ingest(sources.values(), workers=2)
    assert summary.total("new") == len(STORIES) + 1, summary.failed_articles
