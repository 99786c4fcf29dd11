"""Would a learned similarity between two articles cluster stories better? Measured offline.

Each sample's articles become the engine's own vectors (its features, and an idf learned over
the sample), and are clustered by average link over the full similarity matrix in three ways:

- the engine's density-corrected cosine (``cos - (r_a + r_b) / 2``, r an article's mean cosine
  to its three closest), which is what the engine's refine joins on;
- the same, less a penalty for how far down each other's neighbour lists the two are;
- the probability of a logistic regression over the pair's features: both cosines, the cosine
  within each feature namespace (words, headline words, names, numbers, address words), both
  ranks, a shared outlet, the gap in days between two dated articles.

The regression is fitted on the pairs of tuning samples 100-104 with a cosine above 0.02 (the
engine's index retrieves only articles that share features) and every pair of one story; every
threshold is chosen on tuning samples 105-109, and all are scored on the report samples 0-9
(``bench/stories.py``'s protocol: the report stories are never seen before scoring).

    .venv/bin/python bench/stories_pairs.py
"""

from __future__ import annotations

import statistics

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.linear_model import LogisticRegression
from stories import REPORT_SEEDS, bcubed, load, sample, split_pools

from broadsheet.stories.cluster import ClusterConfig, timestamp
from broadsheet.stories.features import extract_features
from broadsheet.stories.idf import IdfTable

NAMESPACES = "wtenu"
FIT_SEEDS = range(100, 105)
CHOOSE_SEEDS = range(105, 110)
FEATURES = ["cosine", "density-corrected", *(f"cosine {ns}:" for ns in NAMESPACES),
            "both have address words", "log(1 + closer rank)", "log(1 + farther rank)",
            "same outlet", "days apart / 7", "both dated"]


def cosines(items: list[dict]) -> dict[str, np.ndarray]:
    """Cosine matrices of the engine's vectors: whole ("all"), and within each namespace."""
    config = ClusterConfig()
    idf = IdfTable(config)
    counts = [extract_features(r["title"], r["text"], config.lead_words, r["url"])
              for r in items]
    for c in counts:
        idf.learn(c)
    names = idf.names()
    entries: dict[str, tuple[list, list, list]] = {k: ([], [], []) for k in ["all", *NAMESPACES]}
    for i, c in enumerate(counts):
        fids, ws = idf.vectorise(c, learn=False)
        for f, w in zip(fids.tolist(), ws.tolist(), strict=True):
            for key in ("all", names[f][0]):
                entries[key][0].append(i)
                entries[key][1].append(f)
                entries[key][2].append(w)
    out = {}
    for key, (rows, cols, vals) in entries.items():
        m = sp.csr_matrix((vals, (rows, cols)), shape=(len(items), len(idf)))
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        m = sp.diags(1 / np.where(norms > 0, norms, 1.0)) @ m
        out[key] = (m @ m.T).toarray()
    return out


def pair_features(items: list[dict]) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """One row of ``FEATURES`` per pair of articles (i < j), and the pairs."""
    cos = cosines(items)
    n = len(items)
    whole = cos["all"].copy()
    np.fill_diagonal(whole, -1.0)
    density = -np.sort(-whole, axis=1)[:, :3].mean(axis=1)
    rank = np.empty((n, n), dtype=np.int64)
    rank[np.arange(n)[:, None], np.argsort(-whole, axis=1)] = np.arange(n)[None, :]
    i, j = np.triu_indices(n, 1)
    has_url = np.diag(cos["u"]) > 0
    times = np.array([timestamp(r["date"]) or np.nan for r in items], dtype=float)
    outlets = [r["outlet"] for r in items]
    same_outlet = np.array([bool(outlets[a]) and outlets[a] == outlets[b]
                            for a, b in zip(i.tolist(), j.tolist(), strict=True)])
    days = np.abs(times[i] - times[j]) / 86400
    dated = ~np.isnan(days)
    columns = [whole[i, j], whole[i, j] - 0.5 * (density[i] + density[j]),
               *(cos[ns][i, j] for ns in NAMESPACES), has_url[i] & has_url[j],
               np.log1p(np.minimum(rank[i, j], rank[j, i])),
               np.log1p(np.maximum(rank[i, j], rank[j, i])),
               same_outlet, np.where(dated, np.minimum(days, 30) / 7, 0.0), dated]
    return np.stack([np.asarray(c, dtype=float) for c in columns], axis=1), (i, j)


def average_link(similarity: np.ndarray, thresholds: list[float]) -> list[np.ndarray]:
    """Labels of average-link clustering, joining while the mean similarity is at least each
    threshold (one tree, cut at each). ``similarity`` is in ``pair_features``' order, which is
    scipy's condensed order."""
    top = float(similarity.max()) + 1.0
    tree = linkage(top - similarity, method="average")
    return [fcluster(tree, t=top - t, criterion="distance") for t in thresholds]


def prepared(rows: list[dict], pool: list[str], seeds: range) -> list[tuple]:
    """(features, pairs, gold stories) of each sample."""
    out = []
    for seed in seeds:
        items = sample(rows, pool, seed)
        x, pairs = pair_features(items)
        out.append((x, pairs, [r["story"] for r in items]))
    return out


def scores(samples: list[tuple], similarity, thresholds: list[float]) -> list[list[float]]:
    """BCubed F1 of each sample (rows) at each threshold (columns)."""
    return [[bcubed(gold, labels.tolist())[2]
             for labels in average_link(similarity(x), thresholds)]
            for x, _, gold in samples]


def main() -> None:
    rows = load()
    report_pool, tune_pool = split_pools(rows)
    fit = prepared(rows, tune_pool, FIT_SEEDS)
    x = np.concatenate([s[0] for s in fit])
    y = np.concatenate([(np.array(g)[p[0]] == np.array(g)[p[1]]) for _, p, g in fit])
    # Only pairs the engine could meet: its index retrieves articles that share features.
    met = (x[:, 0] > 0.02) | y
    model = LogisticRegression(max_iter=5000).fit(x[met], y[met])
    print("coefficients:", {f: round(c, 2) for f, c in zip(FEATURES, model.coef_[0].tolist(),
                                                          strict=True)})
    choose = prepared(rows, tune_pool, CHOOSE_SEEDS)
    report = prepared(rows, report_pool, REPORT_SEEDS)
    methods = {
        "density-corrected cosine (the refine's)":
            (lambda x: x[:, 1], [-0.10, -0.08, -0.06, -0.04, -0.02]),
        "density-corrected cosine - 0.04 log(1 + farther rank)":
            (lambda x: x[:, 1] - 0.04 * x[:, 9], [-0.10, -0.08, -0.06, -0.04, -0.02]),
        "logistic regression over the pair's features":
            (lambda x: model.predict_proba(x)[:, 1], [0.1, 0.2, 0.3, 0.4, 0.5]),
    }
    print("| similarity | threshold (tuning) | tuning BCubed F1 | report BCubed F1 (mean ± std) |")
    print("| --- | --- | --- | --- |")
    for name, (similarity, thresholds) in methods.items():
        tuned = np.mean(scores(choose, similarity, thresholds), axis=0)
        best = int(np.argmax(tuned))
        got = [s[0] for s in scores(report, similarity, [thresholds[best]])]
        print(f"| {name} | {thresholds[best]} | {tuned[best]:.4f} | "
              f"{statistics.mean(got):.4f} ± {statistics.stdev(got):.4f} |", flush=True)


if __name__ == "__main__":
    main()
