"""Local density: how crowded an article's topic is, measured by its closest neighbours.

On a crowded topic everything looks alike, and only what stands out from the crowd is the same
story; so every similarity is corrected by the mean similarity of each side to its nearest
neighbours. Each article remembers its ``density_memory`` closest neighbours with their stories,
so that its density can leave out the members of the story being scored (a story's own members
are not its crowd: on a fresh install they are often all there is).
"""

from __future__ import annotations

import bisect
from operator import itemgetter

from .store import ArticleStore, Story

_first = itemgetter(0)


def remember_neighbours(store: ArticleStore, slots: list[int], dots: list[float]) -> None:
    """Let the articles just compared with the newest article record it as a close neighbour.

    The newest article (the last slot) records its own closest ones among ``slots``.
    """
    cfg = store.config
    k = cfg.density_k
    if not k or not slots:
        return
    keep = max(cfg.density_memory, k)
    new = len(store.ids) - 1
    stories = store.stories
    story_of = store.story_of
    # The closest ``keep``, ties in the order compared (as a stable sort keeps them), ascending.
    best = sorted(range(len(dots)), key=dots.__getitem__, reverse=True)[:keep]
    best.reverse()
    store.near[new] = [[dots[j], stories[story_of[slots[j]]], slots[j]] for j in best]
    store.near_sum[new] = sum([dots[j] for j in best[-k:]])
    mine = stories[story_of[new]]
    alive = store.alive
    near = store.near
    for i, d in zip(slots, dots, strict=True):
        held = near[i]
        if len(held) >= keep and d <= held[0][0]:
            continue  # not among i's closest: most comparisons end here
        if i != new and alive[i] and _note(store, i, d, mine, new, keep):
            stories[story_of[i]].forget_outside()


def _note(store: ArticleStore, i: int, d: float, story: Story, new: int, keep: int) -> bool:
    """Record ``new`` (similarity ``d``, in ``story``) among ``i``'s closest; True when kept."""
    near = store.near[i]
    if len(near) >= keep:
        if d <= near[0][0]:
            return False
        del near[0]
    at = bisect.bisect_left(near, d, key=_first)
    near.insert(at, [d, story, new])
    k = store.config.density_k
    if at >= len(near) - k:  # among the closest k: the plain density moved
        store.near_sum[i] = sum(p[0] for p in near[-k:])
    return True


def outside_density(store: ArticleStore, i: int, story: Story | None) -> float:
    """Mean similarity of article ``i`` to its closest neighbours outside ``story``.

    Members of the story being scored are not its crowd: when an article's nearest
    neighbours are its own story (no related stories around), counting them would
    subtract exactly the evidence that they belong together.
    """
    dk = store.config.density_k
    total = 0.0
    n = 0
    for d, other, _ in reversed(store.near[i]):
        if other.merged_into is not None:
            other = other.current()
        if other is story:
            continue
        total += d
        n += 1
        if n == dk:
            break
    return total / dk


def note_move(store: ArticleStore, i: int, neighbours: list[int] | tuple[int, ...]) -> None:
    """Tell the neighbours that remember article ``i`` which story it is in now."""
    story = store.stories[store.story_of[i]]
    for j in neighbours:
        for entry in store.near[j]:
            if entry[2] == i:
                entry[1] = story
