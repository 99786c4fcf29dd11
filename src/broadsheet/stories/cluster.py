"""Story clustering: every new article joins an existing story or starts a new one.

The engine is pure Python (numpy for the hot loop), holds no database handle and is fed one
article at a time, so a backfill and a live stream cluster the same way:

1. The article becomes a weighted feature vector (``features.py``): sublinear tf times an idf
   learned incrementally from every article seen, headline words, names and numbers as extra
   features, pruned to its strongest ``max_features`` and L2-normalised. Only the body's lead
   (``lead_words``) is read: it names the event, the rest differs from outlet to outlet.
2. Candidates come from an inverted index over the *active window* only (articles published
   within ``window_days`` of the newest publication time seen, plus the ``max_undated`` most
   recent undated ones). Only the query's most specific features are looked up and very common
   ones are skipped, so the work per article is bounded by the posting caps, not by the store.
3. Each candidate story is scored by a blend of the similarity to its centroid and to its
   closest member, each corrected for local density (``2 cos - r_a - r_b``, r = mean similarity
   to an article's nearest neighbours outside the story being scored): on a crowded topic
   everything looks alike, and only what stands out from the crowd is the same story; a story's
   own members are not its crowd (on a fresh install they are often all there is). Soft
   penalties follow for an outlet the story already has (outlets rarely report one event
   twice) and for a gap in publication time.
4. The best story at or above ``threshold`` wins; otherwise the article starts a new story.
5. ``refine`` (periodic, off the hot path) clusters the newest articles again by average link
   once more of their coverage, and better density estimates, have arrived: it can move an
   article to another story, split a hasty join and merge two stories.

Undated articles are compared with everything active (no time penalty) and do not move the
clock; they leave the window by count (``max_undated``), oldest first.

State to persist: the idf table (``document_frequencies`` / ``load_frequencies``) and each active
article's story id. ``add(doc, story_id)`` re-inserts a known article without deciding
anything, so a worker rebuilds the engine from the database at start-up (see ``snapshot``).
Story assignment must run in one process per partition (the engine is not thread-safe).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from operator import itemgetter

import numpy as np

from broadsheet.stories.features import extract_features

from .refining import Refining

DAY = 86400.0
_first = itemgetter(0)


@dataclass
class StoryDoc:
    """One article as the clusterer sees it. Every field but ``id`` may be None."""

    id: str
    outlet: str | None = None
    published_at: datetime | date | None = None
    title: str | None = None
    text: str | None = None
    url: str | None = None


@dataclass
class ClusterConfig:
    """Tuning knobs. Defaults were chosen on held-out dev samples (see bench/stories.py)."""

    window_days: float = 7.0  # active window, in the articles' own publication times
    max_undated: int = 20_000  # undated articles kept as candidates (newest first)
    threshold: float = 0.12  # minimum (density-corrected) score to join a story
    centroid_weight: float = 0.5  # score = w * cos(centroid) + (1 - w) * cos(best member)
    same_outlet_penalty: float = 0.10  # soft prior: one outlet rarely reports one event twice
    time_penalty: float = 0.10  # subtracted in full at a gap of one window, pro rata below
    title_weight: float = 1.0  # namespace weights of the feature vector
    name_weight: float = 0.5
    number_weight: float = 1.0
    word_weight: float = 1.0
    max_features: int = 80  # strongest features kept per article
    query_terms: int = 16  # features looked up in the inverted index
    posting_cap: int = 2_000  # skip features found in more active articles than this
    max_candidates: int = 30  # articles scored exactly
    member_scan: int = 32  # stories up to this size are scored member by member
    density_k: int = 3  # neighbours that measure how crowded an article's topic is
    density_weight: float = 1.0  # 0 = plain cosine, 1 = full density correction
    density_memory: int = 6  # closest neighbours remembered per article (>= density_k)
    density_outside: bool = True  # density counts only neighbours outside the scored story
    merge_threshold: float = -0.06  # ``refine``: mean corrected similarity to merge two stories
    merge_min_cosine: float = 0.10  # ``refine``: and at least this mean plain cosine
    idf_prior_docs: int = 100  # pseudo-documents that keep a cold start's idf from overreacting
    # Body words read per article: the lead names the event, and the thresholds above were
    # calibrated on texts of about this length (longer bodies dilute every cosine).
    lead_words: int | None = 120


@dataclass
class _Story:
    id: str
    members: list[int] = field(default_factory=list)  # active articles' slots
    centroid: dict[int, float] = field(default_factory=dict)  # sum of active members' vectors
    norm2: float = 0.0  # squared norm of the centroid
    outlets: Counter[str] = field(default_factory=Counter)
    first: float | None = None
    last: float | None = None
    merged_into: _Story | None = None  # set when ``refine`` folds this story into another
    # Members' densities outside this story, in ``members`` order; None when out of date.
    outside: np.ndarray | None = None

    def current(self) -> _Story:
        story = self
        while story.merged_into is not None:
            story = story.merged_into
        return story


def _timestamp(value: datetime | date | str | None) -> float | None:
    """Seconds since the epoch (UTC) of a publication time or date; None when unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    return datetime.combine(value, time(12), tzinfo=UTC).timestamp()


class StoryClusterer(Refining):
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
        self._new_story_id = new_story_id or (lambda: f"s{next(counter)}")
        self._vocab: dict[str, int] = {}
        self._df: list[int] = []
        self._n_docs = 0
        self.clock: float | None = None  # newest publication time seen
        # Per-article slots. Retired slots are reclaimed by ``_compact``.
        self._ids: list[str] = []
        self._fids: list[np.ndarray] = []
        self._ws: list[np.ndarray] = []
        # Each article's closest neighbours so far as [similarity, their story], ascending.
        self._near: list[list[list]] = []
        self._near_sum: list[float] = []  # sum of each article's density_k closest similarities
        self._outlets: list[str | None] = []
        self._story_of: list[int] = []
        self._times = np.empty(1024, dtype=np.float64)
        self._alive = np.zeros(1024, dtype=bool)
        self._slot_of: dict[str, int] = {}
        self._stories: list[_Story] = []
        self._story_index: dict[str, int] = {}
        self._alias: dict[str, str] = {}  # story ids absorbed by ``refine`` -> survivor
        # Editors' decisions that ``refine`` keeps: articles it never moves, stories it never
        # joins to another established story.
        self._pinned: set[str] = set()
        self._kept: set[str] = set()
        self._postings: dict[int, tuple[array, array]] = {}
        self._live_postings = 0
        self._dead_postings = 0
        self._dated_heap: list[tuple[float, int]] = []
        self._undated: deque[int] = deque()
        self._scratch = np.zeros(1024, dtype=np.float32)  # dense query, zero between calls
        self._ns_weight = {
            "w": self.config.word_weight,
            "t": self.config.title_weight,
            "e": self.config.name_weight,
            "n": self.config.number_weight,
        }

    # ----------------------------------------------------------------- public API

    def assign(self, doc: StoryDoc) -> str:
        """Put ``doc`` in its story (an existing one or a new one) and return the story id."""
        ts = _timestamp(doc.published_at)
        fids, ws = self._vectorise(doc)
        self._advance(ts)
        scores, slots, dots = self._story_scores(fids, ws, ts, doc.outlet)
        best = max(scores, key=scores.__getitem__) if scores else None
        if best is None or scores[best] < self.config.threshold:
            sid = self._next_story_id()
        else:
            sid = self._stories[best].id
        self._insert(doc, fids, ws, ts, sid)
        self._update_density(slots, dots)
        return sid

    def score(self, doc: StoryDoc) -> list[tuple[str, float]]:
        """Candidate stories for ``doc`` with their scores, best first (nothing is changed)."""
        ts = _timestamp(doc.published_at)
        fids, ws = self._vectorise(doc, learn=False)
        scores = self._story_scores(fids, ws, ts, doc.outlet)[0]
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        return [(self._stories[k].id, s) for k, s in ranked]

    def add(self, doc: StoryDoc, story_id: str) -> None:
        """Insert an article whose story is already known (rebuilding the state after a restart)."""
        ts = _timestamp(doc.published_at)
        fids, ws = self._vectorise(doc)
        self._advance(ts)
        self._insert(doc, fids, ws, ts, story_id)

    def pin(self, article_id: str) -> None:
        """Keep an article in the story it is in now: ``refine`` never moves it."""
        self._pinned.add(article_id)

    def keep(self, story_id: str) -> None:
        """Keep a story apart: ``refine`` never joins it with another established story."""
        self._kept.add(story_id)

    def story_of(self, article_id: str) -> str | None:
        """Story id of an article still in the active window."""
        i = self._slot_of.get(article_id)
        return None if i is None else self._stories[self._story_of[i]].id

    def seed_frequencies(self, docs: Iterable[tuple[str | None, str | None]]) -> None:
        """Learn document frequencies from (title, text) pairs without clustering them.

        A fresh engine knows no idf; seeding it from recent articles (or loading the persisted
        table) makes its first assignments as good as the later ones.
        """
        for title, text in docs:
            self._learn(extract_features(title, text, self.config.lead_words))

    @property
    def document_frequencies(self) -> tuple[int, dict[str, int]]:
        """(number of documents, feature -> document frequency): the idf table to persist."""
        return self._n_docs, {f: self._df[i] for f, i in self._vocab.items()}

    def load_frequencies(self, n_docs: int, frequencies: dict[str, int]) -> None:
        """Add a persisted idf table to what is already known."""
        self._n_docs += n_docs
        for f, n in frequencies.items():
            self._df[self._fid(f)] += n

    @property
    def active_articles(self) -> int:
        return len(self._slot_of)

    def active_stories(self) -> Iterator[tuple[str, list[str], dict[str, float]]]:
        """(story id, active article ids, centroid as feature -> weight) of every live story."""
        names = {i: f for f, i in self._vocab.items()}
        for s in self._stories:
            if s.members:
                yield (s.id, [self._ids[i] for i in s.members],
                       {names[f]: w for f, w in s.centroid.items()})

    def snapshot(self) -> dict:
        """A JSON-serialisable state: the idf table, the clock, the active articles' stories.

        Texts are not included (the database has them): to rebuild, create an engine,
        ``load_frequencies`` and ``add`` each active article with its story, oldest first.
        """
        n, df = self.document_frequencies
        active = [{"id": a, "story": self._stories[self._story_of[i]].id}
                  for a, i in self._slot_of.items()]
        return {"n_docs": n, "df": df, "clock": self.clock, "active": active}

    def _neighbours(self, i: int) -> tuple[list[int], list[float]]:
        """An active article's nearest active articles (slots) and their cosines."""
        fids, ws = self._fids[i], self._ws[i]
        t = self._times[i]
        cands = [j for j in self._candidates(fids, ws, None if np.isnan(t) else float(t)).tolist()
                 if j != i]
        if not cands:
            return [], []
        if len(self._scratch) < len(self._df):
            self._scratch = np.zeros(2 * len(self._df), dtype=np.float32)
        scratch = self._scratch
        scratch[fids] = ws
        lens = np.fromiter((len(self._fids[j]) for j in cands), dtype=np.int64, count=len(cands))
        prod = scratch[np.concatenate([self._fids[j] for j in cands])] * np.concatenate(
            [self._ws[j] for j in cands])
        scratch[fids] = 0.0
        ends = np.cumsum(lens)
        sums = np.concatenate(([0.0], np.cumsum(prod, dtype=np.float64)))
        return cands, (sums[ends] - sums[ends - lens]).tolist()

    # ------------------------------------------------------------------ internals

    def _fid(self, feature: str) -> int:
        fid = self._vocab.get(feature)
        if fid is None:
            fid = self._vocab[feature] = len(self._df)
            self._df.append(0)
        return fid

    def _learn(self, counts: Counter[str]) -> list[int]:
        """Count one more document for each of its features; returns their ids in order."""
        self._n_docs += 1
        vocab = self._vocab
        df = self._df
        fids = []
        for f in counts:
            fid = vocab.get(f)
            if fid is None:
                fid = vocab[f] = len(df)
                df.append(1)
            else:
                df[fid] += 1
            fids.append(fid)
        return fids

    def _vectorise(self, doc: StoryDoc, *, learn: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(feature ids, weights): sublinear tf-idf, namespace-weighted, pruned, unit length."""
        counts = extract_features(doc.title, doc.text, self.config.lead_words)
        if learn:
            known = self._learn(counts)
        else:
            vocab = self._vocab
            known = [vocab.get(name, -1) for name in counts]
        cfg = self.config
        n = self._n_docs + cfg.idf_prior_docs
        df = self._df
        ns = self._ns_weight
        log = math.log
        top = log(n + 1) + 1.0
        weights: list[tuple[float, int]] = []
        for (name, c), fid in zip(counts.items(), known, strict=True):
            if fid < 0:
                continue
            w = ns[name[0]] * (1.0 + log(c) if c > 1 else 1.0) * (top - log(df[fid] + 1))
            if w > 0:
                weights.append((w, fid))
        # Strongest first: the index lookup then takes the first specific features it meets.
        weights = heapq.nlargest(cfg.max_features, weights)
        if not weights:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        ws = np.array([w for w, _ in weights], dtype=np.float32)
        ws /= np.sqrt(np.dot(ws, ws))
        return np.array([f for _, f in weights], dtype=np.int32), ws

    def _advance(self, ts: float | None) -> None:
        """Move the clock to ``ts`` and retire what fell out of the window."""
        if ts is not None and (self.clock is None or ts > self.clock):
            self.clock = ts
        if self.clock is not None:
            horizon = self.clock - self.config.window_days * DAY
            heap = self._dated_heap
            while heap and heap[0][0] < horizon:
                _, i = heapq.heappop(heap)
                self._retire(i)
        while len(self._undated) > self.config.max_undated:
            self._retire(self._undated.popleft())

    def _retire(self, i: int) -> None:
        if not self._alive[i]:
            return
        self._alive[i] = False
        del self._slot_of[self._ids[i]]
        story = self._stories[self._story_of[i]]
        self._leave(story, i)
        if not story.members:
            self._story_index.pop(story.id, None)
        n = len(self._fids[i])
        self._live_postings -= n
        self._dead_postings += n
        if self._dead_postings > max(self._live_postings, 100_000):
            self._compact()

    def _join(self, story: _Story, i: int) -> None:
        """Add article ``i`` to ``story``: members, centroid, outlets and times."""
        c = story.centroid
        dot = 0.0
        wl = self._ws[i].tolist()
        for f, w in zip(self._fids[i].tolist(), wl, strict=True):
            prev = c.get(f, 0.0)
            dot += prev * w
            c[f] = prev + w
        story.norm2 += 2 * dot + sum(w * w for w in wl)
        if story.members and story.members[-1] > i:
            bisect.insort(story.members, i)
        else:
            story.members.append(i)
        story.outside = None
        outlet = self._outlets[i]
        if outlet:
            story.outlets[outlet] += 1
        ts = self._times[i]
        if not np.isnan(ts):
            ts = float(ts)
            story.first = ts if story.first is None else min(story.first, ts)
            story.last = ts if story.last is None else max(story.last, ts)

    def _leave(self, story: _Story, i: int) -> None:
        """Take article ``i`` out of ``story`` (its first and last times stay as they were)."""
        story.members.remove(i)
        story.outside = None
        outlet = self._outlets[i]
        if outlet:
            story.outlets[outlet] -= 1
            if story.outlets[outlet] <= 0:
                del story.outlets[outlet]
        if not story.members:
            story.centroid = {}
            story.norm2 = 0.0
            return
        c = story.centroid
        for f, w in zip(self._fids[i].tolist(), self._ws[i].tolist(), strict=True):
            v = c.get(f, 0.0) - w
            if abs(v) < 1e-7:
                c.pop(f, None)
            else:
                c[f] = v
        story.norm2 = sum(v * v for v in c.values())

    def _move(self, i: int, k: int) -> None:
        """Move article ``i`` to story ``k``; the story it leaves keeps its dates from its rest."""
        old = self._stories[self._story_of[i]]
        self._leave(old, i)
        if old.members:
            times = self._times[old.members]
            times = times[~np.isnan(times)]
            old.first, old.last = (float(times.min()), float(times.max())) if len(times) \
                else (None, None)
        self._story_of[i] = k
        self._join(self._stories[k], i)

    def _next_story_id(self) -> str:
        sid = self._new_story_id()
        while sid in self._story_index or sid in self._alias:
            sid = self._new_story_id()
        return sid

    def _open_story(self, sid: str) -> int:
        k = self._story_index[sid] = len(self._stories)
        self._stories.append(_Story(sid))
        return k

    def _compact(self) -> None:
        """Reclaim retired slots and stories: renumber the live ones, rebuild the postings."""
        n = len(self._ids)
        live = np.flatnonzero(self._alive[:n])
        new_slot = np.full(n, -1, dtype=np.int64)
        new_slot[live] = np.arange(len(live))
        keep_stories = [k for k, s in enumerate(self._stories) if s.members]
        new_story = {k: j for j, k in enumerate(keep_stories)}
        self._stories = [self._stories[k] for k in keep_stories]
        self._story_index = {s.id: j for j, s in enumerate(self._stories)}
        self._alias = {a: b for a, b in self._alias.items() if b in self._story_index}
        for s in self._stories:
            s.members = [int(new_slot[i]) for i in s.members]
        pick = live.tolist()
        self._ids = [self._ids[i] for i in pick]
        self._fids = [self._fids[i] for i in pick]
        self._ws = [self._ws[i] for i in pick]
        self._near = [self._near[i] for i in pick]
        for near in self._near:
            for entry in near:
                if entry[2] >= 0:  # -1 once that neighbour has retired
                    entry[2] = int(new_slot[entry[2]])
        self._near_sum = [self._near_sum[i] for i in pick]
        self._outlets = [self._outlets[i] for i in pick]
        self._story_of = [new_story[self._story_of[i]] for i in pick]
        size = max(1024, 2 * len(pick))
        times = np.empty(size, dtype=np.float64)
        times[: len(pick)] = self._times[live]
        self._times = times
        self._alive = np.zeros(size, dtype=bool)
        self._alive[: len(pick)] = True
        self._slot_of = {a: j for j, a in enumerate(self._ids)}
        self._dated_heap = [(t, int(new_slot[i])) for t, i in self._dated_heap
                            if new_slot[i] >= 0]
        heapq.heapify(self._dated_heap)
        self._undated = deque(int(new_slot[i]) for i in self._undated if new_slot[i] >= 0)
        postings = {}
        for f, (seqs, ws) in self._postings.items():
            slots = new_slot[np.frombuffer(seqs, dtype=np.int32)]
            keep = slots >= 0
            if keep.any():
                postings[f] = (
                    array("i", slots[keep].astype(np.int32).tobytes()),
                    array("f", np.frombuffer(ws, dtype=np.float32)[keep].tobytes()),
                )
        self._postings = postings
        self._dead_postings = 0

    def _insert(self, doc: StoryDoc, fids: np.ndarray, ws: np.ndarray, ts: float | None,
                sid: str) -> None:
        while sid in self._alias:
            sid = self._alias[sid]
        old = self._slot_of.get(doc.id)
        if old is not None:
            self._retire(old)  # the same article again: its newest version wins
        i = len(self._ids)
        if i >= len(self._times):
            self._times = np.resize(self._times, 2 * i)
            alive = np.zeros(2 * i, dtype=bool)
            alive[:i] = self._alive[:i]
            self._alive = alive
        self._ids.append(doc.id)
        self._fids.append(fids)
        self._ws.append(ws)
        self._near.append([])
        self._near_sum.append(0.0)
        self._outlets.append(doc.outlet or None)
        self._times[i] = np.nan if ts is None else ts
        self._alive[i] = True
        self._slot_of[doc.id] = i
        k = self._story_index.get(sid)
        if k is None:
            k = self._open_story(sid)
        self._story_of.append(k)
        self._join(self._stories[k], i)
        if ts is not None:
            heapq.heappush(self._dated_heap, (ts, i))
        else:
            self._undated.append(i)
        fl, wl = fids.tolist(), ws.tolist()
        postings = self._postings
        for f, w in zip(fl, wl, strict=True):
            p = postings.get(f)
            if p is None:
                p = postings[f] = (array("i"), array("f"))
            p[0].append(i)
            p[1].append(w)
        self._live_postings += len(fl)
        if ts is not None:
            # A dated article may itself be older than the window (an out-of-order backfill).
            self._advance(None)

    def _candidates(self, fids: np.ndarray, ws: np.ndarray, ts: float | None) -> np.ndarray:
        """Slots of the active articles that best share the query's most specific features."""
        cfg = self.config
        postings = self._postings
        cap = cfg.posting_cap
        terms = []
        for f, w in zip(fids.tolist(), ws.tolist(), strict=True):  # strongest first
            p = postings.get(f)
            if p is not None and len(p[0]) <= cap:
                terms.append((w, f))
                if len(terms) == cfg.query_terms:
                    break
        if not terms:
            return np.empty(0, dtype=np.int64)
        seqs = np.concatenate([np.frombuffer(postings[f][0], dtype=np.int32) for _, f in terms])
        acc = np.concatenate(
            [np.frombuffer(postings[f][1], dtype=np.float32) * w for w, f in terms]
        )
        uniq, inv = np.unique(seqs, return_inverse=True)
        score = np.bincount(inv, weights=acc)
        ok = self._alive[uniq]
        if ts is not None:
            t = self._times[uniq]
            ok &= np.isnan(t) | (np.abs(t - ts) <= cfg.window_days * DAY)
        uniq, score = uniq[ok], score[ok]
        if len(uniq) > cfg.max_candidates:
            top = np.argpartition(-score, cfg.max_candidates)[: cfg.max_candidates]
            uniq = uniq[top]
        return uniq

    def _update_density(self, slots: list[int], dots: list[float]) -> None:
        """Let the articles just compared with the newcomer record it as a close neighbour.

        Each article remembers its ``density_memory`` closest neighbours with their stories,
        so that its density can later leave out the members of the story being scored.
        """
        k = self.config.density_k
        if not k or not slots:
            return
        keep = max(self.config.density_memory, k)
        new = len(self._ids) - 1
        stories = self._stories
        story_of = self._story_of
        best = heapq.nlargest(keep, zip(dots, slots, strict=True), key=lambda p: p[0])
        best.reverse()
        self._near[new] = [[d, stories[story_of[i]], i] for d, i in best]
        self._near_sum[new] = sum(d for d, _ in best[-k:])
        mine = stories[story_of[new]]
        alive = self._alive
        near_sum = self._near_sum
        for i, d in zip(slots, dots, strict=True):
            if not alive[i] or i == new:
                continue
            near = self._near[i]
            if len(near) >= keep:
                if d <= near[0][0]:
                    continue
                del near[0]
            at = bisect.bisect_left(near, d, key=_first)
            near.insert(at, [d, mine, new])
            if at >= len(near) - k:  # among the closest k: the plain density moved
                near_sum[i] = sum(p[0] for p in near[-k:])
            stories[story_of[i]].outside = None

    def _outside_density(self, i: int, story: _Story | None) -> float:
        """Mean similarity of article ``i`` to its closest neighbours outside ``story``.

        Members of the story being scored are not its crowd: when an article's nearest
        neighbours are its own story (no related stories around), counting them would
        subtract exactly the evidence that they belong together.
        """
        dk = self.config.density_k
        total = 0.0
        n = 0
        for d, other, _ in reversed(self._near[i]):
            if other.merged_into is not None:
                other = other.current()
            if other is story:
                continue
            total += d
            n += 1
            if n == dk:
                break
        return total / dk

    def _story_scores(
        self, fids: np.ndarray, ws: np.ndarray, ts: float | None, outlet: str | None
    ) -> tuple[dict[int, float], list[int], list[float]]:
        """Score of every candidate story, and the articles compared with their similarities.

        A story's score blends the similarity to its centroid and to its closest member. Each
        similarity is corrected for local density (``2 cos - r_query - r_other``, where r is
        an article's mean similarity to its nearest neighbours): an article on a crowded topic
        is close to many others, and only the ones standing out from that crowd are its story.
        Soft penalties follow for a repeated outlet and for a gap in publication time.
        """
        cands = self._candidates(fids, ws, ts)
        if not len(cands):
            return {}, [], []
        slots, spans = self._candidate_slots(cands)
        dots = self._dots(fids, ws, slots)
        dots_np = np.asarray(dots)
        starts = np.fromiter((a for a, _ in spans.values()), dtype=np.int64, count=len(spans))
        counts = np.fromiter((b - a for a, b in spans.values()), dtype=np.int64,
                             count=len(spans))
        seg = np.repeat(np.arange(len(spans)), counts)
        r, rq = self._densities(slots, spans, dots, seg, counts)
        adjusted = 2 * dots_np - self.config.density_weight * (rq[seg] + r)
        member_best = np.maximum.reduceat(adjusted, starts).tolist()
        dot_sum = np.add.reduceat(dots_np, starts).tolist()
        r_mean = (np.add.reduceat(r, starts) / counts).tolist()
        rq_story = rq.tolist()
        qf, qw = fids.tolist(), ws.tolist()
        scores: dict[int, float] = {}
        for n, k in enumerate(spans):
            story = self._stories[k]
            member = member_best[n]
            if story.norm2 <= 0:
                centroid = member
            else:
                cos = self._centroid_dot(story, dot_sum[n], qf, qw)
                centroid = (2 * cos / math.sqrt(story.norm2)
                            - self.config.density_weight * (rq_story[n] + r_mean[n]))
            scores[k] = self._blend(story, centroid, member, ts, outlet)
        return scores, slots, dots

    def _candidate_slots(
        self, cands: np.ndarray
    ) -> tuple[list[int], dict[int, tuple[int, int]]]:
        """The articles to compare, grouped by story, and each story's span among them.

        Small stories: score every member, and the centroid is their sum. Large stories:
        score only the retrieved members, and look the centroid up feature by feature.
        """
        story_of = self._story_of
        big = self.config.member_scan
        groups: dict[int, list[int]] = {}
        for i in cands.tolist():
            k = story_of[i]
            got = groups.get(k)
            if got is None:
                members = self._stories[k].members
                groups[k] = members if len(members) <= big else [i]
            elif len(self._stories[k].members) > big:
                got.append(i)
        slots: list[int] = []
        spans: dict[int, tuple[int, int]] = {}
        for k, members in groups.items():
            spans[k] = (len(slots), len(slots) + len(members))
            slots.extend(members)
        return slots, spans

    def _dots(self, fids: np.ndarray, ws: np.ndarray, slots: list[int]) -> list[float]:
        """The query's dot product with each slotted article, in one pass over their features."""
        if len(self._scratch) < len(self._df):
            self._scratch = np.zeros(2 * len(self._df), dtype=np.float32)
        scratch = self._scratch
        scratch[fids] = ws
        arrays_f = [self._fids[i] for i in slots]
        arrays_w = [self._ws[i] for i in slots]
        lens = np.fromiter((len(a) for a in arrays_f), dtype=np.int64, count=len(slots))
        prod = scratch[np.concatenate(arrays_f)] * np.concatenate(arrays_w)
        ends = np.cumsum(lens)
        sums = np.concatenate(([0.0], np.cumsum(prod, dtype=np.float64)))
        dots: list[float] = (sums[ends] - sums[ends - lens]).tolist()
        scratch[fids] = 0.0
        return dots

    def _densities(
        self, slots: list[int], spans: dict[int, tuple[int, int]], dots: list[float],
        seg: np.ndarray, counts: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each slotted article's density and the query's density per story (zeros when off)."""
        dk = self.config.density_k
        if not dk:
            return np.zeros(len(slots)), np.zeros(len(spans))
        dots_np = np.asarray(dots)
        near_sum = self._near_sum
        r = np.fromiter((near_sum[i] for i in slots), dtype=np.float64, count=len(slots)) / dk
        # The query's closest articles, enough of them to skip any one story's members.
        depth = min(dk + int(counts.max()), len(dots))
        order = np.argpartition(-dots_np, depth - 1)[:depth] if depth < len(dots) \
            else np.arange(len(dots))
        order = order[np.argsort(-dots_np[order], kind="stable")]
        rq = np.full(len(spans), dots_np[order[:dk]].sum() / dk)
        if self.config.density_outside:
            self._outside_densities(r, rq, order.tolist(), seg.tolist(), dots, slots, spans)
        return r, rq

    def _outside_densities(
        self, r: np.ndarray, rq: np.ndarray, top: list[int], seg_l: list[int],
        dots: list[float], slots: list[int], spans: dict[int, tuple[int, int]],
    ) -> None:
        """Density of the query and of each member, leaving out the scored story itself.

        Only stories with a member among the query's closest, or with several members,
        differ from the plain densities.
        """
        dk = self.config.density_k
        big = self.config.member_scan
        outside = self._outside_density
        for n in set(seg_l[j] for j in top[:dk]):
            rq[n] = sum([dots[j] for j in top if seg_l[j] != n][:dk]) / dk
        for k, (a, b) in spans.items():
            story = self._stories[k]
            n_members = len(story.members)
            if n_members <= 1:
                continue
            if n_members <= big:  # the span is the members, in order
                if story.outside is None:
                    story.outside = np.array([outside(i, story) for i in story.members])
                r[a:b] = story.outside
            else:
                for j in range(a, b):
                    r[j] = outside(slots[j], story)

    def _centroid_dot(self, story: _Story, member_sum: float,
                      qf: list[int], qw: list[float]) -> float:
        """The query's dot product with a story's centroid: the members' sum when all were
        compared, else looked up feature by feature."""
        if len(story.members) <= self.config.member_scan:
            return member_sum
        c = story.centroid
        return sum(w * c.get(f, 0.0) for f, w in zip(qf, qw, strict=True))

    def _blend(self, story: _Story, centroid: float, member: float,
               ts: float | None, outlet: str | None) -> float:
        """Centroid and closest-member scores blended, less the outlet and time penalties."""
        cfg = self.config
        cw = cfg.centroid_weight
        score = 0.5 * (cw * centroid + (1 - cw) * member)
        if outlet and outlet in story.outlets:
            score -= cfg.same_outlet_penalty
        if ts is not None and story.first is not None and story.last is not None:
            gap = max(story.first - ts, ts - story.last, 0.0)
            score -= cfg.time_penalty * min(gap / (cfg.window_days * DAY), 1.0)
        return score
