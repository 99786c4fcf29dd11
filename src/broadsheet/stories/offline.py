"""The story clustering run offline, on a batch: `broadsheet stories cluster`.

A batch is read as the live stream would have delivered it (``stream_order``), assigned online
and refined at the end, so offline figures describe what the product does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .cluster import ClusterConfig, StoryClusterer, StoryDoc, timestamp
from .refining import Refinement


def stream_order(dates: list[float | None]) -> list[int]:
    """Processing order for a batch: dated articles in time order, undated ones where they are.

    Undated articles keep their positions; the dated ones are sorted among the dated positions,
    so a backfill reads as the live stream would have.
    """
    slots = [i for i, d in enumerate(dates) if d is not None]
    by_time = sorted(slots, key=lambda i: dates[i])  # type: ignore[arg-type, return-value]
    order = list(range(len(dates)))
    for slot, i in zip(slots, by_time, strict=True):
        order[slot] = i
    return order


TEXT_FIELDS = ("outlet", "date", "published_at", "title", "text", "url")


def _doc_from_line(line: str, first_line_of: dict[str, int], number: int) -> StoryDoc:
    """The article a line gives, or ``ValueError`` saying what is wrong with the line."""
    try:
        row = json.loads(line)
    except ValueError as error:
        raise ValueError(f"not JSON: {error}") from error
    if not isinstance(row, dict):
        raise ValueError("expected a JSON object")
    raw_id = row.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or raw_id == "":
        raise ValueError('missing "id" (a string or a number)')
    for name in TEXT_FIELDS:
        if row.get(name) is not None and not isinstance(row[name], str):
            raise ValueError(f'"{name}" must be a string or null')
    article_id = str(raw_id)
    if article_id in first_line_of:
        raise ValueError(f'"id" {article_id!r} was given on line {first_line_of[article_id]}')
    first_line_of[article_id] = number
    return StoryDoc(id=article_id, outlet=row.get("outlet") or None,
                    published_at=row.get("date") or row.get("published_at") or None,
                    title=row.get("title"), text=row.get("text"), url=row.get("url"))


@dataclass
class StoryLog:
    """Each article's story in a batch run, through every assignment and refinement."""

    story: dict[str, str] = field(default_factory=dict)  # article id -> story id when decided
    absorbed: dict[str, str] = field(default_factory=dict)  # story id -> its successor

    def apply(self, change: Refinement) -> None:
        self.story.update(change.moved)
        self.absorbed.update(change.absorbed)

    def final(self, article_id: str) -> str:
        sid = self.story[article_id]
        while sid in self.absorbed:
            sid = self.absorbed[sid]
        return sid


def cluster_docs(docs: list[StoryDoc], config: ClusterConfig | None = None,
                 refine_every: int = 0) -> dict[str, str]:
    """Cluster a batch as a stream would be (see ``stream_order``): article id -> story id.

    Articles are assigned online; ``refine`` then runs once over the whole window at the end
    (and, with ``refine_every``, also every that many articles over the last two periods).
    """
    engine = StoryClusterer(config)
    order = stream_order([timestamp(d.published_at) for d in docs])
    log = StoryLog()
    for n, i in enumerate(order, 1):
        log.story[docs[i].id] = engine.assign(docs[i])
        if refine_every and n % refine_every == 0:
            log.apply(engine.refine(recent=2 * refine_every))
    log.apply(engine.refine())
    return {d.id: log.final(d.id) for d in docs}


@dataclass
class BatchRun:
    """What ``cluster_jsonl`` did: articles clustered, and each unreadable line's error."""

    clustered: int = 0
    errors: list[str] = field(default_factory=list)


def cluster_jsonl(in_path: str | Path, out_path: str | Path,
                  config: ClusterConfig | None = None) -> BatchRun:
    """Read ``{"id","outlet","date","title","text","url"}`` lines, write ``{"id","story"}`` lines.

    Output follows input order, one line for each non-blank input line. A line that cannot be
    read (not a JSON object, no id, an id given before, a field that is not text) keeps its
    place as ``{"id", "story": null, "error"}`` and the rest are clustered without it.
    """
    docs: list[StoryDoc] = []
    lines: list[StoryDoc | dict] = []
    first_line_of: dict[str, int] = {}
    run = BatchRun()
    with open(in_path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                doc = _doc_from_line(line, first_line_of, number)
            except ValueError as error:
                message = f"line {number}: {error}"
                run.errors.append(message)
                lines.append({"id": _id_of(line), "story": None, "error": message})
                continue
            docs.append(doc)
            lines.append(doc)
    stories = cluster_docs(docs, config)
    with open(out_path, "w", encoding="utf-8") as f:
        for item in lines:
            if isinstance(item, StoryDoc):
                item = {"id": item.id, "story": stories[item.id]}
            f.write(json.dumps(item) + "\n")
    run.clustered = len(docs)
    return run


def _id_of(line: str) -> str | int | None:
    """An unreadable line's id, when it has a usable one, so its error line can be matched."""
    try:
        row = json.loads(line)
    except ValueError:
        return None
    raw = row.get("id") if isinstance(row, dict) else None
    return raw if isinstance(raw, str | int) and not isinstance(raw, bool) else None
