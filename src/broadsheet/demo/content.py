"""The demo network's fictional publishers and the articles they carry.

The article text lives in ``data/articles.txt`` (one block per article, written for the demo) so
that it can be read and edited as prose; this module turns it into typed records. Dates are not
stored: each article says how many hours before "now" it appeared, so the demo always looks fresh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

SECTIONS: tuple[str, ...] = (
    "World", "Politics", "Business", "Technology", "Science", "Sport", "Culture",
)


@dataclass(frozen=True)
class PublisherStyle:
    """One fictional publisher: its name, look and how it lays out URLs, feeds and pages."""

    slug: str
    name: str
    tagline: str
    colour: str
    accent: str
    country: str
    language: str
    nav: tuple[str, ...]
    newsletter: str
    footer_note: str
    founded: int


PUBLISHERS: tuple[PublisherStyle, ...] = (
    PublisherStyle(
        slug="harbour-gazette", name="The Harbour Gazette",
        tagline="Port Alder's paper since 1868", colour="#0b3d5c", accent="#f2b134",
        country="GB", language="en-GB",
        nav=("News", "Politics", "Business", "World", "Science", "Sport", "Culture"),
        newsletter="The Harbour Gazette Morning Tide",
        footer_note="The Harbour Gazette is published by Quayside Media, Port Alder.",
        founded=1868),
    PublisherStyle(
        slug="northern-ledger", name="The Northern Ledger",
        tagline="Independent journalism from Northmoor", colour="#4a1c1c", accent="#c9a227",
        country="GB", language="en-GB",
        nav=("World", "Politics", "Business", "Technology", "Science", "Sport", "Culture"),
        newsletter="The Ledger Daily Briefing",
        footer_note="The Northern Ledger is owned by the Ledger Trust, which guarantees its "
                    "editorial independence.",
        founded=1902),
    PublisherStyle(
        slug="daily-meridian", name="Daily Meridian",
        tagline="News, stars and everything in between", colour="#c8102e", accent="#111111",
        country="GB", language="en-GB",
        nav=("News", "Politics", "World", "Science", "Culture", "Showbiz", "Money"),
        newsletter="Meridian Morning",
        footer_note="Daily Meridian is a trading name of Meridian Press Group.",
        founded=1951),
    PublisherStyle(
        slug="tech-current", name="Tech Current",
        tagline="Technology, science and the people building the future", colour="#00695c",
        accent="#80cbc4", country="US", language="en-US",
        nav=("Technology", "Science", "Security", "Reviews", "Policy"),
        newsletter="Current Weekly",
        footer_note="Tech Current is reader-supported. We may earn a commission from links.",
        founded=2011),
    PublisherStyle(
        slug="pitchside", name="Pitchside",
        tagline="Sport, properly covered", colour="#1b5e20", accent="#ffeb3b",
        country="GB", language="en-GB",
        nav=("Football", "Tennis", "Cycling", "Athletics", "Cricket", "Transfers"),
        newsletter="The Pitchside Final Whistle",
        footer_note="Pitchside is an independent sports publication.",
        founded=2015),
)

WIRE_AGENCY = "Continental Press Agency"


@dataclass(frozen=True)
class ArticleText:
    """One article as written, before it is given a date and an address."""

    id: str
    publisher: str  # publisher slug
    story: str  # same value for every publisher's version of one news story
    section: str
    hours: float  # hours before "now" that it was published
    kicker: str
    headline: str
    author: str
    role: str
    summary: str
    paragraphs: tuple[str, ...]
    wire: str = ""  # the news agency, for syndicated copies
    body_of: str = ""  # id of the article whose body this copy reuses


_FIELDS = {"publisher", "story", "section", "hours", "kicker", "headline", "author", "role",
           "summary", "wire", "body"}


def slugify(text: str, words: int = 9) -> str:
    """A URL slug from the first few words, the way news CMSs shorten headlines."""
    parts = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    return "-".join(parts[:words]) or "item"


def publisher_style(slug: str) -> PublisherStyle:
    for style in PUBLISHERS:
        if style.slug == slug:
            return style
    raise KeyError(slug)


def parse_articles(text: str) -> list[ArticleText]:
    """Parse the block format of ``articles.txt``; raise ValueError naming the bad block."""
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    blocks = re.split(r"^=== ", "\n".join(lines), flags=re.M)[1:]
    articles: list[ArticleText] = []
    bodies: dict[str, tuple[str, ...]] = {}
    for block in blocks:
        pieces = re.split(r"^---[ \t]*$", block, maxsplit=1, flags=re.M)
        head, body = pieces[0], pieces[1] if len(pieces) == 2 else ""
        ident, _, rest = head.partition("\n")
        ident = ident.strip()
        if len(pieces) != 2:
            raise ValueError(f"article {ident!r}: no '---' line between header and body")
        meta: dict[str, str] = {}
        for line in rest.splitlines():
            if not line.strip():
                continue
            key, colon, value = line.partition(":")
            if not colon or key.strip() not in _FIELDS:
                raise ValueError(f"article {ident!r}: bad header line {line!r}")
            meta[key.strip()] = value.strip()
        missing = {"publisher", "story", "section", "hours", "headline", "summary"} - set(meta)
        if missing:
            raise ValueError(f"article {ident!r}: missing {', '.join(sorted(missing))}")
        if meta["section"] not in SECTIONS:
            raise ValueError(f"article {ident!r}: unknown section {meta['section']!r}")
        publisher_style(meta["publisher"])
        paragraphs = tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip())
        body_of = meta.get("body", "")
        if body_of:
            if body_of not in bodies:
                raise ValueError(f"article {ident!r}: body {body_of!r} is not defined above it")
            paragraphs = bodies[body_of]
        elif not paragraphs:
            raise ValueError(f"article {ident!r}: empty body")
        bodies[ident] = paragraphs
        articles.append(ArticleText(
            id=ident, publisher=meta["publisher"], story=meta["story"], section=meta["section"],
            hours=float(meta["hours"]), kicker=meta.get("kicker", meta["section"]),
            headline=meta["headline"], author=meta.get("author", ""), role=meta.get("role", ""),
            summary=meta["summary"], paragraphs=paragraphs, wire=meta.get("wire", ""),
            body_of=body_of))
    ids = [a.id for a in articles]
    if len(ids) != len(set(ids)):
        raise ValueError("article ids must be unique")
    return articles


@cache
def load_articles() -> tuple[ArticleText, ...]:
    """The bundled demo articles, newest first."""
    text = resources.files("broadsheet.demo").joinpath("data/articles.txt").read_text("utf-8")
    return tuple(sorted(parse_articles(text), key=lambda a: a.hours))
