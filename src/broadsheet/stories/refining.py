"""Refinement: the story engine clusters its newest articles again, now more coverage is in.

The periodic counterpart of assignment, which decides each article once, with what had arrived
before it. The ``recent`` newest active articles are each taken out of their story; the older
part of every story stays together as one unit. Average-link clustering then joins articles and
units again while the mean similarity between two groups, corrected for density with what is
known *now* (later articles included), stays above ``merge_threshold`` and their mean plain
cosine above ``merge_min_cosine``. So a hasty join is undone, a story split online is mended,
and two stories found to be one are merged (the older keeps its id). Editors' decisions are
kept: pinned articles never move, kept stories never join another established story. Cost: one
index lookup per recent article plus a heap over the similarities found. Runs off the hot path.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .density import note_move
from .store import ArticleStore

Neighbours = Callable[[int], tuple[list[int], list[float]]]


@dataclass
class Refinement:
    """What ``refine`` changed (story ids as the engine knows them)."""

    moved: dict[str, str] = field(default_factory=dict)  # article id -> its story now
    absorbed: dict[str, str] = field(default_factory=dict)  # emptied story -> its successor


@dataclass
class _Graph:
    """The recent articles' similarities to their nearest active articles."""

    edges: dict[tuple[int, int], float] = field(default_factory=dict)
    near: dict[int, list[float]] = field(default_factory=dict)  # recent -> closest cosines
    neighbours: dict[int, list[int]] = field(default_factory=dict)


def refine(store: ArticleStore, neighbours: Neighbours, pinned: set[str], kept: set[str],
           recent: int | None = None) -> Refinement:
    """Cluster the ``recent`` newest active articles (all when None) again; see the module."""
    live = sorted(i for a, i in store.slot_of.items() if a not in pinned)
    seeds = live if recent is None else live[-recent:]
    if not seeds:
        return Refinement()
    graph = _graph(store, seeds, neighbours)
    linking = _AverageLink(store, kept, seeds, graph)
    groups = linking.run()
    members = linking.members
    story_of = store.story_of
    before = {i: store.story_id(i) for u in members for i in members[u]}
    for i in _regroup(store, groups):
        note_move(store, i, graph.neighbours.get(i, ()))
    for story in store.stories:
        story.forget_outside()  # a neighbour's story may now be the scored one
    moved = {store.ids[i]: sid for i, old in before.items()
             if (sid := store.stories[story_of[i]].id) != old}
    now = {store.story_id(i) for i in before}
    absorbed = {old: store.resolve(old) for old in set(before.values()) - now}
    return Refinement(moved, absorbed)


def _graph(store: ArticleStore, seeds: list[int], neighbours: Neighbours) -> _Graph:
    """Look up each recent article's neighbours once; every pair found is an edge."""
    dk = store.config.density_k
    graph = _Graph()
    edges = graph.edges
    for i in seeds:
        others, dots = neighbours(i)
        graph.neighbours[i] = others
        graph.near[i] = heapq.nlargest(dk, dots) if dk else []
        for j, d in zip(others, dots, strict=True):
            edges[(i, j) if i < j else (j, i)] = d
    return graph


class _AverageLink:
    """Average link over units: each recent article alone (its slot), and the older part of
    each story together (``-1 - its story index``)."""

    def __init__(self, store: ArticleStore, kept: set[str], seeds: list[int],
                 graph: _Graph) -> None:
        self.store = store
        self.kept = kept
        self.recent = set(seeds)
        self.graph = graph
        self.link = self._links(seeds)
        recent = self.recent
        self.members = {u: [u] if u >= 0 else
                        [i for i in store.stories[-1 - u].members if i not in recent]
                        for u in self.link}
        members = self.members
        self.size = {u: len(m) for u, m in members.items()}
        self.rsum = {u: sum(self._density(i) for i in m) for u, m in members.items()}
        self.outlets = {u: {store.outlets[i] for i in m} - {None} for u, m in members.items()}
        self.olds = {u: {-1 - u} if u < 0 else set() for u in members}  # established stories

    def _unit_of(self, i: int) -> int:
        return i if i in self.recent else -1 - self.store.story_of[i]

    def _links(self, seeds: list[int]) -> dict[int, dict[int, float]]:
        """Unit -> unit -> sum of the similarities found between their articles."""
        link: dict[int, dict[int, float]] = {i: {} for i in seeds}
        for (i, j), d in self.graph.edges.items():
            a, b = self._unit_of(i), self._unit_of(j)
            if a == b:
                continue
            link.setdefault(a, {})
            link.setdefault(b, {})
            link[a][b] = link[a].get(b, 0.0) + d
            link[b][a] = link[a][b]
        stories = self.store.stories
        for k in {self.store.story_of[i] for i in seeds}:
            # An older part keeps its story, linked or not.
            if -1 - k not in link and any(j not in self.recent for j in stories[k].members):
                link[-1 - k] = {}
        return link

    def _density(self, i: int) -> float:
        dk = self.store.config.density_k
        if not dk:
            return 0.0
        got = self.graph.near.get(i)
        # An older article's closest neighbours were kept up to date as articles arrived.
        return (self.store.near_sum[i] if got is None else sum(got)) / dk

    def _kept_apart(self, a: int, b: int) -> bool:
        """Two established stories never join when an editor shaped either of them."""
        olds = self.olds
        stories = self.store.stories
        return bool(olds[a] and olds[b] and any(
            stories[k].id in self.kept for k in olds[a] | olds[b]))

    def _avg(self, a: int, b: int) -> float:
        cfg = self.store.config
        size = self.size
        cos = self.link[a][b] / (size[a] * size[b])
        if cos < cfg.merge_min_cosine:
            return -math.inf  # where neighbourhoods are sparse, density says nothing
        value = cos - cfg.density_weight * 0.5 * (self.rsum[a] / size[a] + self.rsum[b] / size[b])
        if self.outlets[a] & self.outlets[b]:
            value -= cfg.same_outlet_penalty
        return value

    def run(self) -> list[list[int]]:
        """Join the closest units while they stay close enough; returns the groups of units."""
        link = self.link
        heap = [(-v, a, b) for a in link for b in link[a] if a < b
                if (v := self._avg(a, b)) > -math.inf]
        heapq.heapify(heap)
        joined: dict[int, int] = {}
        threshold = self.store.config.merge_threshold
        while heap:
            neg, a, b = heapq.heappop(heap)
            if -neg < threshold:
                break
            if a in joined or b in joined or b not in link[a]:
                continue
            if abs(-neg - self._avg(a, b)) > 1e-9:
                continue  # stale entry
            if self.kept and self._kept_apart(a, b):
                continue
            joined[b] = a
            self._join(a, b, heap)
        groups: dict[int, list[int]] = {}
        for u in self.members:
            root = u
            while root in joined:
                root = joined[root]
            groups.setdefault(root, []).append(u)
        return list(groups.values())

    def _join(self, keep: int, gone: int, heap: list[tuple[float, int, int]]) -> None:
        """Fold unit ``gone`` into ``keep`` and queue ``keep``'s new similarities."""
        link = self.link
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
            v = self._avg(keep, c)
            if v > -math.inf:
                heapq.heappush(heap, (-v, min(keep, c), max(keep, c)))


def _regroup(store: ArticleStore, groups: list[list[int]]) -> list[int]:
    """Give each group of units one story; returns the recent articles that moved.

    A group holding the older part of a story keeps that story (of several, the oldest,
    which absorbs the others). A group of recent articles only keeps the story most of
    them were in, unless another group keeps it; otherwise it starts a new story. A story
    left without articles is absorbed by the one that took most of them.
    """
    target, absorb = _targets(store, groups)
    for gone, keep in absorb:
        store.merge_story(gone, keep)
    stories = store.stories
    story_of = store.story_of
    left: dict[int, Counter[int]] = {}
    moved = []
    for g, units in enumerate(groups):
        k = target[g]
        if k is None:
            k = target[g] = store.open_story(store.next_story_id())
        for i in units:
            if i >= 0 and story_of[i] != k:
                left.setdefault(story_of[i], Counter())[k] += 1
                store.move(i, k)
                moved.append(i)
    for gone, went_to in left.items():
        if not stories[gone].members and stories[gone].merged_into is None:
            store.merge_story(gone, went_to.most_common(1)[0][0])
    return moved


def _targets(store: ArticleStore, groups: list[list[int]]
             ) -> tuple[list[int | None], list[tuple[int, int]]]:
    """(each group's story index or None for a new one, stories to fold into another)."""
    stories = store.stories
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
            count = Counter(store.story_of[i] for i in units)
            votes.extend((n, -stories[k].members[0], g, k) for k, n in count.items())
    votes.sort(reverse=True)
    for _, _, g, k in votes:
        if target[g] is None and k not in taken:
            target[g] = k
            taken.add(k)
    return target, absorb
