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


def _doc_from_row(row: dict) -> StoryDoc:
    return StoryDoc(
        id=str(row["id"]),
        outlet=row.get("outlet") or None,
        published_at=row.get("date") or row.get("published_at") or None,
        title=row.get("title"),
        text=row.get("text"),
        url=row.get("url"),
    )


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


def cluster_jsonl(in_path: str | Path, out_path: str | Path,
                  config: ClusterConfig | None = None) -> int:
    """Read ``{"id","outlet","date","title","text","url"}`` lines, write ``{"id","story"}`` lines.

    Output follows input order. Returns the number of articles written.
    """
    with open(in_path, encoding="utf-8") as f:
        docs = [_doc_from_row(json.loads(line)) for line in f if line.strip()]
    stories = cluster_docs(docs, config)
    with open(out_path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d.id, "story": stories[d.id]}) + "\n")
    return len(docs)
