"""Adding a source: from a feed URL, a news sitemap URL, or a web page that links to its feed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction

from broadsheet.ingest import outline, parse, urls
from broadsheet.ingest.fetch import FetchError, FetchPolicy, fetch_sync

from .models import Publisher, Source
from .state import placeholder_name


class SubscribeError(ValueError):
    """The URL does not lead to a feed or sitemap; the message says what was found instead."""


@dataclass
class Found:
    url: str
    kind: str  # "feed" or "sitemap"
    title: str
    site_name: str = ""


_SITE_NAME = re.compile(
    rb"""<meta[^>]+property=["']og:site_name["'][^>]*content=["']([^"']+)["']""", re.I)


def discover(url: str, policy: FetchPolicy | None = None, follow_links: bool = True) -> Found:
    """Fetch ``url`` and find the feed or sitemap behind it (autodiscovery on HTML pages).

    A page's feed link is followed once: a feed link that leads to another page is an error,
    never a chase from page to page.
    """
    policy = policy or FetchPolicy.from_settings()
    try:
        result = fetch_sync(url, policy=policy)
    except FetchError as error:
        raise SubscribeError(f"could not fetch {url}: {error}") from error
    kind = parse.sniff_kind(result.body, result.content_type)
    if kind == "sitemap":
        sitemap = _parse(parse.parse_sitemap, result.body, result.final_url)
        return Found(result.final_url, "sitemap", sitemap.title)
    if kind == "html":
        feeds = parse.discover_feeds(result.body, result.final_url)
        if not feeds:
            raise SubscribeError(f"{url} is a web page that links to no RSS, Atom or JSON feed")
        if not follow_links:
            raise SubscribeError(f"{url} was given as a feed but is a web page")
        site = _SITE_NAME.search(result.body[:200_000])
        found = discover(feeds[0], policy, follow_links=False)
        if site:
            found.site_name = site.group(1).decode("utf-8", "replace").strip()
        return found
    feed = _parse(_read_head, result.body, result.final_url, result.content_type,
                  result.charset)
    return Found(result.final_url, "feed", feed.title)


def _read_head(body: bytes, url: str, content_type: str, charset: str) -> parse.ParsedFeed:
    """A huge feed is read from its first items only: subscribing needs its title, and the
    fetches that follow take its items in turns."""
    huge = outline.read(body, url)
    if huge is not None:
        body, charset = huge.cut(set(range(50))), "utf-8"
    return parse.parse_feed(body, url, content_type, charset)


def _parse(function, *args):
    try:
        return function(*args)
    except parse.ParseError as error:
        raise SubscribeError(str(error)) from error


def add_source(url: str, publisher: str = "", section: str = "",
               policy: FetchPolicy | None = None, check: bool = True, kind: str = "feed",
               homepage: str = "", feed_only: bool = False) -> tuple[Source, bool]:
    """Create (or find) the source for ``url``; returns (source, created).

    With ``check`` the URL is fetched first (to autodiscover feeds and learn names); without it
    the URL is stored as given (bulk imports; the first fetch will tell). Feed URLs are kept as
    the publisher wrote them: normalising them (a trailing slash, say) can break a feed.
    ``feed_only`` marks the publisher feed only (never unmarks one).
    """
    url = url.strip()
    try:
        urls.normalize_url(url)
    except ValueError as error:
        raise SubscribeError(f"{url!r} is not a usable web address: {error}") from error
    found = discover(url, policy) if check else Found(url, kind, "")
    existing = Source.objects.filter(url=found.url).select_related("publisher").first()
    if existing:
        if feed_only and not existing.publisher.feed_only:
            existing.publisher.feed_only = True
            existing.publisher.save(update_fields=["feed_only"])
        return existing, False
    name = publisher or found.site_name or publisher_from_title(found.title) or \
        placeholder_name(found.url)
    with transaction.atomic():
        owner, _ = Publisher.objects.get_or_create(
            name=name[:200], defaults={"homepage_url": homepage[:2000], "feed_only": feed_only})
        if feed_only and not owner.feed_only:
            owner.feed_only = True
            owner.save(update_fields=["feed_only"])
        source, created = Source.objects.get_or_create(
            url=found.url,
            defaults={"publisher": owner, "kind": found.kind, "title": found.title[:500],
                      "section": section[:100]},
        )
    return source, created


def publisher_from_title(title: str) -> str:
    """'BBC News - World' -> 'BBC News': feed titles often append the section after a dash."""
    title = " ".join(title.split())
    for separator in (" - ", " | ", " – ", " — ", ": "):
        if separator in title:
            return title.split(separator)[0].strip()
    return title
