"""Helpers for the polite-fetching tests: a publisher on the test server with teaser feeds and
article pages, and one check of its sources as a worker runs it."""

from __future__ import annotations

from collections.abc import Iterable

from netfixture import NetServer

from broadsheet.ingest import robots
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.poll.pipeline import Pipeline, RunSummary
from broadsheet.sources import state
from broadsheet.sources.models import Host, Publisher, Source

POLICY = FetchPolicy(allow_private=True, connect_timeout=2, read_timeout=2, total_timeout=10,
                     host_delay=0.0, per_host=4, user_agent="Broadsheet/0.1 (+tests)")
RSS = {"Content-Type": "application/rss+xml"}
HTML = {"Content-Type": "text/html; charset=utf-8"}


def teaser(slug: str) -> str:
    return f"The {slug.replace('-', ' ')} was announced on Tuesday, the council said."


def page(slug: str) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {i} of the full {slug.replace('-', ' ')} report, which the feed does not "
        "carry: officials gave figures, residents gave their views, and the debate went on "
        "late into the evening at the town hall.</p>" for i in range(6))
    return (f"<!doctype html><html lang='en'><head><title>{slug}</title></head><body><article>"
            f"<h1>{slug}</h1>{paragraphs}</article></body></html>").encode()


def feed(server: NetServer, slugs: Iterable[str], base: str = "/news/") -> bytes:
    items = "".join(
        f"<item><title>Story {slug}</title><link>{server.url(base + slug)}</link>"
        f"<guid>{slug}</guid><pubDate>Wed, 25 Nov 2026 09:30:00 GMT</pubDate>"
        f"<description>{teaser(slug)}</description></item>" for slug in slugs)
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Gazette</title>"
            f"{items}</channel></rss>").encode()


def publish(server: NetServer, slugs: list[str], feed_path: str = "/news/feed.xml",
            base: str = "/news/") -> str:
    """Serve a feed of ``slugs`` and their article pages; returns the feed URL."""
    for slug in slugs:
        server.route(base + slug, body=page(slug), headers=HTML)
    return server.route(feed_path, body=feed(server, slugs, base), headers=RSS)


def subscribe(url: str, name: str = "Gazette", feed_only: bool = False) -> Source:
    publisher, _ = Publisher.objects.get_or_create(name=name, defaults={"feed_only": feed_only})
    return Source.objects.create(publisher=publisher, url=url)


def check(*sources: Source, policy: FetchPolicy = POLICY) -> RunSummary:
    """One worker's check of these sources, in a pipeline of its own (its own host memory).

    Stories are not clustered: the check ends as soon as its articles are stored, so a second
    check can follow the first within a Crawl-delay.
    """
    jobs = state.jobs(Source.objects.filter(id__in=[s.pk for s in sources]).order_by("id"))
    with Pipeline(policy, workers=1, cluster=False) as pipeline:
        return pipeline.run(jobs)


def as_another_worker() -> None:
    """What a different worker process knows: nothing in memory, only the database."""
    robots.memory.forget()


def page_hits(server: NetServer, slugs: Iterable[str], base: str = "/news/") -> int:
    return sum(server.hits(base + slug) for slug in slugs)


def host_row(server: NetServer) -> Host:
    return Host.objects.get(origin=f"http://127.0.0.1:{server.port}")
