"""`broadsheet extract --jsonl`: the pipeline's own page preparation, on pages given as JSON lines.

Input lines are ``{"id", "url", "html"}``; output lines are ``{"id", "title", "author",
"publisher", "section", "published_at", "text"}``, in input order. A line that cannot be read or
whose page holds no article gets an ``"error"`` field instead of losing its place.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TextIO

from .extract import ExtractionError
from .prepare import prepare_page

FIELDS = ("title", "author", "publisher", "section", "published_at", "text")


def extract_record(line: str) -> dict:
    try:
        record = json.loads(line)
        if not isinstance(record, dict):
            raise ValueError("expected a JSON object")
        html, url = record.get("html"), record.get("url") or ""
        if not isinstance(html, str):
            raise ValueError('missing "html" string')
    except ValueError as error:
        return {"id": None, "error": f"unreadable input line: {error}", **dict.fromkeys(FIELDS)}
    out = {"id": record.get("id"), **dict.fromkeys(FIELDS)}
    try:
        prepared = prepare_page(html.encode("utf-8"), url, "utf-8")
    except ExtractionError as error:
        out["error"] = f"no article found: {error}"
        return out
    except ValueError as error:  # an unusable or missing url
        out["error"] = f"unusable url {url!r}: {error}"
        return out
    out.update(title=prepared.title, author=prepared.author, publisher=prepared.publisher,
               section=prepared.section, text=prepared.text,
               published_at=prepared.published_at.isoformat() if prepared.published_at else None)
    return out


def extract_lines(lines: Iterable[str], out: TextIO, workers: int | None = None) -> int:
    """Extract every non-blank line; returns how many lines had an error."""
    errors = 0
    for record in _map(extract_record, (line for line in lines if line.strip()), workers):
        errors += "error" in record
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return errors


def _map(function, items: Iterable[str], workers: int | None) -> Iterator[dict]:
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        yield from map(function, items)
        return
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(function, items, chunksize=4)
