"""The feeds each page advertises with ``<link rel="alternate">``, for feed readers to find.

A page offers the feeds of what it shows, RSS first (what most readers pick) and then JSON Feed:
the home page its latest and (when it shows them) Our Picks; a section, publication, topic or
story page its own; an article page its publication's and its section's; a search its results.
Addresses are relative to the site, so they work behind any host name; the links sit in the
page's HTML, so a cached page carries them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from broadsheet.curation.models import Section

RSS = "application/rss+xml"
JSON_FEED = "application/feed+json"


@dataclass(frozen=True)
class Alternate:
    title: str
    type: str
    href: str


def _feed(title: str, rss_name: str, json_name: str, *args, query: str = "") -> list[Alternate]:
    suffix = f"?{query}" if query else ""
    return [Alternate(f"{title} (RSS)", RSS, reverse(rss_name, args=args) + suffix),
            Alternate(f"{title} (JSON Feed)", JSON_FEED, reverse(json_name, args=args) + suffix)]


def latest() -> list[Alternate]:
    return _feed("Broadsheet: latest", "feed_latest_rss", "feed_latest_json")


def picks() -> list[Alternate]:
    return _feed("Our Picks on Broadsheet", "feed_picks", "feed_picks_json")


def home(with_picks: bool) -> list[Alternate]:
    """The latest, and Our Picks when the page shows any."""
    return latest() + (picks() if with_picks else [])


def section(current: Section) -> list[Alternate]:
    return _feed(f"Broadsheet: {current.name}", "feed_section", "feed_section_json",
                 current.slug)


def publication(publisher) -> list[Alternate]:
    return _feed(f"{publisher.name} on Broadsheet", "feed_publication",
                 "feed_publication_json", publisher.slug)


def topic(current) -> list[Alternate]:
    return _feed(f"{current.name} on Broadsheet", "feed_topic", "feed_topic_json", current.slug)


def story(current, headline: str) -> list[Alternate]:
    return _feed(f"Full coverage: {headline}", "feed_story", "feed_story_json", current.pk)


def article(current) -> list[Alternate]:
    """The article's publication, then its section when the section has a page."""
    found = publication(current.publisher)
    filed = (Section.objects.filter(name__iexact=current.section).first()
             if current.section else None)
    return found + (section(filed) if filed is not None else [])


def search(words: str) -> list[Alternate]:
    words = " ".join(words.split())
    if not words:
        return []
    return _feed(f"Broadsheet: “{words}”", "feed_search", "feed_search_json",
                 query=urlencode({"q": words}))
