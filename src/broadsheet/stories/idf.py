"""Feature weighting for story clustering: an idf table learned as articles arrive.

``features.py`` turns an article into raw feature counts; this table turns counts into a
unit-length vector of sublinear tf times idf, weighted by namespace and pruned to the
strongest features. The idf is learned incrementally (and persisted by the caller), so a
backfill and a live stream weigh words the same way.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .cluster_config import ClusterConfig


class IdfTable:
    """Feature ids, their document frequencies, and the weighting of one article's counts."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.vocab: dict[str, int] = {}
        self.df: list[int] = []
        self.n_docs = 0
        self.ns_weight = {
            "w": config.word_weight,
            "t": config.title_weight,
            "e": config.name_weight,
            "n": config.number_weight,
            "u": config.url_weight,
        }

    def __len__(self) -> int:
        """Number of features known (the size a dense query vector needs)."""
        return len(self.df)

    def fid(self, feature: str) -> int:
        """The id of ``feature``, given a new one (with frequency 0) when it is unknown."""
        fid = self.vocab.get(feature)
        if fid is None:
            fid = self.vocab[feature] = len(self.df)
            self.df.append(0)
        return fid

    def learn(self, counts: Counter[str]) -> list[int]:
        """Count one more document for each of its features; returns their ids in order."""
        self.n_docs += 1
        vocab = self.vocab
        df = self.df
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

    def vectorise(self, counts: Counter[str], *, learn: bool = True
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(feature ids, weights): sublinear tf-idf, namespace-weighted, pruned, unit length.

        Strongest first: the candidate index then looks up the first specific features it meets.
        """
        if learn:
            weights = self._learn_weights(counts)
        else:
            vocab = self.vocab
            weights = self._weights(counts, [vocab.get(name, -1) for name in counts])
        weights.sort(reverse=True)  # (weight, id) pairs are distinct: the order is total
        del weights[self.config.max_features:]
        if not weights:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        ws = np.array([w for w, _ in weights], dtype=np.float32)
        ws /= np.sqrt(np.dot(ws, ws))
        return np.array([f for _, f in weights], dtype=np.int32), ws

    def _learn_weights(self, counts: Counter[str]) -> list[tuple[float, int]]:
        """``learn`` and ``_weights`` in one pass over the features (the assignment's path)."""
        self.n_docs += 1
        vocab = self.vocab
        df = self.df
        ns = self.ns_weight
        log = math.log
        top = log(self.n_docs + self.config.idf_prior_docs + 1) + 1.0
        weights: list[tuple[float, int]] = []
        for name, c in counts.items():
            fid = vocab.get(name)
            if fid is None:
                fid = vocab[name] = len(df)
                df.append(1)
                d = 1
            else:
                d = df[fid] + 1
                df[fid] = d
            w = ns[name[0]] * (1.0 + log(c) if c > 1 else 1.0) * (top - log(d + 1))
            if w > 0:
                weights.append((w, fid))
        return weights

    def _weights(self, counts: Counter[str], known: list[int]) -> list[tuple[float, int]]:
        """(weight, feature id) of each known feature with a positive weight."""
        n = self.n_docs + self.config.idf_prior_docs
        df = self.df
        ns = self.ns_weight
        log = math.log
        top = log(n + 1) + 1.0
        weights: list[tuple[float, int]] = []
        for (name, c), fid in zip(counts.items(), known, strict=True):
            if fid < 0:
                continue
            w = ns[name[0]] * (1.0 + log(c) if c > 1 else 1.0) * (top - log(df[fid] + 1))
            if w > 0:
                weights.append((w, fid))
        return weights

    def frequencies(self) -> tuple[int, dict[str, int]]:
        """(number of documents, feature -> document frequency): the table to persist."""
        return self.n_docs, {f: self.df[i] for f, i in self.vocab.items()}

    def load(self, n_docs: int, frequencies: dict[str, int]) -> None:
        """Add a persisted table to what is already known."""
        self.n_docs += n_docs
        for f, n in frequencies.items():
            self.df[self.fid(f)] += n

    def names(self) -> dict[int, str]:
        """Feature id -> feature, to show a centroid in words."""
        return {i: f for f, i in self.vocab.items()}
