"""Story clustering: every new article joins an existing story or starts a new one.

The engine is pure Python (numpy for the hot loop), holds no database handle and is fed one
article at a time, so a backfill and a live stream cluster the same way. Its parts, one module
each:

1. ``features.py`` and ``idf.py``: the article becomes a weighted feature vector (sublinear tf
   times an idf learned incrementally from every article seen; headline words, names and
   numbers as extra features; pruned to its strongest ``max_features``; L2-normalised). Only
   the body's lead (``lead_words``) is read: it names the event, the rest differs from outlet
   to outlet.
2. ``candidates.py``: candidates come from an inverted index over the *active window* only
   (``store.py``: articles published within ``window_days`` of the newest publication time
   seen, plus the ``max_undated`` most recent undated ones).
3. ``scoring.py`` with ``density.py``: each candidate story is scored by a blend of the
   similarity to its centroid and to its closest member, each corrected for local density,
   with soft penalties for a repeated outlet and a gap in publication time.
4. Here: the best story at or above ``threshold`` wins; otherwise the article starts a new one.
5. ``refining.py`` (periodic, off the hot path): the newest articles are clustered again by
   average link once more of their coverage, and better density estimates, have arrived.

Undated articles are compared with everything active (no time penalty) and do not move the
clock; they leave the window by count (``max_undated``), oldest first.

State to persist: the idf table (``document_frequencies`` / ``load_frequencies``) and each active
article's story id. ``add(doc, story_id)`` re-inserts a known article without deciding
anything, so a worker rebuilds the engine from the database at start-up (see ``snapshot``).
Story assignment must run in one process per partition (the engine is not thread-safe).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from .cluster_config import ClusterConfig
from .density import remember_neighbours
from .features import extract_features
from .idf import IdfTable
from .refining import Refinement, refine
from .scoring import Query, story_scores
from .similarity import DotProducts
from .store import ArticleStore
from .story_doc import DAY, StoryDoc, timestamp

__all__ = ["DAY", "ClusterConfig", "Refinement", "StoryClusterer", "StoryDoc", "timestamp"]


class StoryClusterer:
    """Online story assignment over a bounded active window."""

    def __init__(
        self,
        config: ClusterConfig | None = None,
        new_story_id: Callable[[], str] | None = None,
    ) -> None:
        self.config = config or ClusterConfig()
        # The database side passes its own factory (a new Story row's key); the default numbers
        # stories s1, s2, ... and skips ids it already holds, e.g. after ``add``.
        counter = itertools.count(1)
        self._idf = IdfTable(self.config)
        self._store = ArticleStore(self.config, new_story_id or (lambda: f"s{next(counter)}"))
        self._dot = DotProducts()
        # Editors' decisions that ``refine`` keeps: articles it never moves, stories it never
        # joins to another established story.
        self._pinned: set[str] = set()
        self._kept: set[str] = set()

    @property
    def clock(self) -> float | None:
        """The newest publication time seen (seconds since the epoch), None before any."""
        return self._store.clock

    def assign(self, doc: StoryDoc) -> str:
        """Put ``doc`` in its story (an existing one or a new one) and return the story id."""
        store = self._store
        query = self._query(doc)
        store.advance(query.ts)
        scores, slots, dots = story_scores(store, self._dot, len(self._idf), query)
        best = max(scores, key=scores.__getitem__) if scores else None
        if best is None or scores[best] < self.config.threshold:
            sid = store.next_story_id()
        else:
            sid = store.stories[best].id
        store.insert(doc.id, doc.outlet, (query.fids, query.ws), query.ts, sid)
        remember_neighbours(store, slots, dots)
        return sid

    def score(self, doc: StoryDoc) -> list[tuple[str, float]]:
        """Candidate stories for ``doc`` with their scores, best first (nothing is changed)."""
        query = self._query(doc, learn=False)
        scores = story_scores(self._store, self._dot, len(self._idf), query)[0]
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        return [(self._store.stories[k].id, s) for k, s in ranked]

    def add(self, doc: StoryDoc, story_id: str) -> None:
        """Insert an article whose story is already known (rebuilding the state after a restart)."""
        query = self._query(doc)
        self._store.advance(query.ts)
        self._store.insert(doc.id, doc.outlet, (query.fids, query.ws), query.ts, story_id)

    def refine(self, recent: int | None = None) -> Refinement:
        """Cluster the ``recent`` newest active articles (all when None) again (``refining.py``)."""
        return refine(self._store, self._neighbours, self._pinned, self._kept, recent)

    def pin(self, article_id: str) -> None:
        """Keep an article in the story it is in now: ``refine`` never moves it."""
        self._pinned.add(article_id)

    def keep(self, story_id: str) -> None:
        """Keep a story apart: ``refine`` never joins it with another established story."""
        self._kept.add(story_id)

    def story_of(self, article_id: str) -> str | None:
        """Story id of an article still in the active window."""
        i = self._store.slot_of.get(article_id)
        return None if i is None else self._store.story_id(i)

    def seed_frequencies(self, docs: Iterable[tuple[str | None, str | None]]) -> None:
        """Learn document frequencies from (title, text) pairs without clustering them.

        A fresh engine knows no idf; seeding it from recent articles (or loading the persisted
        table) makes its first assignments as good as the later ones.
        """
        for title, text in docs:
            self._idf.learn(extract_features(title, text, self.config.lead_words))

    @property
    def document_frequencies(self) -> tuple[int, dict[str, int]]:
        """(number of documents, feature -> document frequency): the idf table to persist."""
        return self._idf.frequencies()

    def load_frequencies(self, n_docs: int, frequencies: dict[str, int]) -> None:
        """Add a persisted idf table to what is already known."""
        self._idf.load(n_docs, frequencies)

    @property
    def active_articles(self) -> int:
        """How many articles are in the active window."""
        return len(self._store.slot_of)

    def active_stories(self) -> Iterator[tuple[str, list[str], dict[str, float]]]:
        """(story id, active article ids, centroid as feature -> weight) of every live story."""
        names = self._idf.names()
        ids = self._store.ids
        for s in self._store.stories:
            if s.members:
                yield (s.id, [ids[i] for i in s.members],
                       {names[f]: w for f, w in s.centroid.items()})

    def snapshot(self) -> dict:
        """A JSON-serialisable state: the idf table, the clock, the active articles' stories.

        Texts are not included (the database has them): to rebuild, create an engine,
        ``load_frequencies`` and ``add`` each active article with its story, oldest first.
        """
        n, df = self.document_frequencies
        store = self._store
        active = [{"id": a, "story": store.story_id(i)} for a, i in store.slot_of.items()]
        return {"n_docs": n, "df": df, "clock": store.clock, "active": active}

    def _query(self, doc: StoryDoc, *, learn: bool = True) -> Query:
        """The article as a query: its vector (learning its features' frequencies), time, outlet."""
        cfg = self.config
        counts = extract_features(doc.title, doc.text, cfg.lead_words,
                                  doc.url if cfg.url_weight > 0 else None)
        fids, ws = self._idf.vectorise(counts, learn=learn)
        return Query(fids, ws, timestamp(doc.published_at), doc.outlet)

    def _neighbours(self, i: int) -> tuple[list[int], list[float]]:
        """An active article's nearest active articles (slots) and their cosines."""
        store = self._store
        fids, ws = store.fids[i], store.ws[i]
        t = store.times[i]
        found = store.index.candidates(fids, ws, None if np.isnan(t) else float(t),
                                       store.alive, store.times, store.dated_span())
        cands = [j for j in found.tolist() if j != i]
        if not cands:
            return [], []
        dots = self._dot(fids, ws, len(self._idf), [store.packed[j] for j in cands])
        return cands, dots.tolist()
