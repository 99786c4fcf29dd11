"""Words and reading time: the one rule behind every "5 min read".

The count is stored with each article (``Article.word_count``, worked out from the sanitised
body), and pages, the JSON API and feeds turn it into minutes here, so no two surfaces ever
disagree about an article's length.

- ``word_count(text) -> int``: "don't" and "state-of-the-art" are one word, numbers count, and
  each Chinese or Japanese character counts as a word (they are written without spaces and read
  at about the rate of an English word).
- ``reading_minutes(words) -> int``: ``words`` at 230 words a minute, to the nearest minute; at
  least 1 for any text, 0 when the length is unknown.
"""

from __future__ import annotations

import re

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD_RE = re.compile(
    rf"[{_CJK}]"
    rf"|[^\W_{_CJK}]+"
    rf"(?:['’.-][^\W_{_CJK}]+)*"
)
WORDS_PER_MINUTE = 230


def word_count(text: str) -> int:
    """Words in ``text``, counted once at storage so listings never re-read a body."""
    return sum(1 for _ in _WORD_RE.finditer(text)) if text else 0


def reading_minutes(words: int | None, words_per_minute: int = WORDS_PER_MINUTE) -> int:
    """Minutes to read ``words`` words (nearest minute, at least 1); 0 when unknown."""
    if not words or words <= 0:
        return 0
    return max(1, round(words / words_per_minute))
