"""Refinement: the story engine clusters its newest articles again, now more coverage is in.

Part of ``StoryClusterer`` (``cluster.py``), kept apart because it is its own algorithm: average
link over the engine's density-corrected similarities, with the older part of each story kept
whole, and the editors' decisions kept (pinned articles never move, kept stories never join
another established story). Runs periodically, off the hot path.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cluster import ClusterConfig, _Story


@dataclass
class Refinement:
    """What ``refine`` changed (story ids as the engine knows them)."""

    moved: dict[str, str] = field(default_factory=dict)  # article id -> its story now
    absorbed: dict[str, str] = field(default_factory=dict)  # emptied story -> its successor


class Refining:
    """``StoryClusterer.refine`` and the regrouping it needs (mixed into the engine)."""

    if TYPE_CHECKING:  # the engine's state and steps that refinement works with
        config: ClusterConfig
        _ids: list[str]
        _near: list[list[list[Any]]]
        _near_sum: list[float]
        _outlets: list[str | None]
        _story_of: list[int]
        _slot_of: dict[str, int]
        _stories: list[_Story]
        _story_index: dict[str, int]
        _alias: dict[str, str]
        _pinned: set[str]
        _kept: set[str]

        def _neighbours(self, i: int) -> tuple[list[int], list[float]]: ...
        def _join(self, story: _Story, i: int) -> None: ...
        def _move(self, i: int, k: int) -> None: ...
        def _next_story_id(self) -> str: ...
        def _open_story(self, sid: str) -> int: ...

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
        seeds = self._refine_seeds(recent)
        if not seeds:
            return Refinement()
        recent_set = set(seeds)
        edges, near, neighbours = self._seed_edges(seeds)
        units = self._units(seeds, recent_set, edges, near)
        story_of = self._story_of
        before = {i: self._stories[story_of[i]].id
                  for u in units.link for i in self._unit_members(u, recent_set)}
        groups = units.cluster()
        moved_slots = self._regroup(groups)
        for i in moved_slots:
            self._note_move(i, neighbours.get(i, ()))
        for story in self._stories:
            story.outside = None  # a neighbour's story may now be the scored one
        return self._refinement(before)

    def _refine_seeds(self, recent: int | None) -> list[int]:
        """The slots of the ``recent`` newest unpinned active articles (all when None)."""
        live = sorted(i for a, i in self._slot_of.items() if a not in self._pinned)
        return live if recent is None else live[-recent:]

    def _seed_edges(self, seeds: list[int]) -> tuple[
            dict[tuple[int, int], float], dict[int, list[float]], dict[int, list[int]]]:
        """Each seed's similarities to its neighbours (one edge per pair), its densest
        similarities, and the neighbours themselves."""
        dk = self.config.density_k
        edges: dict[tuple[int, int], float] = {}
        near: dict[int, list[float]] = {}
        neighbours: dict[int, list[int]] = {}
        for i in seeds:
            others, dots = self._neighbours(i)
            neighbours[i] = others
            near[i] = heapq.nlargest(dk, dots) if dk else []
            for j, d in zip(others, dots, strict=True):
                edges[(i, j) if i < j else (j, i)] = d
        return edges, near, neighbours

    def _unit_members(self, u: int, recent_set: set[int]) -> list[int]:
        """A unit's articles: a recent article alone (u >= 0), or the older part of story -1-u."""
        if u >= 0:
            return [u]
        return [i for i in self._stories[-1 - u].members if i not in recent_set]

    def _unit_links(self, seeds: list[int], recent_set: set[int],
                    edges: dict[tuple[int, int], float]) -> dict[int, dict[int, float]]:
        """Summed similarities between units: each recent article alone (its slot), and the
        older part of each story together (-1 - its story index)."""
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
        return link

    def _units(self, seeds: list[int], recent_set: set[int],
               edges: dict[tuple[int, int], float],
               near: dict[int, list[float]]) -> _AverageLink:
        """The units to cluster, with their sizes, summed densities, outlets and stories."""
        dk = self.config.density_k

        def density(i: int) -> float:
            if not dk:
                return 0.0
            got = near.get(i)
            # An older article's closest neighbours were kept up to date as articles arrived.
            return (self._near_sum[i] if got is None else sum(got)) / dk

        link = self._unit_links(seeds, recent_set, edges)
        members = {u: self._unit_members(u, recent_set) for u in link}
        kept = {k for k, story in enumerate(self._stories) if story.id in self._kept} \
            if self._kept else set()
        return _AverageLink(
            config=self.config,
            link=link,
            size={u: len(m) for u, m in members.items()},
            rsum={u: sum(density(i) for i in m) for u, m in members.items()},
            outlets={u: {self._outlets[i] for i in m} - {None} for u, m in members.items()},
            olds={u: {-1 - u} if u < 0 else set() for u in members},
            kept=kept,
        )

    def _refinement(self, before: dict[int, str]) -> Refinement:
        """What moved (article id to its story now) and which stories were absorbed by which."""
        story_of = self._story_of
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
        votes: list[tuple[int, int, int, int]] = []
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
            chosen = target[g]
            if chosen is None:
                chosen = target[g] = self._open_story(self._next_story_id())
            k = chosen
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


@dataclass
class _AverageLink:
    """Average-link clustering of units, joined best pair first while above the threshold."""

    config: ClusterConfig
    link: dict[int, dict[int, float]]  # unit -> neighbour unit -> summed similarity
    size: dict[int, int]
    rsum: dict[int, float]  # summed densities of a unit's articles
    outlets: dict[int, set[str | None]]
    olds: dict[int, set[int]]  # the established stories a unit holds
    kept: set[int]  # stories an editor shaped
    joined: dict[int, int] = field(default_factory=dict)

    def kept_apart(self, a: int, b: int) -> bool:
        """Two established stories never join when an editor shaped either of them."""
        return bool(self.olds[a] and self.olds[b] and (self.olds[a] | self.olds[b]) & self.kept)

    def avg(self, a: int, b: int) -> float:
        """Mean density-corrected similarity of two units; -inf below the plain-cosine floor."""
        cfg, size = self.config, self.size
        cos = self.link[a][b] / (size[a] * size[b])
        if cos < cfg.merge_min_cosine:
            return -math.inf  # where neighbourhoods are sparse, density says nothing
        value = cos - cfg.density_weight * 0.5 * (
            self.rsum[a] / size[a] + self.rsum[b] / size[b])
        if self.outlets[a] & self.outlets[b]:
            value -= cfg.same_outlet_penalty
        return value

    def cluster(self) -> list[list[int]]:
        """Join units while the best pair's similarity stays above ``merge_threshold``; returns
        the groups of units."""
        link = self.link
        members = list(link)
        heap = [(-v, a, b) for a in link for b in link[a] if a < b
                if (v := self.avg(a, b)) > -math.inf]
        heapq.heapify(heap)
        while heap:
            neg, a, b = heapq.heappop(heap)
            if -neg < self.config.merge_threshold:
                break
            if self._joinable(a, b, -neg):
                self._join(a, b, heap)
        groups: dict[int, list[int]] = {}
        for u in members:
            root = u
            while root in self.joined:
                root = self.joined[root]
            groups.setdefault(root, []).append(u)
        return list(groups.values())

    def _joinable(self, a: int, b: int, value: float) -> bool:
        """A popped pair still stands: neither joined away, the entry fresh, not kept apart."""
        if a in self.joined or b in self.joined or b not in self.link[a]:
            return False
        if abs(value - self.avg(a, b)) > 1e-9:
            return False  # stale entry
        return not (self.kept and self.kept_apart(a, b))

    def _join(self, keep: int, gone: int, heap: list[tuple[float, int, int]]) -> None:
        """Fold unit ``gone`` into ``keep`` and queue ``keep``'s new similarities."""
        link = self.link
        self.joined[gone] = keep
        for c, v in link.pop(gone).items():
            link[c].pop(gone, None)
            if c != keep:
                link[keep][c] = link[keep].get(c, 0.0) + v
                link[c][keep] = link[keep][c]
        self.size[keep] += self.size.pop(gone)
        self.rsum[keep] += self.rsum.pop(gone)
        self.outlets[keep] |= self.outlets.pop(gone)
        self.olds[keep] |= self.olds.pop(gone)
        for c in link[keep]:
            v = self.avg(keep, c)
            if v > -math.inf:
                heapq.heappush(heap, (-v, min(keep, c), max(keep, c)))
