"""A quick first read of a huge feed: each item's identity and date, nothing more.

The full parser (:mod:`.parse`) spends about half a millisecond per RSS or Atom item (feedparser)
and refuses a body of more than ``parse.MAX_FEED_TAGS`` tags outright, so a feed of 100,000 items
would either hold a worker for a minute or never be read at all; a JSON Feed item costs it some
twenty microseconds, seconds for such a feed. lxml and the json module read the same bodies in a
fraction of a second. For a huge feed the pipeline reads this outline first, chooses the items
this fetch takes (:mod:`.turns`), and hands only those, cut out as a small feed of their own, to
the full parser. Feeds of ordinary size never come here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree

__all__ = ["HUGE_ITEMS", "Item", "Outline", "read"]

HUGE_ITEMS = 1000  # items above which a feed is outlined first; real news feeds carry far fewer
_ITEM_MARKS = (b"<item", b"<entry", b":item", b":entry")
_DATE_NAMES = ("pubdate", "published", "date", "issued", "updated", "modified")


@dataclass
class Item:
    """One item as the outline sees it: where it is, what may identify it, when it appeared."""

    index: int  # position in the feed
    guid: str  # <guid> or <id>, as written
    link: str  # <link>, absolute; "" when none
    date: datetime | None  # aware, UTC


@dataclass
class Outline:
    """A huge feed's items, and a way to cut a smaller feed holding only some of them."""

    items: list[Item]
    _cut: Callable[[set[int]], bytes]

    def cut(self, keep: set[int]) -> bytes:
        """The feed with only the items at these positions, as UTF-8, for the full parser."""
        return self._cut(keep)


def read(body: bytes, url: str, least: int = HUGE_ITEMS) -> Outline | None:
    """The outline of an RSS, Atom or JSON Feed ``body`` of more than ``least`` items, else None.

    None also when the body is not XML or JSON these readers can make sense of, or declares
    entities: the full parser then says what is wrong with it.
    """
    if body.lstrip()[:1] == b"{":
        return _read_json(body, url, least) if b"jsonfeed.org/version" in body[:65536] else None
    if sum(body.count(mark) for mark in _ITEM_MARKS) <= least or b"<!ENTITY" in body[:65536]:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True, remove_pis=True,
                             recover=True)
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None or _local(root) not in {"rss", "rdf", "feed"}:
        return None
    elements = [child for parent in (root, *root) for child in parent
                if _local(child) in {"item", "entry"}]
    if len(elements) <= least:
        return None
    items = [_item(n, element, url) for n, element in enumerate(elements)]

    def cut(keep: set[int]) -> bytes:
        for n, element in enumerate(elements):
            if n not in keep and (parent := element.getparent()) is not None:
                parent.remove(element)
        return etree.tostring(root, encoding="utf-8", xml_declaration=True)

    return Outline(items, cut)


def _read_json(body: bytes, url: str, least: int) -> Outline | None:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    raw = document.get("items") if isinstance(document, dict) else None
    if not isinstance(raw, list) or len(raw) <= least:
        return None
    items = [_json_item(n, item, url) for n, item in enumerate(raw)]

    def cut(keep: set[int]) -> bytes:
        chosen = [item for n, item in enumerate(raw) if n in keep]
        return json.dumps({**document, "items": chosen}).encode()

    return Outline(items, cut)


def _json_item(index: int, item: Any, feed_url: str) -> Item:
    if not isinstance(item, dict):
        return Item(index, "", "", None)
    raw_id = item.get("id")
    guid = raw_id.strip() if isinstance(raw_id, str) else ""
    if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
        guid = str(raw_id)
    link = next((v for v in (item.get("url"), item.get("external_url")) if isinstance(v, str)
                 and v.strip()), "")
    absolute = urljoin(feed_url, link.strip()) if link else ""
    date = next((d for key in ("date_published", "date_modified")
                 if isinstance(item.get(key), str) and (d := _date(item[key].strip()))), None)
    return Item(index, guid, absolute if absolute.startswith(("http://", "https://")) else "",
                date)


def _item(index: int, element: Any, feed_url: str) -> Item:
    guid = link = ""
    dates: dict[str, str] = {}
    for child in element:
        name = _local(child)
        if name in {"guid", "id"} and not guid:
            guid = (child.text or "").strip()
        elif name == "link" and not link:
            rel = child.get("rel", "alternate")
            href = child.get("href") if rel == "alternate" else None
            link = (href if href is not None else child.text or "").strip()
        elif name in _DATE_NAMES and name not in dates:
            dates[name] = (child.text or "").strip()
    when = next((d for name in _DATE_NAMES if (d := _date(dates.get(name, "")))), None)
    absolute = urljoin(feed_url, link) if link else ""
    return Item(index, guid, absolute if absolute.startswith(("http://", "https://")) else "",
                when)


def _date(value: str) -> datetime | None:
    """RFC 822 (RSS) or RFC 3339 (Atom, Dublin Core), as aware UTC; None when neither."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""
