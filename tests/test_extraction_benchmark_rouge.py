"""The extraction benchmark's ROUGE-LSum (bench/rouge.py) against hand-worked cases and a plain
dynamic-programming version of the same definition."""

from __future__ import annotations

import random
import sys
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from rouge import rouge_lsum  # noqa: E402


def slow_rouge_lsum(reference: str, prediction: str) -> tuple[float, float, float]:
    """The definition, written the long way: an LCS table per pair of lines."""
    ref = [line.lower().split() for line in reference.splitlines() if line.split()]
    cand = [line.lower().split() for line in prediction.splitlines() if line.split()]
    ref_left = Counter(t for line in ref for t in line)
    cand_left = Counter(t for line in cand for t in line)
    hits = 0
    for line in ref:
        union: set[int] = set()
        for other in cand:
            table = [[0] * (len(other) + 1) for _ in range(len(line) + 1)]
            for i, a in enumerate(line):
                for j, b in enumerate(other):
                    table[i + 1][j + 1] = (table[i][j] + 1 if a == b
                                           else max(table[i][j + 1], table[i + 1][j]))
            i, j = len(line), len(other)
            while i and j:
                if line[i - 1] == other[j - 1]:
                    union.add(i - 1)
                    i, j = i - 1, j - 1
                elif table[i - 1][j] >= table[i][j - 1]:
                    i -= 1
                else:
                    j -= 1
        for position in sorted(union):
            token = line[position]
            if ref_left[token] and cand_left[token]:
                hits += 1
                ref_left[token] -= 1
                cand_left[token] -= 1
    recall = hits / sum(map(len, ref))
    precision = hits / sum(map(len, cand))
    return precision, recall, (2 * precision * recall / (precision + recall) if hits else 0.0)


@pytest.mark.parametrize("reference,prediction,expected", [
    ("police killed the gunman", "police kill the gunman", (0.75, 0.75, 0.75)),
    ("a b\nc d", "c d a b", (1.0, 1.0, 1.0)),  # summary level: lines in any order
    ("a b", "a b\na b", (0.5, 1.0, 2 / 3)),  # repeating a line gains nothing
    ("a b c d", "", (0.0, 0.0, 0.0)),
    ("", "", (1.0, 1.0, 1.0)),
    ("The Cat", "the cat.", (1.0, 1.0, 1.0)),
])
def test_hand_worked_cases(reference, prediction, expected):
    assert rouge_lsum(reference, prediction) == pytest.approx(expected)


def test_agrees_with_the_definition_on_random_texts():
    rng = random.Random(7)
    words = ["a", "b", "c", "d", "e", "f", "g"]

    def text() -> str:
        return "\n".join(" ".join(rng.choice(words) for _ in range(rng.randint(1, 9)))
                         for _ in range(rng.randint(1, 5)))

    for _ in range(200):
        reference, prediction = text(), text()
        assert rouge_lsum(reference, prediction) == pytest.approx(
            slow_rouge_lsum(reference, prediction))
