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
    """Feature id -> (article slots, their weights), appended to as articles arrive."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.postings: dict[int, tuple[array, array]] = {}
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
                   alive: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Slots of the active articles that best share the query's most specific features.

        ``alive`` and ``times`` are the store's per-slot flags and publication times (NaN when
        undated): a dated query meets only articles within the window of its own time.
        """
        cfg = self.config
        terms = self._terms(fids, ws)
        if not terms:
            return np.empty(0, dtype=np.int64)
        postings = self.postings
        seqs = np.concatenate([np.frombuffer(postings[f][0], dtype=np.int32) for _, f in terms])
        acc = np.concatenate(
            [np.frombuffer(postings[f][1], dtype=np.float32) * w for w, f in terms]
        )
        uniq, inv = np.unique(seqs, return_inverse=True)
        score = np.bincount(inv, weights=acc)
        ok = alive[uniq]
        if ts is not None:
            t = times[uniq]
            ok &= np.isnan(t) | (np.abs(t - ts) <= cfg.window_days * DAY)
        uniq, score = uniq[ok], score[ok]
        if len(uniq) > cfg.max_candidates:
            top = np.argpartition(-score, cfg.max_candidates)[: cfg.max_candidates]
            uniq = uniq[top]
        return uniq

    def _terms(self, fids: np.ndarray, ws: np.ndarray) -> list[tuple[float, int]]:
        """The query's strongest features that are specific enough to look up, as (w, fid)."""
        cfg = self.config
        postings = self.postings
        cap = cfg.posting_cap
        terms = []
        for f, w in zip(fids.tolist(), ws.tolist(), strict=True):  # strongest first
            p = postings.get(f)
            if p is not None and len(p[0]) <= cap:
                terms.append((w, f))
                if len(terms) == cfg.query_terms:
                    break
        return terms
