"""Syndicated copies: the same wire text republished under another headline and page chrome.

``NearDuplicateIndex`` keeps a MinHash signature of every body's 5-word shingles in an LSH index
(datasketch). A text is a copy of an indexed one when their estimated Jaccard similarity on those
shingles is at least ``threshold`` (default 0.8): high enough that two outlets' independent
write-ups of one event (which share names and quotes but not whole passages) stay apart, low
enough that a copy with a different headline, an added byline, a "Read more" line or a trimmed
last paragraph is still found. Headlines are deliberately not part of the signature.

Bodies with fewer than ``min_words`` words are neither indexed nor matched: a two-line teaser
says too little to call it a copy. With ``window_days``, an article leaves the index once the
newest publication time seen is that much later than its own: copies appear within hours of
their original, and the index stays bounded however long the process runs.
"""

from __future__ import annotations

import heapq
import re
from datetime import date, datetime

import numpy as np
from datasketch import MinHash, MinHashLSH

from broadsheet.stories.story_doc import DAY, timestamp

_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = 5) -> set[bytes]:
    """Lower-cased word ``size``-grams of a body, as bytes for hashing."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)}


class NearDuplicateIndex:
    """Find the earliest indexed article whose body is a near-copy of a given text."""

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, shingle_size: int = 5,
                 min_words: int = 25, window_days: float | None = None) -> None:
        self.threshold = threshold
        self.window = None if window_days is None else window_days * DAY
        self.num_perm = num_perm
        self.shingle_size = shingle_size
        self.min_words = min_words
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._sigs: dict[str, MinHash] = {}
        self._times: dict[str, tuple[float, int]] = {}
        self._by_time: list[tuple[float, str]] = []  # dated entries, oldest first
        self.clock: float | None = None  # newest publication time indexed

    def __len__(self) -> int:
        return len(self._sigs)

    def __contains__(self, article_id: str) -> bool:
        return article_id in self._sigs

    def signature(self, text: str | None) -> MinHash | None:
        """The body's MinHash, or None when it is too short to compare.

        Pass it to ``find_original`` and ``add`` to hash a body once for both.
        """
        if not text or len(_WORD.findall(text)) < self.min_words:
            return None
        m = MinHash(num_perm=self.num_perm)
        m.update_batch(list(shingles(text, self.shingle_size)))
        return m

    def add(self, article_id: str, text: str | None,
            published_at: datetime | date | str | None = None,
            sig: MinHash | None = None) -> bool:
        """Index a body; False when it is too short to index or the id is already there."""
        if article_id in self._sigs:
            return False
        sig = sig or self.signature(text)
        if sig is None:
            return False
        self._lsh.insert(article_id, sig)
        self._sigs[article_id] = sig
        ts = timestamp(published_at)
        # Undated articles sort after dated ones, then in the order they were added.
        self._times[article_id] = (np.inf if ts is None else ts, len(self._times))
        if ts is not None:
            heapq.heappush(self._by_time, (ts, article_id))
            self.clock = ts if self.clock is None else max(self.clock, ts)
            self._expire()
        return True

    def published(self, article_id: str) -> float:
        """An indexed article's publication time (seconds since the epoch; inf when unknown)."""
        return self._times[article_id][0]

    def _expire(self) -> None:
        if self.window is None or self.clock is None:
            return
        horizon = self.clock - self.window
        while self._by_time and self._by_time[0][0] < horizon:
            _, article_id = heapq.heappop(self._by_time)
            self.remove(article_id)

    def remove(self, article_id: str) -> None:
        """Forget an article (it left the retention window or was deleted)."""
        if self._sigs.pop(article_id, None) is not None:
            self._lsh.remove(article_id)
            self._times.pop(article_id, None)

    def similar(self, text: str | None, sig: MinHash | None = None) -> list[tuple[str, float]]:
        """Indexed near-copies of ``text`` with their estimated Jaccard, earliest first."""
        sig = sig or self.signature(text)
        if sig is None:
            return []
        found = []
        for key in self._lsh.query(sig):
            j = sig.jaccard(self._sigs[key])
            if j >= self.threshold:
                found.append((key, j))
        found.sort(key=lambda kv: self._times[kv[0]])
        return found

    def find_original(self, text: str | None, sig: MinHash | None = None) -> str | None:
        """The earliest published indexed article that ``text`` is a near-copy of, or None."""
        found = self.similar(text, sig)
        return found[0][0] if found else None
