"""Story clustering quality and speed.

Quality protocol (issue 4): item-averaged BCubed F1 and pair-counting F1, compared at equal corpus
size: the mean over 10 random samples of 307 stories (about 921 articles). The dev stories are split
once, at random, into a tuning half and a report half; every threshold is chosen on samples of the
tuning half (seeds 100-119) and reported on samples of the report half (seeds 0-9), so tuning and
report never share a story. The whole dev set (8,591 articles) is reported too.

Each sample is fed as a stream: shuffled by its seed, dated articles sorted into the dated slots
(``stream_order``). The clusterer sees outlet, date, title, text and url, never ``id`` or ``story``.

    .venv/bin/python bench/stories.py                 # report: engine and baselines
    .venv/bin/python bench/stories.py --tune          # grid search on the tuning samples
    .venv/bin/python bench/stories.py --speed         # throughput at 100,000 active articles
    .venv/bin/python bench/stories.py --production    # periodic refine as deployed
    .venv/bin/python bench/stories.py --scaling       # F1 as the corpus grows, vs average link
    .venv/bin/python bench/stories.py --cross-validate  # the two halves' roles swapped too
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from broadsheet.stories.cluster import ClusterConfig, StoryClusterer, StoryDoc, timestamp
from broadsheet.stories.offline import StoryLog, stream_order

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "stories" / "dev.jsonl"
SAMPLE_STORIES = 307
REPORT_SEEDS = range(10)
TUNE_SEEDS = range(100, 120)
REFINE_EVERY = 250  # a periodic refine over the articles of the last two periods
REFINE_AT_END = 10**9  # a single refine over the whole window once the stream has been read
PRODUCTION_RECENT = 2000  # what the periodic task refines (stories.refine.RECENT_ARTICLES)
PRODUCTION_EVERY = (100, 250, 500)  # articles ingested between two periodic refines
SCALING = ((307, 10), (614, 5), (1228, 3))  # (stories per sample, samples) from the report pool
BASELINE_GRID = [round(x, 2) for x in np.arange(0.10, 0.65, 0.05)]


# --------------------------------------------------------------------------- data


def load(path: Path = DATA) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def split_pools(rows: list[dict]) -> tuple[list[str], list[str]]:
    """(report stories, tuning stories): a fixed random halving of the gold stories."""
    stories = sorted({r["story"] for r in rows})
    random.Random(20260101).shuffle(stories)
    half = len(stories) // 2
    return sorted(stories[:half]), sorted(stories[half:])


def sample(rows: list[dict], pool: list[str], seed: int, n: int = SAMPLE_STORIES) -> list[dict]:
    """The articles of ``n`` random stories of ``pool``, in stream order."""
    rng = random.Random(seed)
    chosen = set(rng.sample(pool, n))
    items = [r for r in rows if r["story"] in chosen]
    rng.shuffle(items)
    order = stream_order([timestamp(r["date"]) for r in items])
    return [items[i] for i in order]


def as_doc(r: dict) -> StoryDoc:
    # Only the fields an ingested article would have: never ``id`` semantics or ``story``.
    return StoryDoc(id=r["id"], outlet=r["outlet"], published_at=r["date"], title=r["title"],
                    text=r["text"], url=r["url"])


# ------------------------------------------------------------------------ metrics


def bcubed(gold: list[str], pred: list[str]) -> tuple[float, float, float]:
    """Item-averaged BCubed precision, recall, F1."""
    both = Counter(zip(gold, pred, strict=True))
    g, p = Counter(gold), Counter(pred)
    prec = sum(both[(a, b)] / p[b] for a, b in zip(gold, pred, strict=True)) / len(gold)
    rec = sum(both[(a, b)] / g[a] for a, b in zip(gold, pred, strict=True)) / len(gold)
    return prec, rec, 2 * prec * rec / (prec + rec)


def pair_f1(gold: list[str], pred: list[str]) -> tuple[float, float, float]:
    """Pair-counting precision, recall, F1."""
    def pairs(c: Counter) -> int:
        return sum(n * (n - 1) // 2 for n in c.values())
    tp = pairs(Counter(zip(gold, pred, strict=True)))
    pp, gp = pairs(Counter(pred)), pairs(Counter(gold))
    prec = tp / pp if pp else 1.0
    rec = tp / gp if gp else 1.0
    return prec, rec, (2 * prec * rec / (prec + rec)) if prec + rec else 0.0


# ---------------------------------------------------------------------- clusterers


def run_engine(items: list[dict], config: ClusterConfig, refine_every: int = 0,
               seed_idf: list[dict] | None = None) -> list[str]:
    """Stream ``items`` through the engine; with ``refine_every``, refine periodically.

    A refine call looks at the articles that arrived since the one before it, twice over (the
    window of a periodic task that runs every ``refine_every`` articles), and once more at
    the end of the stream.
    """
    engine = StoryClusterer(config)
    if seed_idf:
        engine.seed_frequencies((r["title"], r["text"]) for r in seed_idf)
    log = StoryLog()
    for n, r in enumerate(items, 1):
        log.story[r["id"]] = engine.assign(as_doc(r))
        if refine_every and n % refine_every == 0:
            log.apply(engine.refine(recent=2 * refine_every))
    if refine_every:
        log.apply(engine.refine(recent=2 * refine_every))
    return [log.final(r["id"]) for r in items]


def run_production(items: list[dict], config: ClusterConfig, every: int,
                   recent: int = PRODUCTION_RECENT) -> list[str]:
    """Stream ``items`` as production does: assign each, ``refine(recent)`` every ``every``.

    Mirrors the periodic task (``stories.tasks.refine_stories``: the newest 2,000 active
    articles every 15 minutes): ``every`` stands for the articles ingested per period. The
    stories are read when the stream ends, without an extra refine (any moment of a live
    install looks like this).
    """
    engine = StoryClusterer(config)
    log = StoryLog()
    for n, r in enumerate(items, 1):
        log.story[r["id"]] = engine.assign(as_doc(r))
        if n % every == 0:
            log.apply(engine.refine(recent=recent))
    return [log.final(r["id"]) for r in items]


def production(rows: list[dict], config: ClusterConfig, every: tuple[int, ...]) -> None:
    """Periodic refine as deployed, against online-only, on the report samples."""
    report_pool, _ = split_pools(rows)
    report = [sample(rows, report_pool, s) for s in REPORT_SEEDS]
    print("| mode | BCubed F1 (mean ± std) | BCubed P | BCubed R | pair F1 |")
    print("| --- | --- | --- | --- | --- |")
    m = evaluate(report, lambda items: run_engine(items, config))
    print(fmt(f"online only (threshold {config.threshold})", m), flush=True)
    for n in every:
        m = evaluate(report, lambda items, n=n: run_production(items, config, n))
        print(fmt(f"online + refine(recent={PRODUCTION_RECENT}) every {n} articles", m),
              flush=True)
    m = evaluate(report, lambda items: run_engine(items, config, refine_every=REFINE_AT_END))
    print(fmt("online + one refine at the end", m), flush=True)


def _tfidf(items: list[dict]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [f"{r['title'] or ''}. {r['text'] or ''}" for r in items]
    return TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)


def run_single_pass(items: list[dict], threshold: float) -> list[str]:
    """Baseline: TF-IDF single-pass online clustering against cluster centroids."""
    x = _tfidf(items).toarray()
    sums = np.zeros_like(x)  # row k: sum of cluster k's vectors
    norms = np.zeros(len(x))
    n = 0
    labels = []
    for v in x:
        if n:
            sims = sums[:n] @ v / norms[:n]
            k = int(sims.argmax())
            if sims[k] >= threshold:
                sums[k] += v
                norms[k] = np.linalg.norm(sums[k])
                labels.append(str(k))
                continue
        sums[n] = v
        norms[n] = np.linalg.norm(v) or 1.0
        labels.append(str(n))
        n += 1
    return labels


def run_average_link(items: list[dict], threshold: float) -> list[str]:
    """Baseline: TF-IDF average-link agglomerative clustering (offline, cosine).

    Clusters are merged while their average similarity is at least ``threshold``.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    x = _tfidf(items)  # rows are unit length
    distance = 1.0 - (x @ x.T).toarray()
    np.fill_diagonal(distance, 0.0)
    np.clip(distance, 0.0, None, out=distance)
    tree = linkage(squareform(distance, checks=False), method="average")
    return [str(v) for v in fcluster(tree, t=1.0 - threshold, criterion="distance")]


# ---------------------------------------------------------------------- evaluation


def evaluate(samples: list[list[dict]], fn) -> dict[str, float]:
    b, p = [], []
    for items in samples:
        pred = fn(items)
        gold = [r["story"] for r in items]
        b.append(bcubed(gold, pred))
        p.append(pair_f1(gold, pred))
    f1 = [x[2] for x in b]
    return {
        "bcubed_p": statistics.mean(x[0] for x in b),
        "bcubed_r": statistics.mean(x[1] for x in b),
        "bcubed_f1": statistics.mean(f1),
        "bcubed_f1_std": statistics.stdev(f1) if len(f1) > 1 else 0.0,
        "bcubed_f1_each": f1,
        "pair_f1": statistics.mean(x[2] for x in p),
    }


def best_threshold(samples, make_fn, grid) -> tuple[float, float]:
    scored = [(evaluate(samples, make_fn(t))["bcubed_f1"], t) for t in grid]
    f1, t = max(scored)
    return t, f1


def fmt(name: str, m: dict[str, float]) -> str:
    return (f"| {name} | {m['bcubed_f1']:.4f} ± {m['bcubed_f1_std']:.4f} | {m['bcubed_p']:.4f} | "
            f"{m['bcubed_r']:.4f} | {m['pair_f1']:.4f} |")


# ------------------------------------------------------------------------- tuning

GRID = {
    "threshold": [0.10, 0.12, 0.14],
    "merge_threshold": [-0.06, -0.05, -0.04],
}


def tune(rows, tune_pool, base: ClusterConfig, grid: dict = GRID) -> ClusterConfig:
    samples = [sample(rows, tune_pool, s) for s in TUNE_SEEDS]
    keys = list(grid)
    results = []
    for values in itertools.product(*(grid[k] for k in keys)):
        cfg = replace(base, **dict(zip(keys, values, strict=True)))
        m = evaluate(samples, lambda items, cfg=cfg: run_engine(items, cfg, REFINE_AT_END))
        results.append((m["bcubed_f1"], values))
        print(f"{m['bcubed_f1']:.4f} {dict(zip(keys, values, strict=True))}", flush=True)
    results.sort(reverse=True)
    best = dict(zip(keys, results[0][1], strict=True))
    print("best on tuning samples:", f"{results[0][0]:.4f}", best)
    return replace(base, **best)


def cross_validate(rows: list[dict], base: ClusterConfig) -> None:
    """Two-fold cross-validation over the halves of the gold stories: the thresholds (``GRID``)
    chosen on one half's samples (seeds 100-119), scored on ten samples of the other (seeds
    0-9), both ways round; every other setting is the default."""
    report_pool, tune_pool = split_pools(rows)
    folds = {"tuning half -> report half": (tune_pool, report_pool),
             "report half -> tuning half": (report_pool, tune_pool)}
    scores = []
    print("| chosen on -> scored on | threshold | merge threshold | BCubed F1 (mean ± std) "
          "| BCubed P | BCubed R | pair F1 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, (chosen_on, scored_on) in folds.items():
        config = tune(rows, chosen_on, base)
        samples = [sample(rows, scored_on, s) for s in REPORT_SEEDS]
        m = evaluate(samples, lambda items, config=config:
                     run_engine(items, config, refine_every=REFINE_AT_END))
        scores += m["bcubed_f1_each"]
        print(fmt(f"{name} | {config.threshold} | {config.merge_threshold}", m), flush=True)
    print(f"both folds, {len(scores)} samples: BCubed F1 {statistics.mean(scores):.4f} ± "
          f"{statistics.stdev(scores):.4f}")


def whole_dev(rows: list[dict]) -> list[dict]:
    """Every dev article as one stream (shuffled with seed 0, dated ones in time order)."""
    items = list(rows)
    random.Random(0).shuffle(items)
    return [items[i] for i in stream_order([timestamp(r["date"]) for r in items])]


def scaling(rows: list[dict], config: ClusterConfig) -> None:
    """F1 as the corpus grows: the engine against TF-IDF average link at the same sizes.

    Both keep the settings chosen at 307 stories (the baseline's threshold on the tuning
    samples), so the table shows how each holds up on a larger corpus than it was tuned on.
    """
    report_pool, tune_pool = split_pools(rows)
    tuning = [sample(rows, tune_pool, s) for s in TUNE_SEEDS]
    t, _ = best_threshold(tuning, lambda t: lambda items: run_average_link(items, t),
                          BASELINE_GRID)
    print(f"average-link threshold {t} (chosen on {len(tuning)} tuning samples of "
          f"{SAMPLE_STORIES} stories)\n")
    print("| stories | articles | samples | engine BCubed F1 | average link BCubed F1 |")
    print("| --- | --- | --- | --- | --- |")
    sizes = [(n, [sample(rows, report_pool, s, n) for s in range(k)]) for n, k in SCALING]
    sizes.append((len({r["story"] for r in rows}), [whole_dev(rows)]))
    for n, samples in sizes:
        engine = evaluate(samples, lambda items: run_engine(items, config, REFINE_AT_END))
        base = evaluate(samples, lambda items: run_average_link(items, t))
        articles = statistics.mean(len(s) for s in samples)
        print(f"| {n} | {articles:.0f} | {len(samples)} | {engine['bcubed_f1']:.4f} | "
              f"{base['bcubed_f1']:.4f} |", flush=True)
    dated_stream(rows, config, t)


def dated_stream(rows: list[dict], config: ClusterConfig, baseline_threshold: float) -> None:
    """The dated articles (six months of roundups) as one stream in publication order.

    The closest thing in the dev set to a live install: the 7-day window moves through the
    stream and articles leave it, so only the periodic refine (as deployed) sees each week's
    articles together; average link clusters the whole set at once, offline.
    """
    items = whole_dev([r for r in rows if r["date"]])
    gold = [r["story"] for r in items]
    print(f"\ndated articles as one stream ({len(items)} articles, {len(set(gold))} stories)\n")
    print("| mode | BCubed F1 | BCubed P | BCubed R | pair F1 |")
    print("| --- | --- | --- | --- | --- |")
    runs = [("online only", lambda: run_engine(items, config))]
    runs += [(f"online + refine({PRODUCTION_RECENT}) every {n} articles",
              lambda n=n: run_production(items, config, n)) for n in (25, 100)]
    runs.append((f"TF-IDF average link, offline (threshold {baseline_threshold})",
                 lambda: run_average_link(items, baseline_threshold)))
    for name, run in runs:
        pred = run()
        b, p = bcubed(gold, pred), pair_f1(gold, pred)
        print(f"| {name} | {b[2]:.4f} | {b[0]:.4f} | {b[1]:.4f} | {p[2]:.4f} |", flush=True)


# -------------------------------------------------------------------------- speed


def speed_stream(rows: list[dict], total: int, window_days: float = 7.0):
    """The speed stream's articles, as ``StoryDoc`` fields (``total`` spread over the window).

    The dev texts are replicated with fresh ids and dates spread over the window (so that every
    replica is in the window), and a few words of each replica are altered so that copies are
    not identical. The clock moves forward throughout, so articles also expire as in real life.
    """
    rng = random.Random(7)
    per_second = total / (window_days * 86400)
    k = 0
    while True:
        for r in rows:
            words = (r["text"] or "").split()
            if len(words) > 8:
                for _ in range(3):
                    words[rng.randrange(len(words))] = f"w{rng.randrange(100000)}"
            t = 1_700_000_000 + k / per_second
            yield {"id": f"x{k}", "outlet": r["outlet"], "title": r["title"],
                   "text": " ".join(words), "url": r.get("url"),
                   "published_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))}
            k += 1


def speed(rows: list[dict], active: int = 100_000, measured: int = 20_000) -> None:
    """Assign the speed stream (``speed_stream``) once the active window holds ``active``
    articles. ``bench/stories_versions.py`` compares versions of the engine on it side by side."""
    window_days = 7.0
    total = active + measured
    docs = [StoryDoc(**d) for d in itertools.islice(speed_stream(rows, total, window_days), total)]
    engine = StoryClusterer(ClusterConfig(window_days=window_days))
    t0 = time.perf_counter()
    for d in docs[:active]:
        engine.assign(d)
    t1 = time.perf_counter()
    print(f"warm-up: {active} articles in {t1 - t0:.1f}s ({active / (t1 - t0):.0f}/s)")
    print(f"active articles before measuring: {engine.active_articles}")
    t1 = time.perf_counter()
    for d in docs[active:]:
        engine.assign(d)
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"measured: {measured} articles in {t2 - t1:.1f}s = {measured / (t2 - t1):.0f} "
          f"articles/s with {engine.active_articles} active articles; peak RSS {rss:.0f} MB "
          f"(the synthetic stream's texts included)")
    t3 = time.perf_counter()
    change = engine.refine(recent=2000)
    print(f"refine over the newest 2,000 articles: {time.perf_counter() - t3:.1f}s, "
          f"{len(change.moved)} articles moved, {len(change.absorbed)} stories absorbed")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tune", action="store_true", help="grid-search the engine on tuning samples")
    ap.add_argument("--speed", action="store_true", help="throughput at 100k active articles")
    ap.add_argument("--production", action="store_true",
                    help="periodic refine as deployed (every N articles) vs online only")
    ap.add_argument("--scaling", action="store_true",
                    help="F1 at growing corpus sizes, engine vs average link")
    ap.add_argument("--cross-validate", action="store_true",
                    help="thresholds chosen on each half of the stories, scored on the other")
    ap.add_argument("--no-baselines", action="store_true")
    ap.add_argument("--no-whole", action="store_true", help="skip the whole-dev figure")
    args = ap.parse_args(argv)
    rows = load()
    if args.speed:
        speed(rows)
        return 0
    if args.production:
        production(rows, ClusterConfig(), PRODUCTION_EVERY)
        return 0
    if args.scaling:
        scaling(rows, ClusterConfig())
        return 0
    if args.cross_validate:
        cross_validate(rows, ClusterConfig())
        return 0
    report_pool, tune_pool = split_pools(rows)
    config = ClusterConfig()
    if args.tune:
        config = tune(rows, tune_pool, config)
    report = [sample(rows, report_pool, s) for s in REPORT_SEEDS]
    tuning = [sample(rows, tune_pool, s) for s in TUNE_SEEDS]
    n_articles = statistics.mean(len(s) for s in report)
    print(f"{len(report)} report samples of {SAMPLE_STORIES} stories "
          f"(mean {n_articles:.0f} articles); thresholds from {len(tuning)} tuning samples\n")
    print("| method | BCubed F1 (mean ± std) | BCubed P | BCubed R | pair F1 |")
    print("| --- | --- | --- | --- | --- |")
    t0 = time.perf_counter()
    m = evaluate(report, lambda items: run_engine(items, config, refine_every=REFINE_AT_END))
    elapsed = time.perf_counter() - t0
    print(fmt("engine: online + one refine at the end", m), flush=True)
    m = evaluate(report, lambda items: run_engine(items, config, refine_every=REFINE_EVERY))
    print(fmt(f"engine: online + refine every {REFINE_EVERY} articles", m), flush=True)
    m = evaluate(report, lambda items: run_engine(items, config))
    print(fmt(f"engine: online only (threshold {config.threshold})", m), flush=True)
    if not args.no_baselines:
        grid = BASELINE_GRID
        t, _ = best_threshold(tuning, lambda t: lambda items: run_single_pass(items, t), grid)
        m = evaluate(report, lambda items: run_single_pass(items, t))
        print(fmt(f"TF-IDF single-pass (threshold {t})", m), flush=True)
        t, _ = best_threshold(tuning, lambda t: lambda items: run_average_link(items, t), grid)
        m = evaluate(report, lambda items: run_average_link(items, t))
        print(fmt(f"TF-IDF average-link (threshold {t})", m), flush=True)
    print(f"\nengine time: {elapsed / len(report):.2f}s per sample", flush=True)
    if not args.no_whole:
        items = whole_dev(rows)
        gold = [r["story"] for r in items]
        pred = run_engine(items, config, refine_every=REFINE_AT_END)
        b, p = bcubed(gold, pred), pair_f1(gold, pred)
        print(f"whole dev ({len(items)} articles, {len(set(gold))} stories, online + one "
              f"refine at the end): engine BCubed F1 "
              f"{b[2]:.4f} (P {b[0]:.4f}, R {b[1]:.4f}), pair F1 {p[2]:.4f}, "
              f"{len(set(pred))} predicted stories")
    return 0


if __name__ == "__main__":
    sys.exit(main())
