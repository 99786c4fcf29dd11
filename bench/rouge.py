"""ROUGE-LSum: summary-level longest-common-subsequence overlap between two texts, line by line.

Each text is cut into lines (the reference's and the prediction's paragraphs; blank lines
dropped), each line into lower-cased ``\\w+`` tokens. For every reference line, the longest common
subsequence with each predicted line is found, and the union of the reference tokens that any of
them uses is the line's hits; as in the reference implementation (Lin 2004, and Google's
``rouge_score``), a token counts as a hit only while both texts still have an unused occurrence of
it, so repeating a line never gains anything. Recall is hits over reference tokens, precision hits
over predicted tokens, F the harmonic mean.

The dynamic programme runs one reference line against all predicted lines at once with numpy
(a running maximum that restarts at each predicted line), then walks back through each predicted
line's table to find which reference tokens the subsequence used.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

_TOKEN = re.compile(r"\w+")


def _lines(text: str) -> list[list[str]]:
    """The text's non-empty lines as lists of lower-cased tokens."""
    lines = (_TOKEN.findall(line.lower()) for line in (text or "").splitlines())
    return [line for line in lines if line]


def _table(ref: np.ndarray, cand: np.ndarray, seg: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """LCS lengths of each prefix of ``ref`` with each prefix of each predicted line:
    row i, column j is the LCS of ref[:i] with cand[start of j's line : j + 1]."""
    offset = seg.astype(np.int64) * (len(ref) + 1)
    rows = np.zeros((len(ref) + 1, len(cand)), dtype=np.int64)
    for i, token in enumerate(ref, start=1):
        previous = rows[i - 1]
        diagonal = np.empty_like(previous)
        diagonal[0] = 0
        diagonal[1:] = previous[:-1]
        diagonal[starts] = 0
        best = np.maximum(previous, np.where(cand == token, diagonal + 1, 0))
        rows[i] = np.maximum.accumulate(best + offset) - offset
    return rows


def _used(rows: np.ndarray, ref: np.ndarray, cand: np.ndarray, start: int, end: int) -> set[int]:
    """Positions in ``ref`` of one longest common subsequence with ``cand[start:end]``."""
    used: set[int] = set()
    i, j = len(ref), end - 1
    while i > 0 and j >= start:
        left = rows[i][j - 1] if j > start else 0
        diagonal = rows[i - 1][j - 1] if j > start else 0
        if cand[j] == ref[i - 1] and diagonal + 1 == rows[i][j]:
            used.add(i - 1)
            i, j = i - 1, j - 1
        elif rows[i - 1][j] >= left:
            i -= 1
        else:
            j -= 1
    return used


def rouge_lsum(reference: str, prediction: str) -> tuple[float, float, float]:
    """Precision, recall and F of ``prediction`` against ``reference`` (all 1.0 when both are
    empty, all 0.0 when only one is)."""
    ref_lines, cand_lines = _lines(reference), _lines(prediction)
    if not ref_lines or not cand_lines:
        both_empty = not ref_lines and not cand_lines
        return (1.0, 1.0, 1.0) if both_empty else (0.0, 0.0, 0.0)
    vocabulary: dict[str, int] = {}
    ids = [[vocabulary.setdefault(t, len(vocabulary)) for t in line] for line in cand_lines]
    cand = np.array([t for line in ids for t in line], dtype=np.int64)
    lengths = np.array([len(line) for line in ids])
    ends = np.cumsum(lengths)
    starts = ends - lengths
    seg = np.repeat(np.arange(len(ids)), lengths)
    ref_left = Counter(t for line in ref_lines for t in line)
    cand_left = Counter(t for line in cand_lines for t in line)
    hits = 0
    for line in ref_lines:
        ref = np.array([vocabulary.get(t, -1) for t in line], dtype=np.int64)
        rows = _table(ref, cand, seg, starts)
        union: set[int] = set()
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            if rows[len(ref)][end - 1] > 0:
                union |= _used(rows, ref, cand, start, end)
        for position in sorted(union):
            token = line[position]
            if ref_left[token] > 0 and cand_left[token] > 0:
                hits += 1
                ref_left[token] -= 1
                cand_left[token] -= 1
    recall = hits / sum(len(line) for line in ref_lines)
    precision = hits / len(cand)
    f = 2 * precision * recall / (precision + recall) if hits else 0.0
    return precision, recall, f
