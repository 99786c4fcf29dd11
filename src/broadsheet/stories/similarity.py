"""Cosines between one query vector and many stored ones, in one vectorised pass.

The query is spread into a dense scratch vector (zero between calls), so each stored article's
dot product is a gather and a segment sum, with no Python loop over features.
"""

from __future__ import annotations

import numpy as np


class DotProducts:
    """A reusable dense scratch vector for a query's dot products with stored vectors."""

    def __init__(self) -> None:
        self.scratch = np.zeros(1024, dtype=np.float32)

    def __call__(self, fids: np.ndarray, ws: np.ndarray, n_features: int,
                 others: list[bytes]) -> np.ndarray:
        """Dot product of (fids, ws) with each of ``others``; float64 sums.

        ``others`` are stored vectors as packed by ``store.pack``: (int32 id, float32 weight)
        pairs. Their bytes joined are their concatenation, read in one piece. ``n_features``
        is the number of feature ids in use, so the scratch vector grows in time.
        """
        if len(self.scratch) < n_features:
            self.scratch = np.zeros(2 * n_features, dtype=np.float32)
        scratch = self.scratch
        scratch[fids] = ws
        pairs = np.frombuffer(b"".join(others), dtype=np.int32)
        lens = [len(p) >> 3 for p in others]  # 8 bytes a pair
        prod = scratch[pairs[0::2]] * pairs[1::2].view(np.float32)
        scratch[fids] = 0.0
        ends = np.cumsum(lens)
        sums = np.concatenate(([0.0], np.cumsum(prod, dtype=np.float64)))
        dots: np.ndarray = sums[ends] - sums[ends - lens]
        return dots
