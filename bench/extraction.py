"""Article-extraction quality and speed: trafilatura alone against broadsheet's extract().

Data: the Zyte article-extraction benchmark (181 pages, html/<id>.html.gz and ground-truth.json),
read in place from ../shared/data/extraction relative to the repository, or --data.

Metric, as in the benchmark's evaluate.py: each text is tokenised into ``\\w+`` runs (Unicode
word characters; case kept, punctuation dropped), cut into overlapping 4-word shingles, and the
shingle multisets of prediction and truth are matched per page into TP/FP/FN counts, normalised by
the page's total so that every page weighs the same. Precision is averaged over pages with any
predicted shingle, recall over pages with any true shingle; F1 is the harmonic mean of the two
averages. A page with fewer than four tokens is one short shingle.

Usage: cd /work/main && .venv/bin/python bench/extraction.py [--data DIR] [--worst N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import trafilatura

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "extraction"

_TOKEN = re.compile(r"\w+")

Counts = tuple[float, float, float]


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    """Multiset of ``size``-token shingles; a shorter non-empty text is one shingle."""
    tokens = _TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def page_counts(truth: str, prediction: str) -> Counts:
    """TP, FP, FN of one page, normalised to sum to 1 (all zero when both texts are empty)."""
    true, pred = shingles(truth), shingles(prediction)
    tp = sum((true & pred).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def scores(counts: list[Counts]) -> dict[str, float]:
    """Macro-averaged precision and recall over pages, and their harmonic mean."""
    precision = statistics.mean(_precision(*c) for c in counts if c[0] + c[1] > 0)
    recall = statistics.mean(_recall(*c) for c in counts if c[0] + c[2] > 0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def load_pages(data: Path) -> tuple[dict[str, dict], dict[str, str]]:
    """Ground truth and page HTML (decoded as UTF-8 like the benchmark's own runners)."""
    truth_file = data / "ground-truth.json"
    if not truth_file.is_file():
        raise SystemExit(f"benchmark data not found: {truth_file} (pass --data DIR)")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    pages = {}
    for key in sorted(truth):
        with gzip.open(data / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as handle:
            pages[key] = handle.read()
    return truth, pages


def run(
    name: str, fn: Callable[[str, str], str], truth: dict[str, dict], pages: dict[str, str]
) -> tuple[dict[str, float], dict[str, Counts]]:
    """Run one extractor over every page, timing only the extraction itself."""
    outputs: dict[str, str] = {}
    start = time.perf_counter()
    for key, html in pages.items():
        outputs[key] = fn(html, truth[key].get("url", ""))
    elapsed = time.perf_counter() - start
    per_page = {key: page_counts(truth[key].get("articleBody", ""), outputs[key]) for key in truth}
    result = scores(list(per_page.values()))
    result["pages_per_s"] = len(pages) / elapsed
    result["ms_per_page"] = 1000 * elapsed / len(pages)
    return result, per_page


def trafilatura_alone(html: str, url: str) -> str:
    """The benchmark's own trafilatura runner: default settings, comments off."""
    return trafilatura.extract(html, include_comments=False) or ""


def broadsheet_extract(html: str, url: str) -> str:
    """The product's extract stage; a page it rejects counts as an empty prediction."""
    from broadsheet.ingest.extract import ExtractionError, extract

    try:
        return extract(html, url).text
    except ExtractionError:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--worst", type=int, default=0, help="list the N worst pages of extract()")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))

    truth, pages = load_pages(args.data)
    # warm both code paths (imports, compiled patterns) outside the timed loops
    first = next(iter(pages))
    trafilatura_alone(pages[first], "")
    broadsheet_extract(pages[first], truth[first]["url"])

    print(f"{len(pages)} pages from {args.data}")
    header = ("extractor", "F1", "precision", "recall", "pages/s", "ms/page")
    print("{:<22} {:>7} {:>10} {:>8} {:>9} {:>8}".format(*header))
    results = {}
    for name, fn in (("trafilatura.extract", trafilatura_alone), ("broadsheet extract()",
                                                                  broadsheet_extract)):
        result, per_page = run(name, fn, truth, pages)
        results[name] = (result, per_page)
        print(
            f"{name:<22} {result['f1']:>7.4f} {result['precision']:>10.4f} "
            f"{result['recall']:>8.4f} {result['pages_per_s']:>9.1f} {result['ms_per_page']:>8.2f}"
        )
    base, ours = results["trafilatura.extract"][0], results["broadsheet extract()"][0]
    print(f"time ratio extract()/trafilatura: {ours['ms_per_page'] / base['ms_per_page']:.2f}x")

    if args.worst:
        per_page = results["broadsheet extract()"][1]
        ranked = sorted(per_page, key=lambda k: min(_precision(*per_page[k]),
                                                     _recall(*per_page[k])))
        for key in ranked[: args.worst]:
            c = per_page[key]
            print(f"{key[:12]} P={_precision(*c):.3f} R={_recall(*c):.3f} {truth[key]['url']}")


if __name__ == "__main__":
    main()
