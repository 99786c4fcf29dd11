"""OPML in and out: the subscription list format every feed reader speaks."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from broadsheet.markup import xml_attr

from .models import Source


class OpmlError(ValueError):
    """The file is not OPML Broadsheet can read."""


@dataclass
class Outline:
    url: str
    title: str
    section: str
    homepage: str = ""
    kind: str = "feed"


MAX_OPML_BYTES = 5 * 1024 * 1024  # far more than any real subscription list
_REFUSED = (b"<!DOCTYPE", b"<!ENTITY")


def parse_opml(data: bytes, max_bytes: int = MAX_OPML_BYTES):
    """The ``<opml>`` root element, parsed safely: no DTD, no entities, no network, capped size.

    OPML never needs a document type, so any DTD or entity declaration is refused before
    parsing (no entity expansion, whatever the file says).
    """
    if len(data) > max_bytes:
        raise OpmlError(f"the OPML file is larger than {max_bytes // 1024} KB")
    upper = data.upper()
    if any(refused in upper for refused in _REFUSED):
        raise OpmlError("the OPML file declares a document type or XML entities; "
                        "refused for safety")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, recover=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise OpmlError(f"not well-formed XML: {error}") from error
    if root.getroottree().docinfo.internalDTD is not None:  # declared in another encoding
        raise OpmlError("the OPML file declares a document type; refused for safety")
    if not isinstance(root.tag, str) or root.tag.lower() != "opml":
        raise OpmlError(f"expected an <opml> document, found <{root.tag}>")
    return root


def read_opml(data: bytes) -> list[Outline]:
    """Every outline with an xmlUrl; its section is the enclosing outline's title (or category)."""
    root = parse_opml(data)
    outlines: list[Outline] = []
    for node in root.iter("outline"):
        url = (node.get("xmlUrl") or node.get("xmlurl") or "").strip()
        if not url:
            continue
        parent = node.getparent()
        section = ""
        if parent is not None and parent.tag == "outline":
            section = parent.get("title") or parent.get("text") or ""
        section = section or (node.get("category") or "").strip("/").split("/")[0]
        kind = "sitemap" if (node.get("type") or "").lower() == "sitemap" else "feed"
        outlines.append(Outline(url=url, title=node.get("title") or node.get("text") or "",
                                section=section.strip(), homepage=node.get("htmlUrl") or "",
                                kind=kind))
    return outlines


def write_opml(sources=None) -> str:
    """All sources as OPML 2.0: grouped in an outline per section, unsectioned ones at the top."""
    sources = (sources if sources is not None else Source.objects.all()).select_related("publisher")
    groups: dict[str, list[Source]] = {}
    for source in sources.order_by("section", "publisher__name", "url"):
        groups.setdefault(source.section, []).append(source)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0">',
             "  <head><title>Broadsheet sources</title></head>", "  <body>"]
    for section, members in groups.items():
        indent = "      " if section else "    "
        if section:
            lines.append(f"    <outline text={xml_attr(section)} title={xml_attr(section)}>")
        for source in members:
            kind = "rss" if source.kind == Source.Kind.FEED else "sitemap"
            title = source.publisher.name
            lines.append(
                f"{indent}<outline type={xml_attr(kind)} text={xml_attr(title)} "
                f"title={xml_attr(title)} xmlUrl={xml_attr(source.url)} "
                f"htmlUrl={xml_attr(source.publisher.homepage_url)}/>")
        if section:
            lines.append("    </outline>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def import_opml(data: bytes) -> tuple[int, int]:
    """Add every feed in the OPML file as a source; returns (added, already there).

    Feeds are stored as given, without fetching them: the first scheduled check will tell which
    work, and records an error on those that don't.
    """
    from .subscribe import SubscribeError, add_source, publisher_from_title

    added = existing = 0
    for outline in read_opml(data):
        try:
            _, created = add_source(outline.url, publisher=publisher_from_title(outline.title),
                                    section=outline.section, check=False, kind=outline.kind,
                                    homepage=outline.homepage)
        except SubscribeError:
            continue
        added, existing = added + created, existing + (not created)
    return added, existing
