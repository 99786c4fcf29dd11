"""The candidate index: an inverted index over the active window's article vectors.

Only the query's most specific features are looked up and very common ones are skipped, so the
work per article is bounded by the posting caps, not by the size of the store. Postings of
retired articles stay until ``remap`` drops them in one pass (cheaper than deleting one by one).
"""

from __future__ import annotations

from array import array

import numpy as np

from .cluster_config import ClusterConfig
from .story_doc import DAY

Posting = tuple["array[int]", "array[float]"]  # article slots and their weights, in arrival order


class CandidateIndex:
    """Feature id -> (article slots, their weights), appended to as articles arrive."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.postings: dict[int, Posting] = {}
        self.live = 0  # postings of active articles
        self.dead = 0  # postings of retired articles, not yet dropped

    def add(self, slot: int, fids: np.ndarray, ws: np.ndarray) -> None:
        """Index the article in ``slot`` under each of its features."""
        fl, wl = fids.tolist(), ws.tolist()
        postings = self.postings
        for f, w in zip(fl, wl, strict=True):
            p = postings.get(f)
            if p is None:
                p = postings[f] = (array("i"), array("f"))
            p[0].append(slot)
            p[1].append(w)
        self.live += len(fl)

    def retire(self, n_features: int) -> bool:
        """Count a retired article's postings as dead; True when it is time to ``remap``."""
        self.live -= n_features
        self.dead += n_features
        return self.dead > max(self.live, 100_000)

    def remap(self, new_slot: np.ndarray) -> None:
        """Renumber every posting (``new_slot[old]``, -1 = retired) and drop the retired."""
        postings = {}
        for f, (seqs, ws) in self.postings.items():
            s = new_slot[np.frombuffer(seqs, dtype=np.int32)]
            keep = s >= 0
            if keep.any():
                postings[f] = (
                    array("i", s[keep].astype(np.int32).tobytes()),
                    array("f", np.frombuffer(ws, dtype=np.float32)[keep].tobytes()),
                )
        self.postings = postings
        self.dead = 0

    def candidates(self, fids: np.ndarray, ws: np.ndarray, ts: float | None,
                   alive: np.ndarray, times: np.ndarray,
                   dated: tuple[float, float] | None = None) -> np.ndarray:
        """Slots of the active articles that best share the query's most specific features.

        ``alive`` and ``times`` are the store's per-slot flags and publication times (NaN when
        undated): a dated query meets only articles within the window of its own time.
        ``dated`` bounds the active articles' times (earliest or before, latest or after):
        when the query's window holds both bounds, no article is out of it, which is the
        usual case of articles arriving in order, and the times need not be read.
        """
        cfg = self.config
        terms = self._terms(fids, ws)
        if not terms:
            return np.empty(0, dtype=np.int64)
        seqs, acc = _postings(terms)
        # Postings of retired articles and of articles outside the query's window go first.
        ok = alive[seqs]
        if ts is not None and not _within(ts, dated, cfg.window_days * DAY):
            # An undated article (NaN) is never too far: NaN > x is false.
            ok &= ~(np.abs(times[seqs] - ts) > cfg.window_days * DAY)
        uniq, score = _sum_by_slot(seqs, acc, np.flatnonzero(ok))
        if len(uniq) > cfg.max_candidates:
            top = np.argpartition(-score, cfg.max_candidates)[: cfg.max_candidates]
            uniq = uniq[top]
        return uniq

    def _terms(self, fids: np.ndarray, ws: np.ndarray) -> list[tuple[float, Posting]]:
        """The query's strongest features that are specific enough to look up, with their
        weights."""
        cfg = self.config
        postings = self.postings
        cap = cfg.posting_cap
        want = cfg.query_terms
        terms = []
        for f, w in zip(fids.tolist(), ws.tolist(), strict=True):  # strongest first
            p = postings.get(f)
            if p is not None and len(p[0]) <= cap:
                terms.append((w, p))
                if len(terms) == want:
                    break
        return terms


def _within(ts: float, dated: tuple[float, float] | None, window: float) -> bool:
    """True when every time in ``dated``'s bounds is within ``window`` of ``ts``.

    Floating-point subtraction is monotonic, so the bounds passing the exact test that
    ``candidates`` applies to each article means every time between them passes it too.
    """
    return dated is not None and ts - dated[0] <= window and dated[1] - ts <= window


def _postings(terms: list[tuple[float, Posting]]) -> tuple[np.ndarray, np.ndarray]:
    """(slots, weight times the query's weight) of the terms' postings, term after term.

    The posting arrays' bytes joined are their concatenation, without numpy's per-array cost.
    """
    seqs = np.frombuffer(b"".join([p[0] for _, p in terms]), dtype=np.int32)
    lens = [len(p[0]) for _, p in terms]
    query = np.repeat(np.array([w for w, _ in terms], dtype=np.float32), lens)
    return seqs, np.frombuffer(b"".join([p[1] for _, p in terms]), dtype=np.float32) * query


def _sum_by_slot(seqs: np.ndarray, acc: np.ndarray, keep: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(distinct slots ascending, each one's sum of ``acc``) over the positions ``keep``.

    Each slot's weights are added in posting order, as a scatter-add would. Sorting the slot
    and the position packed into one integer is several times faster than an argsort, and
    the packed keys are distinct, so the sort needs no stability.
    """
    key = np.left_shift(seqs[keep], 32, dtype=np.int64)
    key |= keep
    key.sort()
    slots = key >> 32
    first = np.empty(len(slots), dtype=bool)
    first[:1] = True
    np.not_equal(slots[1:], slots[:-1], out=first[1:])
    score: np.ndarray = np.bincount(np.cumsum(first), weights=acc[key & 0xFFFFFFFF])[1:]
    return slots[first], score
