"""A huge feed is taken in turns: at most so many new items per source per fetch, newest first.

A feed of 100,000 items, hostile or just badly made, would otherwise hold a worker for hours and
fill the store in one go. Each fetch takes at most ``max_items`` items Broadsheet has not stored
yet (``BROADSHEET_FETCH_MAX_ITEMS``), the newest first by date (items without a date in feed
order, after the dated ones); items already stored do not count. The rest wait: the pipeline
keeps the source's old ETag and Last-Modified, so the next fetch sees the whole feed again rather
than a 304, and the source's notice says how many items are left. Stored items whose feed entry
may have changed are read again within a budget of the same size, so a feed that rewrites every
entry each time cannot make a fetch unbounded either.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import outline as outline_stage
from . import parse as parse_stage
from . import plaintext
from . import urls as url_stage

__all__ = ["LEFT_MARK", "Triage", "left_notice", "newest_first", "pick", "triage"]

LEFT_MARK = "left for the next fetch"
_NEVER = datetime.min.replace(tzinfo=UTC)

Known = dict[str, tuple[int, datetime, str]]  # see articles.store.known_articles
KnownLookup = Callable[[list[str], list[str]], Known]  # (guids, urls) -> known


def left_notice(count: int) -> str:
    """What the source's notice says while items wait for later fetches."""
    return f"{count} more {'item' if count == 1 else 'items'} {LEFT_MARK}"


def newest_first(entries: Iterable[parse_stage.Entry]) -> list[parse_stage.Entry]:
    """Dated entries newest first, then undated ones in feed order (the sort is stable)."""
    return sorted(entries, key=lambda e: e.published_at or e.updated_at or _NEVER, reverse=True)


@dataclass
class Triage:
    """What one fetch does with a feed's entries."""

    pages: list[tuple[parse_stage.Entry, str]] = field(default_factory=list)  # (entry, link)
    full: list[parse_stage.Entry] = field(default_factory=list)  # complete in the feed
    unchanged: int = 0
    removed: int = 0  # entries of articles an editor took down
    failed: list[tuple[str, str]] = field(default_factory=list)  # (entry, reason)
    left: int = 0  # items held back for the next fetch


def triage(entries: list[parse_stage.Entry], source_url: str, max_items: int,
           lookup: KnownLookup, taken_down: int) -> Triage:
    """Split entries into pages to fetch, entries complete in the feed, and known ones.

    At most ``max_items`` new entries are taken, and at most as many stored ones read again.
    """
    found = Triage()
    links: dict[int, str] = {}
    for entry in entries:
        if entry.url:
            try:
                links[id(entry)] = url_stage.normalize_url(entry.url)
            except ValueError:
                found.failed.append((entry.url, "unusable link"))
    known = lookup([e.guid for e in entries],
                   list(links.values()) + [e.url for e in entries if e.url])
    new = again = 0
    for entry in newest_first(entries):
        link = links.get(id(entry), "")
        hit = _hit(known, entry, link)
        if hit and hit[0] == taken_down:
            found.removed += 1
            continue
        if hit:
            changed = _changed_since(entry, *hit[1:])
            if not (changed or entry.has_full_content):
                found.unchanged += 1
                continue
            if again >= max_items:
                found.left += changed  # a known change waits; a mere re-check is dropped
                found.unchanged += not changed
                continue
            again += _route(found, entry, link, source_url)
        elif new >= max_items:
            found.left += 1
        else:
            new += _route(found, entry, link, source_url)
    return found


def pick(outline: outline_stage.Outline, max_items: int,
         known: Collection[str]) -> tuple[set[int], int]:
    """The items of a huge feed worth a full parse, and how many new ones wait for later.

    ``known`` holds the keys of the source's stored articles (``articles.store.source_keys``).
    Kept: the newest ``max_items`` items not stored yet and the newest ``max_items`` stored ones
    (whose entries may have changed). An item the outline could not match to its stored article
    is kept as new; the full triage then finds it known, and it costs only a place in this turn.
    """
    order = sorted(outline.items, key=lambda item: item.date or _NEVER, reverse=True)
    fresh: list[int] = []
    stored: list[int] = []
    for item in order:
        seen = bool(item.guid and f"guid:{item.guid}" in known) or \
            bool(item.link and f"url:{item.link}" in known)
        (stored if seen else fresh).append(item.index)
    keep = set(fresh[:max_items]) | set(stored[:max_items])
    return keep, max(0, len(fresh) - max_items)


def _hit(known: Known, entry: parse_stage.Entry, link: str):
    hit = known.get(f"guid:{entry.guid}") if entry.guid else None
    hit = hit or (known.get(f"url:{link}") if link else None)
    return hit or (known.get(f"url:{entry.url}") if entry.url else None)


def _route(found: Triage, entry: parse_stage.Entry, link: str, source_url: str) -> bool:
    """Send an entry to be prepared; False when there is nothing to prepare it from."""
    if entry.has_full_content:
        found.full.append(entry)  # cheap to prepare again; the store tells if it changed
    elif link:
        found.pages.append((entry, link))
    elif entry.url:
        return False  # already reported as an unusable link
    elif entry.content_html or entry.summary:
        found.full.append(entry)  # no page to fetch: what the feed gives is all there is
    else:
        found.failed.append((entry.guid or entry.title or source_url,
                             "entry has no link and no content"))
        return False
    return True


def _changed_since(entry: parse_stage.Entry, fetched_at: datetime, title: str) -> bool:
    """A stored article needs its page again when the feed dates or retitles it anew."""
    if entry.updated_at and entry.updated_at > fetched_at:
        return True
    return bool(entry.title) and plaintext.one_line(entry.title)[:1000] != title
