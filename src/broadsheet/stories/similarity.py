"""Cosines between one query vector and many stored ones, in one vectorised pass.

The query is spread into a dense scratch vector (zero between calls), so each stored article's
dot product is a gather and a segment sum, with no Python loop over features.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    from typing_extensions import Buffer


class DotProducts:
    """A reusable dense scratch vector for a query's dot products with stored vectors."""

    def __init__(self) -> None:
        self.scratch = np.zeros(1024, dtype=np.float32)

    def __call__(self, fids: np.ndarray, ws: np.ndarray, n_features: int,
                 others_f: list[np.ndarray], others_w: list[np.ndarray]) -> np.ndarray:
        """Dot product of (fids, ws) with each (others_f[j], others_w[j]); float64 sums.

        ``n_features`` is the number of feature ids in use, so the scratch vector grows in time.
        """
        if len(self.scratch) < n_features:
            self.scratch = np.zeros(2 * n_features, dtype=np.float32)
        scratch = self.scratch
        scratch[fids] = ws
        lens = np.fromiter(map(len, others_f), dtype=np.int64, count=len(others_f))
        # The stored vectors are int32 ids and float32 weights (``IdfTable.vectorise``): their
        # bytes joined are their concatenation, without numpy's per-array overhead.
        prod = scratch[np.frombuffer(b"".join(cast("list[Buffer]", others_f)), dtype=np.int32)] \
            * np.frombuffer(b"".join(cast("list[Buffer]", others_w)), dtype=np.float32)
        scratch[fids] = 0.0
        ends = np.cumsum(lens)
        sums = np.concatenate(([0.0], np.cumsum(prod, dtype=np.float64)))
        dots: np.ndarray = sums[ends] - sums[ends - lens]
        return dots
