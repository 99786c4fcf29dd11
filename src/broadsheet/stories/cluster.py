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
import json
import math
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from operator import itemgetter
from pathlib import Path

import numpy as np

from broadsheet.stories.features import extract_features

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


@dataclass
class Refinement:
    """What ``refine`` changed (story ids as the engine knows them)."""

    moved: dict[str, str] = field(default_factory=dict)  # article id -> its story now
    absorbed: dict[str, str] = field(default_factory=dict)  # emptied story -> its successor


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

    def refine(self, recent: int | None = None) -> Refinement:
        """Cluster the newest articles again, now that more of their coverage has arrived.

        The periodic counterpart of ``assign``, which decides each article once, with what had
        arrived before it. Here the ``recent`` newest active articles (all when None) are each
        taken out of their story; the older part of every story stays together as one unit.
        Average-link clustering then joins articles and units again while the mean similarity
        between two groups, corrected for density with what is known *now* (later articles
        included), stays above ``merge_threshold`` and their mean plain cosine above
        ``merge_min_cosine``. So a hasty join is undone, a story split online is mended, and
        two stories found to be one are merged (the older keeps its id). Cost: one index
        lookup per recent article plus a heap over the similarities found.
        """
        cfg = self.config
        floor = cfg.merge_min_cosine
        live = sorted(i for a, i in self._slot_of.items() if a not in self._pinned)
        seeds = live if recent is None else live[-recent:]
        if not seeds:
            return Refinement()
        recent_set = set(seeds)
        dk = cfg.density_k
        edges: dict[tuple[int, int], float] = {}
        near: dict[int, list[float]] = {}
        neighbours: dict[int, list[int]] = {}
        for i in seeds:
            others, dots = self._neighbours(i)
            neighbours[i] = others
            near[i] = heapq.nlargest(dk, dots) if dk else []
            for j, d in zip(others, dots, strict=True):
                edges[(i, j) if i < j else (j, i)] = d

        def density(i: int) -> float:
            if not dk:
                return 0.0
            got = near.get(i)
            # An older article's closest neighbours were kept up to date as articles arrived.
            return (self._near_sum[i] if got is None else sum(got)) / dk

        # Units: each recent article alone (its slot), and the older part of each story
        # together (-1 - its story index).
        story_of = self._story_of

        def unit_of(i: int) -> int:
            return i if i in recent_set else -1 - story_of[i]

        link: dict[int, dict[int, float]] = {i: {} for i in seeds}
        for (i, j), d in edges.items():
            a, b = unit_of(i), unit_of(j)
            if a == b:
                continue
            link.setdefault(a, {})
            link.setdefault(b, {})
            link[a][b] = link[a].get(b, 0.0) + d
            link[b][a] = link[a][b]
        for k in {story_of[i] for i in seeds}:  # an older part keeps its story, linked or not
            if -1 - k not in link and any(j not in recent_set for j in self._stories[k].members):
                link[-1 - k] = {}
        members = {u: [u] if u >= 0 else
                   [i for i in self._stories[-1 - u].members if i not in recent_set]
                   for u in link}
        size = {u: len(m) for u, m in members.items()}
        rsum = {u: sum(density(i) for i in m) for u, m in members.items()}
        outlets = {u: {self._outlets[i] for i in m} - {None} for u, m in members.items()}
        olds = {u: {-1 - u} if u < 0 else set() for u in members}  # established stories held
        dw = cfg.density_weight

        def kept_apart(a: int, b: int) -> bool:
            """Two established stories never join when an editor shaped either of them."""
            return bool(olds[a] and olds[b] and any(
                self._stories[k].id in self._kept for k in olds[a] | olds[b]))

        def avg(a: int, b: int) -> float:
            cos = link[a][b] / (size[a] * size[b])
            if cos < floor:
                return -math.inf  # where neighbourhoods are sparse, density says nothing
            value = cos - dw * 0.5 * (rsum[a] / size[a] + rsum[b] / size[b])
            if outlets[a] & outlets[b]:
                value -= cfg.same_outlet_penalty
            return value

        heap = [(-v, a, b) for a in link for b in link[a] if a < b
                if (v := avg(a, b)) > -math.inf]
        heapq.heapify(heap)
        joined: dict[int, int] = {}
        while heap:
            neg, a, b = heapq.heappop(heap)
            if -neg < cfg.merge_threshold:
                break
            if a in joined or b in joined or b not in link[a]:
                continue
            if abs(-neg - avg(a, b)) > 1e-9:
                continue  # stale entry
            if self._kept and kept_apart(a, b):
                continue
            keep, gone = a, b
            joined[gone] = keep
            for c, v in link.pop(gone).items():
                link[c].pop(gone, None)
                if c != keep:
                    link[keep][c] = link[keep].get(c, 0.0) + v
                    link[c][keep] = link[keep][c]
            size[keep] += size.pop(gone)
            rsum[keep] += rsum.pop(gone)
            outlets[keep] |= outlets.pop(gone)
            olds[keep] |= olds.pop(gone)
            for c in link[keep]:
                v = avg(keep, c)
                if v > -math.inf:
                    heapq.heappush(heap, (-v, min(keep, c), max(keep, c)))
        groups: dict[int, list[int]] = {}
        for u in members:
            root = u
            while root in joined:
                root = joined[root]
            groups.setdefault(root, []).append(u)
        before = {i: self._stories[story_of[i]].id for u in members for i in members[u]}
        moved_slots = self._regroup(list(groups.values()))
        for i in moved_slots:
            self._note_move(i, neighbours.get(i, ()))
        for story in self._stories:
            story.outside = None  # a neighbour's story may now be the scored one
        moved = {self._ids[i]: sid for i, old in before.items()
                 if (sid := self._stories[story_of[i]].id) != old}
        absorbed = {}
        for old in set(before.values()) - {self._stories[story_of[i]].id for i in before}:
            survivor = old
            while survivor in self._alias:
                survivor = self._alias[survivor]
            absorbed[old] = survivor
        return Refinement(moved, absorbed)

    def _regroup(self, groups: list[list[int]]) -> list[int]:
        """Give each group of units one story; returns the recent articles that moved.

        A group holding the older part of a story keeps that story (of several, the oldest,
        which absorbs the others). A group of recent articles only keeps the story most of
        them were in, unless another group keeps it; otherwise it starts a new story. A story
        left without articles is absorbed by the one that took most of them.
        """
        stories = self._stories
        story_of = self._story_of
        target: list[int | None] = [None] * len(groups)
        taken: set[int] = set()
        absorb: list[tuple[int, int]] = []
        votes = []
        for g, units in enumerate(groups):
            older = sorted((-1 - u for u in units if u < 0), key=lambda k: stories[k].members[0])
            if older:
                target[g] = older[0]
                taken.update(older)
                absorb.extend((k, older[0]) for k in older[1:])
            else:
                count = Counter(story_of[i] for i in units)
                votes.extend((n, -stories[k].members[0], g, k) for k, n in count.items())
        votes.sort(reverse=True)
        for _, _, g, k in votes:
            if target[g] is None and k not in taken:
                target[g] = k
                taken.add(k)
        for gone, keep in absorb:
            self._merge_story(gone, keep)
        left: dict[int, Counter[int]] = {}
        moved = []
        for g, units in enumerate(groups):
            k = target[g]
            if k is None:
                k = target[g] = self._open_story(self._next_story_id())
            for i in units:
                if i >= 0 and story_of[i] != k:
                    left.setdefault(story_of[i], Counter())[k] += 1
                    self._move(i, k)
                    moved.append(i)
        for gone, went_to in left.items():
            if not stories[gone].members and stories[gone].merged_into is None:
                self._merge_story(gone, went_to.most_common(1)[0][0])
        return moved

    def _note_move(self, i: int, neighbours: Iterable[int]) -> None:
        """Tell the neighbours that remember article ``i`` which story it is in now."""
        story = self._stories[self._story_of[i]]
        for j in neighbours:
            for entry in self._near[j]:
                if entry[2] == i:
                    entry[1] = story

    def _merge_story(self, gone: int, keep: int) -> None:
        """Fold story ``gone`` into ``keep``: its articles, and its id from now on."""
        src, dst = self._stories[gone], self._stories[keep]
        for i in list(src.members):
            self._story_of[i] = keep
            self._join(dst, i)
        for t in (src.first, src.last):
            if t is not None:
                dst.first = t if dst.first is None else min(dst.first, t)
                dst.last = t if dst.last is None else max(dst.last, t)
        src.members = []
        src.centroid = {}
        src.norm2 = 0.0
        src.outlets = Counter()
        src.merged_into = dst
        self._story_index.pop(src.id, None)
        self._alias[src.id] = dst.id  # later articles filed under the absorbed id join the survivor

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
            s = new_slot[np.frombuffer(seqs, dtype=np.int32)]
            keep = s >= 0
            if keep.any():
                postings[f] = (
                    array("i", s[keep].astype(np.int32).tobytes()),
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
        cfg = self.config
        cands = self._candidates(fids, ws, ts)
        if not len(cands):
            return {}, [], []
        if len(self._scratch) < len(self._df):
            self._scratch = np.zeros(2 * len(self._df), dtype=np.float32)
        scratch = self._scratch
        scratch[fids] = ws
        # Small stories: score every member, and the centroid is their sum. Large stories:
        # score only the retrieved members, and look the centroid up feature by feature.
        story_of = self._story_of
        big = cfg.member_scan
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
        arrays_f = [self._fids[i] for i in slots]
        arrays_w = [self._ws[i] for i in slots]
        lens = np.fromiter((len(a) for a in arrays_f), dtype=np.int64, count=len(slots))
        prod = scratch[np.concatenate(arrays_f)] * np.concatenate(arrays_w)
        ends = np.cumsum(lens)
        sums = np.concatenate(([0.0], np.cumsum(prod, dtype=np.float64)))
        dots = (sums[ends] - sums[ends - lens]).tolist()
        scratch[fids] = 0.0
        dk = cfg.density_k
        dots_np = np.asarray(dots)
        starts = np.fromiter((a for a, _ in spans.values()), dtype=np.int64, count=len(spans))
        counts = np.fromiter((b - a for a, b in spans.values()), dtype=np.int64,
                             count=len(spans))
        if dk:
            near_sum = self._near_sum
            r = np.fromiter((near_sum[i] for i in slots), dtype=np.float64,
                            count=len(slots)) / dk
            seg = np.repeat(np.arange(len(spans)), counts)
            # The query's closest articles, enough of them to skip any one story's members.
            depth = min(dk + int(counts.max()), len(dots))
            order = np.argpartition(-dots_np, depth - 1)[:depth] if depth < len(dots) \
                else np.arange(len(dots))
            order = order[np.argsort(-dots_np[order], kind="stable")]
            rq = np.full(len(spans), dots_np[order[:dk]].sum() / dk)
        if dk and cfg.density_outside:
            # Density of the query and of each member, leaving out the scored story itself.
            # Only stories with a member among the query's closest, or with several members,
            # differ from the plain densities.
            stories = self._stories
            outside = self._outside_density
            top = order.tolist()
            seg_l = seg.tolist()
            for n in set(seg_l[j] for j in top[:dk]):
                rq[n] = sum([dots[j] for j in top if seg_l[j] != n][:dk]) / dk
            for k, (a, b) in spans.items():
                story = stories[k]
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
        if dk:
            r_query = rq[seg]
        else:
            r_query = np.zeros(len(slots))
            r = np.zeros(len(slots))
            rq = np.zeros(len(spans))
        dw = cfg.density_weight
        adjusted = 2 * dots_np - dw * (r_query + r)
        rq_story = rq.tolist()
        member_best = np.maximum.reduceat(adjusted, starts).tolist()
        dot_sum = np.add.reduceat(dots_np, starts).tolist()
        r_mean = (np.add.reduceat(r, starts) / counts).tolist()
        qf, qw = fids.tolist(), ws.tolist()
        cw = cfg.centroid_weight
        window = cfg.window_days * DAY
        scores: dict[int, float] = {}
        for n, k in enumerate(spans):
            story = self._stories[k]
            member = member_best[n]
            if story.norm2 <= 0:
                centroid = member
            else:
                if len(story.members) <= big:
                    cos = dot_sum[n]
                else:
                    c = story.centroid
                    cos = sum(w * c.get(f, 0.0) for f, w in zip(qf, qw, strict=True))
                centroid = 2 * cos / math.sqrt(story.norm2) - dw * (rq_story[n] + r_mean[n])
            score = 0.5 * (cw * centroid + (1 - cw) * member)
            if outlet and outlet in story.outlets:
                score -= cfg.same_outlet_penalty
            if ts is not None and story.first is not None and story.last is not None:
                gap = max(story.first - ts, ts - story.last, 0.0)
                score -= cfg.time_penalty * min(gap / window, 1.0)
            scores[k] = score
        return scores, slots, dots


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
    order = stream_order([_timestamp(d.published_at) for d in docs])
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
