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


class CandidateIndex:
    """Feature id -> postings (article slots and their weights), appended to as articles arrive.

    A feature's postings are one array: each article's slot and the bits of its float32 weight
    side by side (slot, weight, slot, weight, ...), in arrival order. One array per feature,
    rather than one for the slots and one for the weights, halves the memory an article's
    insertion touches.
    """

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.postings: dict[int, array[int]] = {}
        self.live = 0  # postings of active articles
        self.dead = 0  # postings of retired articles, not yet dropped

    def add(self, slot: int, fids: np.ndarray, ws: np.ndarray) -> None:
        """Index the article in ``slot`` under each of its features (``ws`` is float32)."""
        bits = ws.astype(np.float32, copy=False).view(np.int32).tolist()
        postings = self.postings
        for f, b in zip(fids.tolist(), bits, strict=True):
            p = postings.get(f)
            if p is None:
                p = postings[f] = array("i")
            p.append(slot)
            p.append(b)
        self.live += len(bits)

    def retire(self, n_features: int) -> bool:
        """Count a retired article's postings as dead; True when it is time to ``remap``."""
        self.live -= n_features
        self.dead += n_features
        return self.dead > max(self.live, 100_000)

    def remap(self, new_slot: np.ndarray) -> None:
        """Renumber every posting (``new_slot[old]``, -1 = retired) and drop the retired."""
        postings = {}
        for f, p in self.postings.items():
            pairs = np.frombuffer(p, dtype=np.int32).reshape(-1, 2)
            s = new_slot[pairs[:, 0]]
            keep = s >= 0
            if keep.any():
                kept = pairs[keep]  # a copy: the weights' bits unchanged
                kept[:, 0] = s[keep]
                postings[f] = array("i", kept.tobytes())
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

    def _terms(self, fids: np.ndarray, ws: np.ndarray) -> list[tuple[float, array[int]]]:
        """The query's strongest features that are specific enough to look up, with their
        weights."""
        cfg = self.config
        postings = self.postings
        cap = 2 * cfg.posting_cap  # two numbers a posting
        want = cfg.query_terms
        terms = []
        for f, w in zip(fids.tolist(), ws.tolist(), strict=True):  # strongest first
            p = postings.get(f)
            if p is not None and len(p) <= cap:
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


def _postings(terms: list[tuple[float, array[int]]]) -> tuple[np.ndarray, np.ndarray]:
    """(slots, weight times the query's weight) of the terms' postings, term after term.

    The posting arrays' bytes joined are their concatenation, without numpy's per-array cost.
    """
    pairs = np.frombuffer(b"".join([p for _, p in terms]), dtype=np.int32)
    query = np.repeat(np.array([w for w, _ in terms], dtype=np.float32),
                      [len(p) >> 1 for _, p in terms])
    return pairs[0::2], pairs[1::2].view(np.float32) * query


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
