"""Article-extraction quality and speed: trafilatura alone against the text broadsheet stores.

Data: the Zyte article-extraction benchmark (181 pages, html/<id>.html.gz and ground-truth.json),
read in place from ../shared/data/extraction relative to the repository, or --data.

"broadsheet stored text" is what the pipeline stores, indexes and serves as an article's ``text``
(``prepare_page``: extract, sanitise, canonicalise; ``broadsheet extract --jsonl`` prints the same);
"broadsheet extract()" is the extract stage alone.

``--folds K`` scores by grouped cross-validation by site: the sites (host names) are dealt into K
folds; for each fold, the setting of extraction's one tuned rule (how many paragraphs of prose
make a chunk of a split article body, 0 for off) is chosen on the other folds and scored on the
held-back one. It prints each fold's choice and score, and the spread of the default settings
over the same folds.

Metric, as in the benchmark's evaluate.py: each text is tokenised into ``\\w+`` runs (Unicode
word characters; case kept, punctuation dropped), cut into overlapping 4-word shingles, and the
shingle multisets of prediction and truth are matched per page into TP/FP/FN counts, normalised by
the page's total so that every page weighs the same. Precision is averaged over pages with any
predicted shingle, recall over pages with any true shingle; F1 is the harmonic mean of the two
averages. A page with fewer than four tokens is one short shingle.

Usage: cd /work/main && .venv/bin/python bench/extraction.py [--data DIR] [--worst N] [--folds K]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

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


def run_interleaved(
    extractors: dict[str, Callable[[str, str], str]],
    truth: dict[str, dict],
    pages: dict[str, str],
    repeat: int = 1,
) -> dict[str, tuple[dict[str, float], dict[str, Counts]]]:
    """Run every extractor on each page in turn, timing only the extraction calls.

    Interleaving page by page keeps the comparison fair on a machine whose load changes while
    the benchmark runs: every extractor sees the same conditions.
    """
    outputs: dict[str, dict[str, str]] = {name: {} for name in extractors}
    elapsed = dict.fromkeys(extractors, 0.0)
    for _ in range(repeat):
        for key, html in pages.items():
            url = truth[key].get("url", "")
            for name, fn in extractors.items():
                start = time.perf_counter()
                outputs[name][key] = fn(html, url)
                elapsed[name] += time.perf_counter() - start
    results = {}
    for name in extractors:
        per_page = {
            key: page_counts(truth[key].get("articleBody", ""), outputs[name][key]) for key in truth
        }
        result = scores(list(per_page.values()))
        seconds = elapsed[name] / repeat
        result["pages_per_s"] = len(pages) / seconds
        result["ms_per_page"] = 1000 * seconds / len(pages)
        results[name] = (result, per_page)
    return results


def trafilatura_alone(html: str, url: str) -> str:
    """The benchmark's own trafilatura runner: default settings, comments off."""
    return trafilatura.extract(html, include_comments=False) or ""


def broadsheet_extract(html: str, url: str, options: object = None) -> str:
    """The product's extract stage; a page it rejects counts as an empty prediction."""
    from broadsheet.ingest.extract import ExtractionError, extract

    try:
        if options is None:
            return extract(html, url).text
        return extract(html, url, options).text  # type: ignore[arg-type]
    except ExtractionError:
        return ""


def broadsheet_stored(html: str, url: str, options: object = None) -> str:
    """The text the pipeline stores for the page; a page it rejects is an empty prediction."""
    from broadsheet.ingest.extract import ExtractionError
    from broadsheet.ingest.extract_body import DEFAULT_OPTIONS
    from broadsheet.ingest.prepare import prepare_page

    try:
        return prepare_page(html.encode("utf-8"), url, "utf-8", options or DEFAULT_OPTIONS).text
    except (ExtractionError, ValueError):
        return ""


CHUNK_SETTINGS = (0, 1, 2, 3)


def site(url: str) -> str:
    """The site a page belongs to: its host name without ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def cross_validate(truth: dict[str, dict], pages: dict[str, str], folds: int) -> None:
    """Grouped cross-validation by site of the split-body rule (module docstring)."""
    from broadsheet.ingest.extract_body import Options

    fold_of = {key: zlib.crc32(site(truth[key]["url"]).encode()) % folds for key in truth}
    counts: dict[int, dict[str, Counts]] = {}
    for setting in CHUNK_SETTINGS:
        options = Options(chunk_paragraphs=setting)
        counts[setting] = {
            key: page_counts(
                truth[key].get("articleBody", ""),
                broadsheet_stored(pages[key], truth[key]["url"], options),
            )
            for key in truth
        }
    default = Options().chunk_paragraphs
    sites = len({site(t["url"]) for t in truth.values()})
    print(f"\ngrouped {folds}-fold cross-validation by site ({sites} sites)")
    columns = ("fold", "pages", "chosen", "train F1", "held-back F1", "default F1")
    print("{:>4} {:>5} {:>6} {:>9} {:>13} {:>11}".format(*columns))
    held, fixed = [], []
    for fold in range(folds):
        train = [k for k in truth if fold_of[k] != fold]
        test = [k for k in truth if fold_of[k] == fold]
        if not test:
            continue
        best = max(
            CHUNK_SETTINGS,
            key=lambda s: (scores([counts[s][k] for k in train])["f1"], s == default),
        )
        train_f1 = scores([counts[best][k] for k in train])["f1"]
        test_f1 = scores([counts[best][k] for k in test])["f1"]
        default_f1 = scores([counts[default][k] for k in test])["f1"]
        held.append(test_f1)
        fixed.append(default_f1)
        row = (fold, len(test), best, train_f1, test_f1, default_f1)
        print("{:>4} {:>5} {:>6} {:>9.4f} {:>13.4f} {:>11.4f}".format(*row))
    for name, values in (("held-back", held), ("default", fixed)):
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        print(
            f"{name} F1 over folds: mean {statistics.mean(values):.4f}, "
            f"min {min(values):.4f}, max {max(values):.4f}, stdev {spread:.4f}"
        )


def variants() -> dict[str, Callable[[str, str], str]]:
    """The settings compared while building extract(): trafilatura focus, trimming, images."""
    from broadsheet.ingest.extract_body import Options

    table = {
        "balanced, no trim, no images": Options(favor_recall=False, trim=False, keep_images=False),
        "balanced, trim, no images": Options(favor_recall=False, keep_images=False),
        "balanced, trim, images": Options(favor_recall=False),
        "favor_precision, trim, images": Options(favor_recall=False, favor_precision=True),
        "fast (no fallbacks), trim, images": Options(favor_recall=False, fast=True),
        "favor_recall, no trim, no images": Options(trim=False, keep_images=False),
        "favor_recall, trim, no images": Options(keep_images=False),
        "favor_recall, no trim, images": Options(trim=False),
        "favor_recall, trim, images (default)": Options(),
    }
    return {
        name: (lambda html, url, o=options: broadsheet_extract(html, url, o))
        for name, options in table.items()
    }


def _row(name: str, result: dict[str, float]) -> str:
    return (
        f"{name:<38} {result['f1']:>7.4f} {result['precision']:>10.4f} "
        f"{result['recall']:>8.4f} {result['pages_per_s']:>9.1f} {result['ms_per_page']:>8.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=1, help="passes over the pages (timing)")
    parser.add_argument(
        "--worst", type=int, default=0, help="list the N worst pages of the stored text"
    )
    parser.add_argument(
        "--variants", action="store_true", help="also score the settings extract() was chosen from"
    )
    parser.add_argument(
        "--folds", type=int, default=0, help="also score by grouped K-fold cross-validation by site"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "src"))

    truth, pages = load_pages(args.data)
    # warm both code paths (imports, compiled patterns) outside the timed loops
    first = next(iter(pages))
    trafilatura_alone(pages[first], "")
    broadsheet_extract(pages[first], truth[first]["url"])
    broadsheet_stored(pages[first], truth[first]["url"])

    print(f"{len(pages)} pages from {args.data}; {args.repeat} pass(es), interleaved per page")
    header = ("extractor", "F1", "precision", "recall", "pages/s", "ms/page")
    print("{:<38} {:>7} {:>10} {:>8} {:>9} {:>8}".format(*header))
    main_pair = {
        "trafilatura.extract": trafilatura_alone,
        "broadsheet extract()": broadsheet_extract,
        "broadsheet stored text": broadsheet_stored,
    }
    results = run_interleaved(main_pair, truth, pages, args.repeat)
    for name, (result, _) in results.items():
        print(_row(name, result))
    base, ours = results["trafilatura.extract"][0], results["broadsheet extract()"][0]
    ratio = ours["ms_per_page"] / base["ms_per_page"]
    print(f"time ratio extract()/trafilatura.extract: {ratio:.2f}x")

    if args.variants:
        print("\nsettings of extract() (one interleaved run; times comparable within it):")
        table = {"trafilatura.extract": trafilatura_alone, **variants()}
        for name, (result, _) in run_interleaved(table, truth, pages, 1).items():
            print(_row(name, result))

    if args.folds:
        cross_validate(truth, pages, args.folds)

    if args.worst:
        per_page = results["broadsheet stored text"][1]
        ranked = sorted(
            per_page, key=lambda k: min(_precision(*per_page[k]), _recall(*per_page[k]))
        )
        for key in ranked[: args.worst]:
            c = per_page[key]
            print(f"{key[:12]} P={_precision(*c):.3f} R={_recall(*c):.3f} {truth[key]['url']}")


if __name__ == "__main__":
    main()
