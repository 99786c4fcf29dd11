"""The story engine's memory of the active window: article slots, stories, and the clock.

Each active article has a slot (an index into parallel lists) holding its vector, outlet,
publication time, story and closest neighbours; each story keeps its members, the sum of their
vectors (its centroid), its outlets and its first and last times. Articles leave by the window
(``window_days`` behind the newest publication time seen, ``max_undated`` undated ones, oldest
first); their slots are reclaimed in one pass by ``compact`` once enough have retired.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .candidates import CandidateIndex
from .cluster_config import ClusterConfig
from .story_doc import DAY


@dataclass
class Story:
    """One story as the engine holds it (its active members only)."""

    id: str
    members: list[int] = field(default_factory=list)  # active articles' slots, ascending
    centroid: dict[int, float] = field(default_factory=dict)  # sum of active members' vectors
    norm2: float = 0.0  # squared norm of the centroid
    outlets: Counter[str] = field(default_factory=Counter)
    first: float | None = None
    last: float | None = None
    merged_into: Story | None = None  # set when refinement folds this story into another
    # Members' densities outside this story, in ``members`` order; None when out of date.
    outside: np.ndarray | None = None
    # The same for a large story, only for the members compared so far: slot -> density.
    outside_of: dict[int, float] = field(default_factory=dict)

    def forget_outside(self) -> None:
        """Drop the members' densities: a member, or a member's neighbours, changed."""
        self.outside = None
        if self.outside_of:
            self.outside_of.clear()

    def current(self) -> Story:
        """The story this one now lives on in (itself unless it was merged away)."""
        story = self
        while story.merged_into is not None:
            story = story.merged_into
        return story


class ArticleStore:
    """Active articles and their stories; the engine's modules read and change it here."""

    def __init__(self, config: ClusterConfig, new_story_id: Callable[[], str]) -> None:
        self.config = config
        self.new_story_id = new_story_id
        self.index = CandidateIndex(config)
        self.clock: float | None = None  # newest publication time seen
        self.ids: list[str] = []
        # Each article's vector as one block of (feature id, float32 weight bits) pairs, and its
        # ids and weights as views into that block: comparing with many articles reads one
        # object per article (see ``similarity.py``).
        self.packed: list[bytes] = []
        self.fids: list[np.ndarray] = []
        self.ws: list[np.ndarray] = []
        # Each article's closest neighbours so far as [similarity, their story, slot], ascending.
        self.near: list[list[list[Any]]] = []
        self.near_sum: list[float] = []  # sum of each article's density_k closest similarities
        self.outlets: list[str | None] = []
        self.story_of: list[int] = []
        self.times = np.empty(1024, dtype=np.float64)
        self.alive = np.zeros(1024, dtype=bool)
        self.slot_of: dict[str, int] = {}
        self.stories: list[Story] = []
        self.story_index: dict[str, int] = {}
        self.alias: dict[str, str] = {}  # story ids absorbed by refinement -> survivor
        self.dated_heap: list[tuple[float, int]] = []
        self.latest: float | None = None  # newest publication time ever inserted
        self.undated: deque[int] = deque()

    def story_id(self, i: int) -> str:
        """Story id of the article in slot ``i``."""
        return self.stories[self.story_of[i]].id

    def resolve(self, sid: str) -> str:
        """The story id that ``sid`` now goes by (after merges)."""
        while sid in self.alias:
            sid = self.alias[sid]
        return sid

    # ------------------------------------------------------------------ stories

    def next_story_id(self) -> str:
        """A fresh story id, never one the engine holds or once held."""
        sid = self.new_story_id()
        while sid in self.story_index or sid in self.alias:
            sid = self.new_story_id()
        return sid

    def open_story(self, sid: str) -> int:
        """Start an empty story; returns its index."""
        k = self.story_index[sid] = len(self.stories)
        self.stories.append(Story(sid))
        return k

    def join(self, story: Story, i: int) -> None:
        """Add article ``i`` to ``story``: members, centroid, outlets and times."""
        c = story.centroid
        dot = 0.0
        wl = self.ws[i].tolist()
        for f, w in zip(self.fids[i].tolist(), wl, strict=True):
            prev = c.get(f, 0.0)
            dot += prev * w
            c[f] = prev + w
        story.norm2 += 2 * dot + sum([w * w for w in wl])
        if story.members and story.members[-1] > i:
            bisect.insort(story.members, i)
        else:
            story.members.append(i)
        story.forget_outside()
        outlet = self.outlets[i]
        if outlet:
            story.outlets[outlet] += 1
        ts = self.times[i]
        if not np.isnan(ts):
            ts = float(ts)
            story.first = ts if story.first is None else min(story.first, ts)
            story.last = ts if story.last is None else max(story.last, ts)

    def leave(self, story: Story, i: int) -> None:
        """Take article ``i`` out of ``story`` (its first and last times stay as they were)."""
        story.members.remove(i)
        story.forget_outside()
        outlet = self.outlets[i]
        if outlet:
            story.outlets[outlet] -= 1
            if story.outlets[outlet] <= 0:
                del story.outlets[outlet]
        if not story.members:
            story.centroid = {}
            story.norm2 = 0.0
            return
        c = story.centroid
        for f, w in zip(self.fids[i].tolist(), self.ws[i].tolist(), strict=True):
            v = c.get(f, 0.0) - w
            if abs(v) < 1e-7:
                c.pop(f, None)
            else:
                c[f] = v
        story.norm2 = sum(v * v for v in c.values())

    def move(self, i: int, k: int) -> None:
        """Move article ``i`` to story ``k``; the story it leaves keeps its dates from its rest."""
        old = self.stories[self.story_of[i]]
        self.leave(old, i)
        if old.members:
            times = self.times[old.members]
            times = times[~np.isnan(times)]
            old.first, old.last = (float(times.min()), float(times.max())) if len(times) \
                else (None, None)
        self.story_of[i] = k
        self.join(self.stories[k], i)

    def merge_story(self, gone: int, keep: int) -> None:
        """Fold story ``gone`` into ``keep``: its articles, and its id from now on."""
        src, dst = self.stories[gone], self.stories[keep]
        for i in list(src.members):
            self.story_of[i] = keep
            self.join(dst, i)
        for t in (src.first, src.last):
            if t is not None:
                dst.first = t if dst.first is None else min(dst.first, t)
                dst.last = t if dst.last is None else max(dst.last, t)
        src.members = []
        src.centroid = {}
        src.norm2 = 0.0
        src.outlets = Counter()
        src.merged_into = dst
        self.story_index.pop(src.id, None)
        self.alias[src.id] = dst.id  # later articles filed under the absorbed id join the survivor

    # ------------------------------------------------------------------ articles

    def insert(self, doc_id: str, outlet: str | None, vector: tuple[np.ndarray, np.ndarray],
               ts: float | None, sid: str) -> int:
        """Put an article into story ``sid`` (opened if new); returns its slot.

        The same article again replaces its older version.
        """
        sid = self.resolve(sid)
        old = self.slot_of.get(doc_id)
        if old is not None:
            self.retire(old)  # the same article again: its newest version wins
        i = self._new_slot(doc_id, outlet, vector, ts)
        k = self.story_index.get(sid)
        if k is None:
            k = self.open_story(sid)
        self.story_of.append(k)
        self.join(self.stories[k], i)
        if ts is not None:
            heapq.heappush(self.dated_heap, (ts, i))
            if self.latest is None or ts > self.latest:
                self.latest = ts
        else:
            self.undated.append(i)
        self.index.add(i, *vector)
        if ts is not None:
            # A dated article may itself be older than the window (an out-of-order backfill).
            self.advance(None)
        return i

    def _new_slot(self, doc_id: str, outlet: str | None, vector: tuple[np.ndarray, np.ndarray],
                  ts: float | None) -> int:
        """Append an article's per-slot fields (all but its story)."""
        i = len(self.ids)
        if i >= len(self.times):
            self.times = np.resize(self.times, 2 * i)
            alive = np.zeros(2 * i, dtype=bool)
            alive[:i] = self.alive[:i]
            self.alive = alive
        self.ids.append(doc_id)
        packed, fids, ws = pack(*vector)
        self.packed.append(packed)
        self.fids.append(fids)
        self.ws.append(ws)
        self.near.append([])
        self.near_sum.append(0.0)
        self.outlets.append(outlet or None)
        self.times[i] = np.nan if ts is None else ts
        self.alive[i] = True
        self.slot_of[doc_id] = i
        return i

    def dated_span(self) -> tuple[float, float] | None:
        """Bounds of the active dated articles' times (the earliest or before, the latest or
        after); None when no active article is dated."""
        heap = self.dated_heap
        if not heap or self.latest is None:
            return None
        return heap[0][0], self.latest

    def advance(self, ts: float | None) -> None:
        """Move the clock to ``ts`` and retire what fell out of the window."""
        if ts is not None and (self.clock is None or ts > self.clock):
            self.clock = ts
        if self.clock is not None:
            horizon = self.clock - self.config.window_days * DAY
            heap = self.dated_heap
            while heap and heap[0][0] < horizon:
                _, i = heapq.heappop(heap)
                self.retire(i)
        while len(self.undated) > self.config.max_undated:
            self.retire(self.undated.popleft())

    def retire(self, i: int) -> None:
        """Take article ``i`` out of the window (its slot is reclaimed by ``compact``)."""
        if not self.alive[i]:
            return
        self.alive[i] = False
        del self.slot_of[self.ids[i]]
        story = self.stories[self.story_of[i]]
        self.leave(story, i)
        if not story.members:
            self.story_index.pop(story.id, None)
        if self.index.retire(len(self.fids[i])):
            self.compact()

    def compact(self) -> None:
        """Reclaim retired slots and stories: renumber the live ones, rebuild the postings."""
        n = len(self.ids)
        live = np.flatnonzero(self.alive[:n])
        new_slot = np.full(n, -1, dtype=np.int64)
        new_slot[live] = np.arange(len(live))
        new_story = self._compact_stories(new_slot)
        pick = live.tolist()
        self.ids = [self.ids[i] for i in pick]
        self.packed = [self.packed[i] for i in pick]
        self.fids = [self.fids[i] for i in pick]
        self.ws = [self.ws[i] for i in pick]
        self.near = [self.near[i] for i in pick]
        for near in self.near:
            for entry in near:
                if entry[2] >= 0:  # -1 once that neighbour has retired
                    entry[2] = int(new_slot[entry[2]])
        self.near_sum = [self.near_sum[i] for i in pick]
        self.outlets = [self.outlets[i] for i in pick]
        self.story_of = [new_story[self.story_of[i]] for i in pick]
        size = max(1024, 2 * len(pick))
        times = np.empty(size, dtype=np.float64)
        times[: len(pick)] = self.times[live]
        self.times = times
        self.alive = np.zeros(size, dtype=bool)
        self.alive[: len(pick)] = True
        self.slot_of = {a: j for j, a in enumerate(self.ids)}
        self.dated_heap = [(t, int(new_slot[i])) for t, i in self.dated_heap
                           if new_slot[i] >= 0]
        heapq.heapify(self.dated_heap)
        self.undated = deque(int(new_slot[i]) for i in self.undated if new_slot[i] >= 0)
        self.index.remap(new_slot)

    def _compact_stories(self, new_slot: np.ndarray) -> dict[int, int]:
        """Drop stories without members and renumber the rest; returns old -> new index."""
        keep_stories = [k for k, s in enumerate(self.stories) if s.members]
        new_story = {k: j for j, k in enumerate(keep_stories)}
        self.stories = [self.stories[k] for k in keep_stories]
        self.story_index = {s.id: j for j, s in enumerate(self.stories)}
        self.alias = {a: b for a, b in self.alias.items() if b in self.story_index}
        for s in self.stories:
            s.members = [int(new_slot[i]) for i in s.members]
            s.outside_of.clear()  # keyed by the old slots
        return new_story


def pack(fids: np.ndarray, ws: np.ndarray) -> tuple[bytes, np.ndarray, np.ndarray]:
    """An article's vector as one block of (id, weight bits) pairs, and views of its ids and
    weights (int32 and float32, the same values as given)."""
    pairs = np.empty(2 * len(fids), dtype=np.int32)
    pairs[0::2] = fids
    pairs[1::2] = ws.astype(np.float32, copy=False).view(np.int32)
    packed = pairs.tobytes()
    view = np.frombuffer(packed, dtype=np.int32)
    return packed, view[0::2], view[1::2].view(np.float32)
