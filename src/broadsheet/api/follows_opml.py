"""A reader's follows as OPML: exported for any feed reader, imported from one.

Export lists the publications, sections and topics the reader follows, one folder each, every
outline pointing at this site's feed for it (``xmlUrl``) and its page (``htmlUrl``). Import
reads a feed reader's subscription list and follows what it recognises: this site's own feed
and page addresses, a publisher's own feed or site as the sources know them, or a name. Every
other outline comes back as not found, with why. A file that is too big, hostile or not OPML
is refused whole, before anything changes (``OpmlImportError``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import http_date

from broadsheet.curation.models import Section
from broadsheet.markup import xml_attr
from broadsheet.readers.models import Follow
from broadsheet.sources.models import Publisher, Source
from broadsheet.sources.opml import OpmlError, parse_opml
from broadsheet.stories.models import Topic
from broadsheet.stories.queries import topic_by_slug, topic_named

MAX_BYTES = 1024 * 1024  # a list of thousands of feeds is a few hundred KB
MAX_OUTLINES = 5000
TOPIC_MAX_CHARS = 100  # as the Follow button keeps a topic
FOLLOWABLE = ("publication", "section", "topic", "search")  # what this site's addresses name
NOT_FOLLOWABLE = "a Broadsheet feed that is not a publication, section or topic"
NO_MATCH = "no publication, section or topic on Broadsheet matches it"


class OpmlImportError(ValueError):
    """The whole file is refused: ``status`` is 413 for too big, 400 otherwise."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Target:
    kind: str  # publisher | section | topic
    value: str  # a slug, or a followed topic's words
    name: str

    @property
    def kind_label(self) -> str:
        return "publication" if self.kind == "publisher" else self.kind


@dataclass(frozen=True)
class NotFound:
    title: str
    xml_url: str
    html_url: str
    reason: str


@dataclass
class ImportReport:
    followed: list[Target] = field(default_factory=list)
    already: list[Target] = field(default_factory=list)
    not_found: list[NotFound] = field(default_factory=list)

    def summary(self) -> str:
        counts = [_count(sum(t.kind == kind for t in self.followed), word)
                  for kind, word in (("publisher", "publication"), ("section", "section"),
                                     ("topic", "topic"))]
        parts = [f"Now following {len(self.followed)} more"
                 + (f" ({', '.join(c for c in counts if c)})" if self.followed else "")]
        if self.already:
            parts.append(f"{len(self.already)} already followed")
        parts.append(f"{len(self.not_found)} not found" if self.not_found
                     else "nothing left out")
        return "; ".join(parts) + "."


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}" if n else ""


# --- export ------------------------------------------------------------------------------------

def export_opml(user) -> str:
    """OPML 2.0 of what ``user`` follows, in folders: publications, sections, topics."""
    groups: dict[str, list[tuple[str, str, str]]] = {"Publications": [], "Sections": [],
                                                     "Topics": []}
    for follow in Follow.objects.filter(user=user).select_related("publisher", "section"):
        if follow.kind == Follow.Kind.PUBLISHER and follow.publisher:
            groups["Publications"].append(_outline("publication", follow.publisher.slug,
                                                   follow.publisher.name))
        elif follow.kind == Follow.Kind.SECTION and follow.section:
            groups["Sections"].append(_outline("section", follow.section.slug,
                                               follow.section.name))
        elif follow.kind == Follow.Kind.TOPIC and follow.topic:
            groups["Topics"].append(_topic_outline(follow.topic))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">', "  <head>",
             "    <title>Followed on Broadsheet</title>",
             f"    <dateCreated>{http_date(timezone.now().timestamp())}</dateCreated>",
             "    <docs>http://opml.org/spec2.opml</docs>", "  </head>", "  <body>"]
    for folder, outlines in groups.items():
        if not outlines:
            continue
        lines.append(f"    <outline text={xml_attr(folder)} title={xml_attr(folder)}>")
        for name, xml_url, html_url in sorted(outlines, key=lambda o: o[0].casefold()):
            lines.append(f'      <outline type="rss" text={xml_attr(name)} '
                         f"title={xml_attr(name)} xmlUrl={xml_attr(xml_url)} "
                         f"htmlUrl={xml_attr(html_url)}/>")
        lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _site(path: str) -> str:
    return settings.SITE_URL + path


def _outline(kind: str, slug: str, name: str) -> tuple[str, str, str]:
    return (name, _site(reverse(f"feed_{kind}", args=[slug])),
            _site(reverse(kind, args=[slug])))


def _topic_outline(value: str) -> tuple[str, str, str]:
    """A known topic's feed and page; other words, the feed and page of a search for them."""
    topic, _ = topic_by_slug(value)
    if topic is not None:
        return _outline("topic", topic.slug, topic.name)
    query = "?" + urlencode({"q": value})
    return value, _site(reverse("feed_search") + query), _site(reverse("search") + query)


# --- import ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Leaf:
    title: str
    xml_url: str
    html_url: str


def read_leaves(data: bytes) -> list[_Leaf]:
    """Every outline that is not a folder, or ``OpmlImportError`` for the whole file."""
    if len(data) > MAX_BYTES:
        raise OpmlImportError(f"The OPML file is larger than {MAX_BYTES // 1024} KB.", 413)
    try:
        root = parse_opml(data, MAX_BYTES)
    except OpmlError as error:
        raise OpmlImportError(f"This is not an OPML file Broadsheet can read: {error}.") \
            from error
    outlines = list(root.iter("outline"))
    if len(outlines) > MAX_OUTLINES:
        raise OpmlImportError(f"The OPML file has more than {MAX_OUTLINES} outlines.", 413)
    leaves = []
    for node in outlines:
        xml_url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if not xml_url and len(node):
            continue  # a folder: its outlines are read in turn
        leaves.append(_Leaf(" ".join((node.get("title") or node.get("text") or "").split()),
                            xml_url, (node.get("htmlUrl") or node.get("htmlurl") or "").strip()))
    return leaves


def import_opml(user, data: bytes) -> ImportReport:
    """Follow what the file's outlines name; the file is read whole before anything changes."""
    leaves = read_leaves(data)
    matcher = _Matcher()
    report = ImportReport()
    seen: set[tuple[str, str]] = set()
    with transaction.atomic():
        for leaf in leaves:
            target = matcher.match(leaf)
            if isinstance(target, NotFound):
                report.not_found.append(target)
                continue
            if (target.kind, target.value) in seen:
                continue
            seen.add((target.kind, target.value))
            (report.followed if _follow(user, target) else report.already).append(target)
    return report


def _follow(user, target: Target) -> bool:
    """Follow ``target``; False when it was already followed."""
    fields: dict[str, Any]  # the follow's lookup: its publisher, section or topic
    if target.kind == Follow.Kind.PUBLISHER:
        fields = {"publisher": Publisher.objects.get(slug=target.value)}
    elif target.kind == Follow.Kind.SECTION:
        fields = {"section": Section.objects.get(slug=target.value)}
    else:
        fields = {"topic": target.value}
    try:
        with transaction.atomic():
            _, created = Follow.objects.get_or_create(user=user, kind=target.kind, **fields)
    except IntegrityError:
        return False  # followed at the same moment elsewhere: followed either way
    return created


def _normal(url: str) -> str:
    """An address as compared: no scheme, no "www.", no trailing slash, lower-case host."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")


class _Matcher:
    """What an outline names, looked up against what this site knows."""

    def __init__(self) -> None:
        self.site_host = urlsplit(settings.SITE_URL).netloc.lower()
        self.publishers = {p.pk: p for p in Publisher.objects.all()}
        self.by_address = {_normal(p.homepage_url): p for p in self.publishers.values()
                           if p.homepage_url}
        self.by_address.update({_normal(url): self.publishers[pid] for url, pid in
                                Source.objects.values_list("url", "publisher_id")})
        self.by_name = {p.name.casefold(): p for p in self.publishers.values()}
        self.sections = {s.name.casefold(): s for s in Section.objects.all()}

    def match(self, leaf: _Leaf) -> Target | NotFound:
        for url in (leaf.xml_url, leaf.html_url):
            found = self._on_this_site(url) if url else None
            if found is not None:
                return found if isinstance(found, Target) else self._missing(leaf, found)
        for url in (leaf.xml_url, leaf.html_url):
            publisher = self.by_address.get(_normal(url)) if url else None
            if publisher is not None:
                return Target("publisher", publisher.slug, publisher.name)
        return self._by_name(leaf.title) or self._missing(
            leaf, NO_MATCH if (leaf.title or leaf.xml_url or leaf.html_url)
            else "the outline has no title or address")

    @staticmethod
    def _missing(leaf: _Leaf, reason: str) -> NotFound:
        return NotFound(leaf.title, leaf.xml_url, leaf.html_url, reason)

    def _on_this_site(self, url: str) -> Target | str | None:
        """The target one of this site's addresses stands for; a reason if none; None if the
        address is elsewhere."""
        parts = urlsplit(url)
        if parts.netloc.lower() != self.site_host or parts.scheme not in ("http", "https"):
            return None
        try:
            found = resolve(parts.path)
        except Resolver404:
            return NO_MATCH
        kind = (found.url_name or "").removeprefix("feed_").split("_")[0]
        value = found.kwargs.get("slug") or " ".join(
            parse_qs(parts.query).get("q", [""])[0].split())
        if kind not in FOLLOWABLE or not value:
            return NOT_FOLLOWABLE
        return self._known(kind, value) or NO_MATCH

    def _known(self, kind: str, value: str) -> Target | None:
        """A publication, section or topic by slug; a search's words, followed as a topic."""
        if kind == "publication":
            publisher = Publisher.objects.filter(slug=value).first()
            return Target("publisher", publisher.slug, publisher.name) if publisher else None
        if kind == "section":
            section = Section.objects.filter(slug=value).first()
            return Target(kind, section.slug, section.name) if section else None
        topic = topic_by_slug(value)[0] or (topic_named(value) if kind == "search" else None)
        if topic is not None:
            return Target("topic", topic.slug, topic.name)
        if kind == "topic":
            return None
        words = value[:TOPIC_MAX_CHARS].strip()
        return Target("topic", words, words)  # followed as words, as the Follow button does

    def _by_name(self, title: str) -> Target | None:
        if not title:
            return None
        key = title.casefold()
        if key in self.by_name:
            publisher = self.by_name[key]
            return Target("publisher", publisher.slug, publisher.name)
        if key in self.sections:
            section = self.sections[key]
            return Target("section", section.slug, section.name)
        topic = (Topic.objects.filter(name__iexact=title, hidden=False,
                                      merged_into__isnull=True).first()
                 or topic_named(title))
        return Target("topic", topic.slug, topic.name) if topic else None
