"""Would a learned similarity between two articles, or a word-embedding model, cluster stories
better? Measured offline.

Each sample's articles become the engine's own vectors (its features, and an idf learned over
the sample), and are clustered by average link over the full similarity matrix. Pairs of dated
articles more than the engine's window apart are given the sample's lowest similarity, as the
engine never makes them candidates. The similarities compared:

- the engine's density-corrected cosine (``cos - (r_a + r_b) / 2``, r an article's mean cosine
  to its three closest), which is what the engine's refine joins on;
- the probability of a logistic regression over what a live install knows of a pair: both
  cosines, the cosine within each feature namespace (words, headline words, names, numbers,
  address words), each other's rank among the closest, a shared outlet. Whether an article is
  dated or has an address is left out: in the dev set that tells the dated crawl from the
  undated probes, which never share a story, and on a live install every article has both;
- the density-corrected cosine blended with a latent-semantic one: the sample's own vectors
  reduced to 100 dimensions by a truncated SVD (no model; words that occur together meet),
  density-corrected alike;
- with ``--embedding`` (needs ``pip install wordllama``, not a dependency of Broadsheet; see
  docs/decisions/0002): the same blended with a static word-embedding model's cosine of
  headline and lead, density-corrected alike, and the regression given the embedding's
  cosines too.

The regression is fitted on the pairs of tuning samples 100-109 with a cosine above 0.02 (the
engine's index retrieves only articles that share features) and every pair of one story; every
threshold is chosen on tuning samples 110-114, and all are scored on the report samples 0-9
(``bench/stories.py``'s protocol: the report stories are never seen before scoring).

    .venv/bin/python bench/stories_pairs.py [--embedding]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.decomposition import TruncatedSVD
from sklearn.linear_model import LogisticRegression
from stories import REPORT_SEEDS, bcubed, load, sample, split_pools

from broadsheet.stories.cluster import ClusterConfig, timestamp
from broadsheet.stories.features import extract_features
from broadsheet.stories.idf import IdfTable

NAMESPACES = "wtenu"
FIT_SEEDS = range(100, 110)
CHOOSE_SEEDS = range(110, 115)
FEATURES = ["cosine", "density-corrected", *(f"cosine {ns}:" for ns in NAMESPACES),
            "log(1 + closer rank)", "log(1 + farther rank)", "same outlet",
            "latent-semantic density-corrected"]
LATENT = len(FEATURES) - 1
LATENT_DIMENSIONS = 100
EMBEDDING_FEATURES = ["embedding cosine", "embedding density-corrected",
                      "headline embedding cosine"]
EMBEDDING_LEAD_WORDS = 60

Sample = tuple[np.ndarray, np.ndarray, list[str]]  # features, out of window, gold stories


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
        if key == "all":
            latent = TruncatedSVD(LATENT_DIMENSIONS, random_state=0).fit_transform(m)
            latent /= np.maximum(np.linalg.norm(latent, axis=1, keepdims=True), 1e-9)
            out["latent"] = latent @ latent.T
    return out


def density_corrected(cos: np.ndarray, k: int = 3) -> np.ndarray:
    """``cos`` less the mean of both articles' densities (mean cosine to their k closest)."""
    others = cos.copy()
    np.fill_diagonal(others, -1.0)
    density = -np.sort(-others, axis=1)[:, :k].mean(axis=1)
    return cos - 0.5 * (density[:, None] + density[None, :])


def pair_features(items: list[dict]) -> np.ndarray:
    """One row of ``FEATURES`` per pair of articles (i < j, scipy's condensed order)."""
    cos = cosines(items)
    n = len(items)
    whole = cos["all"].copy()
    np.fill_diagonal(whole, -1.0)
    rank = np.empty((n, n), dtype=np.int64)
    rank[np.arange(n)[:, None], np.argsort(-whole, axis=1)] = np.arange(n)[None, :]
    i, j = np.triu_indices(n, 1)
    outlets = [r["outlet"] for r in items]
    same_outlet = np.array([bool(outlets[a]) and outlets[a] == outlets[b]
                            for a, b in zip(i.tolist(), j.tolist(), strict=True)])
    columns = [cos["all"][i, j], density_corrected(cos["all"])[i, j],
               *(cos[ns][i, j] for ns in NAMESPACES),
               np.log1p(np.minimum(rank[i, j], rank[j, i])),
               np.log1p(np.maximum(rank[i, j], rank[j, i])), same_outlet,
               density_corrected(cos["latent"])[i, j]]
    return np.stack([np.asarray(c, dtype=float) for c in columns], axis=1)


def out_of_window(items: list[dict]) -> np.ndarray:
    """Pairs of dated articles further apart than the engine's window (condensed order)."""
    times = np.array([timestamp(r["date"]) or np.nan for r in items], dtype=float)
    i, j = np.triu_indices(len(items), 1)
    return np.abs(times[i] - times[j]) > ClusterConfig().window_days * 86400


def embedding_features(items: list[dict], embed: Callable[[list[str]], np.ndarray]
                       ) -> np.ndarray:
    """One row of ``EMBEDDING_FEATURES`` per pair, as ``pair_features``."""
    def cosine(texts: list[str]) -> np.ndarray:
        e = np.asarray(embed(texts), dtype=float)
        e /= np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-9)
        return e @ e.T

    lead = cosine([r["title"] + ". " + " ".join((r["text"] or "").split()[:EMBEDDING_LEAD_WORDS])
                   for r in items])
    title = cosine([r["title"] for r in items])
    i, j = np.triu_indices(len(items), 1)
    return np.stack([lead[i, j], density_corrected(lead)[i, j], title[i, j]], axis=1)


def word_embedder() -> Callable[[list[str]], np.ndarray]:
    """wordllama's default model, loaded from its own package (no download)."""
    import os

    import wordllama

    model = wordllama.WordLlama.load(cache_dir=os.path.dirname(wordllama.__file__),
                                     disable_download=True)
    return model.embed


def average_link(similarity: np.ndarray, thresholds: list[float]) -> list[np.ndarray]:
    """Labels of average-link clustering, joining while the mean similarity is at least each
    threshold (one tree, cut at each). ``similarity`` is in scipy's condensed order."""
    top = float(similarity.max()) + 1.0
    tree = linkage(top - similarity, method="average")
    return [fcluster(tree, t=top - t, criterion="distance") for t in thresholds]


def prepared(rows: list[dict], pool: list[str], seeds: range,
             embed: Callable[[list[str]], np.ndarray] | None) -> list[Sample]:
    """(features, pairs out of window, gold stories) of each sample."""
    out = []
    for seed in seeds:
        items = sample(rows, pool, seed)
        x = pair_features(items)
        if embed is not None:
            x = np.concatenate([x, embedding_features(items, embed)], axis=1)
        out.append((x, out_of_window(items), [r["story"] for r in items]))
    return out


def scores(samples: list[Sample], similarity, thresholds: list[float]) -> list[list[float]]:
    """BCubed F1 of each sample (rows) at each threshold (columns)."""
    out = []
    for x, apart, gold in samples:
        s = similarity(x)
        s = np.where(apart, s.min(), s)
        out.append([bcubed(gold, labels.tolist())[2] for labels in average_link(s, thresholds)])
    return out


def regression(fit: list[Sample], columns: list[int]) -> Callable[[np.ndarray], np.ndarray]:
    """A logistic regression's log-odds that two articles tell one story, from ``columns``."""
    x = np.concatenate([s[0] for s in fit])
    y = np.concatenate([np.array(g)[i] == np.array(g)[j] for _, _, g in fit
                        for i, j in [np.triu_indices(len(g), 1)]])
    # Only pairs the engine could meet: its index retrieves articles that share features.
    met = (x[:, 0] > 0.02) | y
    model = LogisticRegression(max_iter=5000).fit(x[met][:, columns], y[met])
    names = [*FEATURES, *EMBEDDING_FEATURES]
    print("coefficients:", {names[c]: round(w, 2) for c, w in zip(
        columns, model.coef_[0].tolist(), strict=True)}, flush=True)
    return lambda x: model.decision_function(x[:, columns])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedding", action="store_true",
                        help="also measure wordllama's word embeddings (pip install wordllama)")
    args = parser.parse_args()
    embed = word_embedder() if args.embedding else None
    rows = load()
    report_pool, tune_pool = split_pools(rows)
    fit, choose, report = (prepared(rows, pool, seeds, embed) for pool, seeds in
                           [(tune_pool, FIT_SEEDS), (tune_pool, CHOOSE_SEEDS),
                            (report_pool, REPORT_SEEDS)])
    plain = list(range(LATENT))
    odds = [-2.5, -2.0, -1.5, -1.0, -0.5]
    corrected = [-0.10, -0.08, -0.06, -0.04, -0.02]
    methods = {"density-corrected cosine (the refine's)": (lambda x: x[:, 1], corrected),
               "logistic regression over the pair's features": (regression(fit, plain), odds),
               "density-corrected cosine + 0.2 × the latent-semantic one":
                   (lambda x: (x[:, 1] + 0.2 * x[:, LATENT]) / 1.2, corrected)}
    if embed is not None:
        emb = len(FEATURES) + 1
        methods["density-corrected cosine + 0.3 × the embedding's"] = (
            lambda x: (x[:, 1] + 0.3 * x[:, emb]) / 1.3, corrected)
        methods["logistic regression, the embedding's cosines too"] = (
            regression(fit, plain + [emb - 1, emb, emb + 1]), odds)
    print("| similarity for average link | threshold (tuning) | tuning BCubed F1 "
          "| report BCubed F1 (mean ± std) |")
    print("| --- | --- | --- | --- |")
    for name, (similarity, thresholds) in methods.items():
        tuned = np.mean(scores(choose, similarity, thresholds), axis=0)
        best = int(np.argmax(tuned))
        got = [s[0] for s in scores(report, similarity, [thresholds[best]])]
        print(f"| {name} | {thresholds[best]} | {tuned[best]:.4f} | "
              f"{statistics.mean(got):.4f} ± {statistics.stdev(got):.4f} |", flush=True)


if __name__ == "__main__":
    main()
