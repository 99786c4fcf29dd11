"""`broadsheet extract --jsonl`: the pipeline's own page preparation, on pages given as JSON lines.

Input lines are ``{"id", "url", "html"}``; output lines are ``{"id", "title", "author",
"publisher", "section", "published_at", "text"}``, in input order. A line that cannot be read or
whose page holds no article gets an ``"error"`` field instead of losing its place.

The text is the one the pipeline would store: a page of a catalogue publisher's site is read
with its hints (``broadsheet.cli`` passes ``sources.catalog.extraction_options_for_page``), pages
are read in input order as if they arrived one after the other, and each host's repeated
blocks, learnt from its earlier pages in the input (each page once), leave its later pages
(``templates``). With ``site_templates=False`` every page is prepared on its own, as a
publisher's first pages are.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import TextIO

from .extract import ExtractionError
from .extract_body import DEFAULT_OPTIONS, Options
from .prepare import prepare_page
from .record import ArticleRecord
from .templates import SiteTemplate, host_of, without_template

OptionsFor = Callable[[str], Options]
FIELDS = ("title", "author", "publisher", "section", "published_at", "text")


def extract_record(line: str, options_for: OptionsFor | None = None
                   ) -> tuple[dict, ArticleRecord | None]:
    """One input line's output line, and the prepared article (None when there is none);
    ``options_for(url)`` gives a page's extraction settings (a publisher's hints)."""
    try:
        record = json.loads(line)
        if not isinstance(record, dict):
            raise ValueError("expected a JSON object")
        html, url = record.get("html"), record.get("url") or ""
        if not isinstance(html, str):
            raise ValueError('missing "html" string')
    except ValueError as error:
        return {"id": None, "error": f"unreadable input line: {error}",
                **dict.fromkeys(FIELDS)}, None
    out = {"id": record.get("id"), **dict.fromkeys(FIELDS)}
    try:
        options = options_for(url) if options_for is not None else DEFAULT_OPTIONS
        prepared = prepare_page(html.encode("utf-8"), url, "utf-8", options)
    except ExtractionError as error:
        out["error"] = f"no article found: {error}"
        return out, None
    except ValueError as error:  # an unusable or missing url
        out["error"] = f"unusable url {url!r}: {error}"
        return out, None
    out.update(title=prepared.title, author=prepared.author, publisher=prepared.publisher,
               section=prepared.section, text=prepared.text,
               published_at=prepared.published_at.isoformat() if prepared.published_at else None)
    return out, prepared


# A host's blocks are pruned of those seen once when it holds more than this many (a few
# thousand pages' worth), so memory stays bounded however many pages the input holds.
MAX_BLOCKS_PER_HOST = 100_000


class SiteLearning:
    """Every host's template learnt from the pages given so far, as the pipeline learns it from
    the pages it stores."""

    def __init__(self) -> None:
        self.sites: dict[str, SiteTemplate] = {}
        self.seen: set[str] = set()

    def text(self, article: ArticleRecord) -> str:
        """``article``'s text without its host's template, then learn from the page (a page
        given twice counts once, as the pipeline learns only from a new article)."""
        host = host_of(article.canonical_url)
        if not host:
            return article.text
        site = self.sites.setdefault(host, SiteTemplate())
        text = without_template(article, site.template()).text
        if article.canonical_url not in self.seen:
            self.seen.add(article.canonical_url)
            site.learn(article.html)
            if len(site.blocks) > MAX_BLOCKS_PER_HOST:
                site.forget_rare()
        return text


def extract_lines(lines: Iterable[str], out: TextIO, workers: int | None = None,
                  site_templates: bool = True, options_for: OptionsFor | None = None) -> int:
    """Extract every non-blank line; returns how many lines had an error. ``options_for``
    runs in the worker processes: a module's function, not a closure."""
    errors = 0
    learning = SiteLearning() if site_templates else None
    work = partial(extract_record, options_for=options_for)
    for record, article in _map(work, (line for line in lines if line.strip()), workers):
        errors += "error" in record
        if learning is not None and article is not None:
            record["text"] = learning.text(article)
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return errors


def _map(function, items: Iterable[str], workers: int | None) -> Iterator:
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        yield from map(function, items)
        return
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(function, items, chunksize=4)
