"""Linking: the score of every candidate story for one incoming article.

A story's score blends the similarity to its centroid and to its closest member. Each
similarity is corrected for local density (``2 cos - r_query - r_other``, where r is an
article's mean similarity to its nearest neighbours outside the story being scored): an article
on a crowded topic is close to many others, and only the ones standing out from that crowd are
its story. Soft penalties follow for an outlet the story already has (outlets rarely report one
event twice) and for a gap in publication time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .density import outside_density
from .similarity import DotProducts
from .store import ArticleStore
from .story_doc import DAY


@dataclass
class Query:
    """One incoming article: its vector, publication time and outlet."""

    fids: np.ndarray
    ws: np.ndarray
    ts: float | None
    outlet: str | None


@dataclass
class Compared:
    """The articles a query was compared with, grouped by story, and the similarities found.

    The per-story layout (``starts``, ``counts``, ``seg``) is worked out once here, since the
    density and the blend both read it.
    """

    slots: list[int]
    spans: dict[int, tuple[int, int]]  # story index -> [start, end) in ``slots``
    dots: np.ndarray
    starts: np.ndarray  # each story's first position in ``slots``, in ``spans`` order
    counts: list[int]  # each story's number of compared articles, in ``spans`` order
    seg: np.ndarray  # the story (its position in ``spans``) of each compared article

    @classmethod
    def of(cls, slots: list[int], spans: dict[int, tuple[int, int]], dots: np.ndarray
           ) -> Compared:
        """The comparison with its per-story layout."""
        counts = [b - a for a, b in spans.values()]
        starts = np.array([a for a, _ in spans.values()], dtype=np.int64)
        seg = np.repeat(np.arange(len(counts)), counts)
        return cls(slots, spans, dots, starts, counts, seg)


def story_scores(store: ArticleStore, dot: DotProducts, n_features: int, query: Query
                 ) -> tuple[dict[int, float], list[int], list[float]]:
    """Score of every candidate story (by index), and the articles compared with their cosines."""
    cands = store.index.candidates(query.fids, query.ws, query.ts, store.alive, store.times,
                                   store.dated_span())
    if not len(cands):
        return {}, [], []
    slots, spans = _gather(store, cands.tolist())
    packed = store.packed
    dots = dot(query.fids, query.ws, n_features, [packed[i] for i in slots])
    compared = Compared.of(slots, spans, dots)
    r, rq = _densities(store, compared)
    return _blend(store, query, compared, r, rq), slots, dots.tolist()


def _gather(store: ArticleStore, cands: list[int]) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """The articles to compare, grouped by story.

    Small stories: every member (so the centroid is their sum). Large stories: only the
    retrieved members (the centroid is looked up feature by feature).
    """
    story_of = store.story_of
    stories = store.stories
    big = store.config.member_scan
    groups: dict[int, list[int]] = {}
    for i in cands:
        k = story_of[i]
        got = groups.get(k)
        if got is None:
            members = stories[k].members
            groups[k] = members if len(members) <= big else [i]
        elif len(stories[k].members) > big:
            got.append(i)
    slots: list[int] = []
    spans: dict[int, tuple[int, int]] = {}
    for k, members in groups.items():
        spans[k] = (len(slots), len(slots) + len(members))
        slots.extend(members)
    return slots, spans


def _densities(store: ArticleStore, compared: Compared) -> tuple[np.ndarray, np.ndarray]:
    """(density of each compared article, density of the query per candidate story)."""
    dk = store.config.density_k
    slots, spans, dots = compared.slots, compared.spans, compared.dots
    if not dk:
        return np.zeros(len(slots)), np.zeros(len(spans))
    near_sum = store.near_sum
    r = np.array([near_sum[i] for i in slots], dtype=np.float64) / dk
    # The query's closest articles, enough of them to skip any one story's members.
    depth = min(dk + max(compared.counts), len(dots))
    order = np.argpartition(-dots, depth - 1)[:depth] if depth < len(dots) \
        else np.arange(len(dots))
    order = order[np.argsort(-dots[order], kind="stable")]
    rq = np.full(len(spans), dots[order[:dk]].sum() / dk)
    if store.config.density_outside:
        _query_outside(dk, dots[order].tolist(), compared.seg[order].tolist(), rq)
        _members_outside(store, compared, r)
    return r, rq


def _query_outside(dk: int, top_dots: list[float], top_seg: list[int], rq: np.ndarray) -> None:
    """The query's density per story, leaving out that story's members.

    ``top_dots`` are the query's closest similarities, best first, and ``top_seg`` their
    stories. Only stories with a member among the closest ``dk`` differ from the plain density.
    """
    for n in set(top_seg[:dk]):
        rq[n] = sum([d for d, g in zip(top_dots, top_seg, strict=True) if g != n][:dk]) / dk


def _members_outside(store: ArticleStore, compared: Compared, r: np.ndarray) -> None:
    """Each compared member's density, leaving out the story being scored (if it has others)."""
    big = store.config.member_scan
    slots = compared.slots
    for k, (a, b) in compared.spans.items():
        story = store.stories[k]
        n_members = len(story.members)
        if n_members <= 1:
            continue
        if n_members <= big:  # the span is the members, in order
            if story.outside is None:
                story.outside = np.array([outside_density(store, i, story)
                                          for i in story.members])
            r[a:b] = story.outside
        else:  # a large story: only the members retrieved, each remembered until it changes
            known = story.outside_of
            got = []
            for i in slots[a:b]:
                d = known.get(i)
                if d is None:
                    d = known[i] = outside_density(store, i, story)
                got.append(d)
            r[a:b] = got


def _blend(store: ArticleStore, query: Query, compared: Compared, r: np.ndarray,
           rq: np.ndarray) -> dict[int, float]:
    """Each story's score: centroid and best member, density-corrected, minus the penalties."""
    cfg = store.config
    dots, starts = compared.dots, compared.starts
    dw = cfg.density_weight
    adjusted = 2 * dots - dw * (rq[compared.seg] + r)
    rq_story = rq.tolist()
    member_best = np.maximum.reduceat(adjusted, starts).tolist()
    dot_sum = np.add.reduceat(dots, starts).tolist()
    r_mean = (np.add.reduceat(r, starts) / compared.counts).tolist()
    cw = cfg.centroid_weight
    stories = store.stories
    scores: dict[int, float] = {}
    for n, k in enumerate(compared.spans):
        story = stories[k]
        member = member_best[n]
        if story.norm2 <= 0:
            centroid = member
        else:
            if len(story.members) <= cfg.member_scan:
                cos = dot_sum[n]
            else:
                c = story.centroid
                cos = sum(w * c.get(f, 0.0) for f, w in
                          zip(query.fids.tolist(), query.ws.tolist(), strict=True))
            centroid = 2 * cos / math.sqrt(story.norm2) - dw * (rq_story[n] + r_mean[n])
        score = 0.5 * (cw * centroid + (1 - cw) * member)
        scores[k] = _penalise(store, k, query, score)
    return scores


def _penalise(store: ArticleStore, k: int, query: Query, score: float) -> float:
    """Soft priors: a repeated outlet, and a gap in publication time (in full at one window)."""
    cfg = store.config
    story = store.stories[k]
    if query.outlet and query.outlet in story.outlets:
        score -= cfg.same_outlet_penalty
    ts = query.ts
    if ts is not None and story.first is not None and story.last is not None:
        gap = max(story.first - ts, ts - story.last, 0.0)
        score -= cfg.time_penalty * min(gap / (cfg.window_days * DAY), 1.0)
    return score
