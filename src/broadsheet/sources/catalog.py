"""The bundled publisher catalogue: real publishers' public feeds, ready to install in one step.

A new Broadsheet has nothing to read until someone adds sources; the catalogue gives an operator a
broad, multi-country, multi-language starting set. ``load_catalog`` validates the bundled JSON file
(so a bad edit fails loudly, naming the entry), and ``install_catalog`` turns entries into
Publisher and Source rows without ever duplicating them or resetting a source's schedule.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import urlsplit

from broadsheet.ingest.extract_body import DEFAULT_OPTIONS, Options
from broadsheet.ingest.hints import ExtractionHints, HintError, parse_selector
from broadsheet.ingest.templates import host_of

SECTIONS: tuple[str, ...] = (
    "World", "Politics", "Business", "Technology", "Science", "Sport", "Culture",
)
KINDS: tuple[str, ...] = ("feed", "sitemap")

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_HOST = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::\d{{1,5}})?$")


class CatalogError(ValueError):
    """The catalogue file is malformed; the message names the entry and the problem."""


@dataclass(frozen=True)
class FeedEntry:
    url: str
    section: str
    kind: str = "feed"  # "feed" (RSS, Atom, JSON Feed) or "sitemap" (news sitemap)


@dataclass(frozen=True)
class PublisherEntry:
    name: str
    homepage: str
    country: str  # ISO 3166-1 alpha-2, upper case
    language: str  # BCP 47 primary tag, e.g. "en", "pt-BR"
    feeds: list[FeedEntry] = field(default_factory=list)
    feed_only: bool = False  # never fetch its article pages; articles come from its feeds
    extraction: ExtractionHints | None = None  # where its article is, which blocks to drop


@dataclass
class InstallResult:
    publishers_created: int = 0
    publishers_existing: int = 0
    sources_created: int = 0
    sources_existing: int = 0

    @property
    def created(self) -> int:
        return self.publishers_created + self.sources_created

    def __str__(self) -> str:
        return (f"{self.publishers_created} publishers and {self.sources_created} sources added; "
                f"{self.publishers_existing} publishers and {self.sources_existing} sources "
                f"were already present")


def catalog_path() -> Path:
    """Where the bundled catalogue lives inside the installed package."""
    return Path(str(resources.files("broadsheet.sources").joinpath("data/publishers.json")))


def is_web_url(url: object) -> TypeGuard[str]:
    """True for an absolute http(s) URL with a plausible host and no whitespace."""
    if not isinstance(url, str) or not url or any(ch.isspace() for ch in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(_HOST.match(parts.netloc or ""))


def load_catalog(path: Path | str | None = None) -> list[PublisherEntry]:
    """Read and validate the catalogue; raise ``CatalogError`` naming the first bad entry."""
    file = Path(path) if path is not None else catalog_path()
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{file}: cannot read the publisher catalogue: {exc}") from exc
    return parse_catalog(raw)


def parse_catalog(raw: Any, allowed_sections: tuple[str, ...] = SECTIONS) -> list[PublisherEntry]:
    """Validate decoded catalogue data (a list of publisher objects) into entries."""
    if isinstance(raw, dict) and "publishers" in raw:
        raw = raw["publishers"]
    if not isinstance(raw, list):
        raise CatalogError("the catalogue must be a list of publishers")
    entries: list[PublisherEntry] = []
    names: set[str] = set()
    urls: dict[str, str] = {}
    for index, item in enumerate(raw):
        entry = _parse_publisher(item, index, allowed_sections)
        if entry.name.casefold() in names:
            raise CatalogError(f"publisher #{index} {entry.name!r}: name is listed twice")
        names.add(entry.name.casefold())
        for feed in entry.feeds:
            if feed.url in urls:
                raise CatalogError(f"publisher #{index} {entry.name!r}: feed {feed.url} is "
                                   f"already listed under {urls[feed.url]!r}")
            urls[feed.url] = entry.name
        entries.append(entry)
    return entries


def _parse_publisher(item: Any, index: int, sections: tuple[str, ...]) -> PublisherEntry:
    label = f"publisher #{index}"
    if not isinstance(item, dict):
        raise CatalogError(f"{label}: must be an object")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CatalogError(f"{label}: 'name' is missing or empty")
    label = f"{label} {name!r}"
    unknown = set(item) - {"name", "homepage", "country", "language", "feeds", "feed_only",
                           "extraction"}
    if unknown:
        raise CatalogError(f"{label}: unknown field(s) {', '.join(sorted(unknown))}")
    homepage = item.get("homepage", "")
    if not is_web_url(homepage):
        raise CatalogError(f"{label}: 'homepage' {homepage!r} is not an http(s) URL")
    country = item.get("country", "")
    if not isinstance(country, str) or not _COUNTRY.match(country):
        raise CatalogError(f"{label}: 'country' {country!r} is not an ISO 3166 alpha-2 code")
    language = item.get("language", "")
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise CatalogError(f"{label}: 'language' {language!r} is not a BCP 47 tag like 'en'")
    feed_only = item.get("feed_only", False)
    if not isinstance(feed_only, bool):
        raise CatalogError(f"{label}: 'feed_only' {feed_only!r} must be true or false")
    feeds = _parse_feeds(item.get("feeds"), label, sections)
    hints = _parse_hints(item.get("extraction"), label)
    return PublisherEntry(name=name.strip(), homepage=homepage, country=country,
                          language=language, feeds=feeds, feed_only=feed_only, extraction=hints)


def _parse_hints(raw: Any, label: str) -> ExtractionHints | None:
    """A publisher's ``extraction`` hints: ``container`` and ``drop`` selectors, checked now so
    that a bad one fails when the catalogue is loaded, not when a page is read."""
    if raw is None:
        return None
    where = f"{label} extraction"
    if not isinstance(raw, dict) or not raw or set(raw) - {"container", "drop"}:
        raise CatalogError(f"{where}: must be an object with 'container' and/or 'drop'")
    container, drop = raw.get("container", ""), raw.get("drop", [])
    if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop):
        raise CatalogError(f"{where}: 'drop' must be a list of selectors")
    if not isinstance(container, str):
        raise CatalogError(f"{where}: 'container' must be a selector")
    for selector in ([container] if container else []) + drop:
        try:
            parse_selector(selector)
        except HintError as error:
            raise CatalogError(f"{where}: {error}") from error
    return ExtractionHints(container=container, drop=tuple(drop))


def _parse_feeds(feeds_raw: Any, label: str, sections: tuple[str, ...]) -> list[FeedEntry]:
    """A publisher's feeds: a non-empty list of objects with a URL, a section and a kind."""
    if not isinstance(feeds_raw, list) or not feeds_raw:
        raise CatalogError(f"{label}: 'feeds' must be a non-empty list")
    feeds: list[FeedEntry] = []
    for n, feed in enumerate(feeds_raw):
        where = f"{label} feed #{n}"
        if not isinstance(feed, dict):
            raise CatalogError(f"{where}: must be an object")
        url, section, kind = feed.get("url"), feed.get("section"), feed.get("kind", "feed")
        if not is_web_url(url):
            raise CatalogError(f"{where}: 'url' {url!r} is not an http(s) URL")
        if section not in sections:
            raise CatalogError(f"{where}: 'section' {section!r} is not one of "
                               f"{', '.join(sections)}")
        if kind not in KINDS:
            raise CatalogError(f"{where}: 'kind' {kind!r} is not one of {', '.join(KINDS)}")
        feeds.append(FeedEntry(url=url, section=section, kind=kind))
    return feeds


@functools.cache
def _bundled_hints() -> dict[str, ExtractionHints]:
    return {entry.name.casefold(): entry.extraction for entry in load_catalog()
            if entry.extraction is not None}


def extraction_options(publisher_name: str) -> Options:
    """The extraction settings for a publisher's pages: the defaults with its hints from the
    bundled catalogue, when it has any (matched by name, as the catalogue installs it)."""
    hints = _bundled_hints().get(publisher_name.casefold())
    return DEFAULT_OPTIONS if hints is None else replace(DEFAULT_OPTIONS, hints=hints)


@functools.cache
def _hints_by_host() -> dict[str, ExtractionHints]:
    """Each hinted publisher's hints under its homepage's host (feeds may live on a host
    other publishers share)."""
    return {host_of(entry.homepage): entry.extraction for entry in load_catalog()
            if entry.extraction is not None}


def extraction_options_for_page(url: str) -> Options:
    """The extraction settings for a page known only by its address (``broadsheet extract
    --jsonl``): the hints of the catalogue publisher whose homepage shares its host."""
    hints = _hints_by_host().get(host_of(url))
    return DEFAULT_OPTIONS if hints is None else replace(DEFAULT_OPTIONS, hints=hints)


def install_catalog(entries: list[PublisherEntry] | None = None,
                    on_each: Callable[[], None] | None = None) -> InstallResult:
    """Create the Publisher and Source rows the catalogue lists that do not exist yet.

    Idempotent: publishers are matched by name and sources by URL; an existing source is left
    exactly as it is (schedule state, enabled flag, section), so re-running never resets anything.
    ``entries`` defaults to the bundled catalogue; the offline demo passes its own. ``on_each``
    is called after each publisher, for the progress bar of ``broadsheet sources load-catalog``.
    """
    from django.db import transaction

    from broadsheet.sources.models import Publisher, Source

    if entries is None:
        entries = load_catalog()
    result = InstallResult()
    with transaction.atomic():
        for entry in entries:
            publisher = Publisher.objects.filter(name=entry.name).first()
            if publisher is None:
                publisher = Publisher.objects.create(
                    name=entry.name, homepage_url=entry.homepage, country=entry.country,
                    language=entry.language, feed_only=entry.feed_only)
                result.publishers_created += 1
            else:
                result.publishers_existing += 1
            known = set(Source.objects.filter(url__in=[f.url for f in entry.feeds])
                        .values_list("url", flat=True))
            for feed in entry.feeds:
                if feed.url in known:
                    result.sources_existing += 1
                    continue
                title = f"{entry.name}: {feed.section}" if feed.section else entry.name
                Source.objects.create(publisher=publisher, url=feed.url, kind=feed.kind,
                                      section=feed.section, title=title)
                known.add(feed.url)
                result.sources_created += 1
            if on_each is not None:
                on_each()
    return result
