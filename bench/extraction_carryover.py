"""Extraction that carries over to publishers nobody tuned for: trimming rules and site templates
judged on held-back sites, in F1 and ROUGE-LSum.

Three reports (all by default; pick with --rules, --templates, --generated):

``--rules``: grouped K-fold cross-validation by site on the Zyte benchmark (181 pages, 126
hosts) for every trimming rule (``extract_body.TRIM_RULES``) and the split-body join. The stored
text is made once with every rule on and once with each rule off. For each fold, a rule is chosen
when switching it off loses F1 on the other folds (the training sites); its gain is then read on
the held-back fold. A rule is kept when it wins on the held-back folds: its held-back F1 gain,
summed over folds, is positive and its ROUGE-LSum gain is not negative. The procedure itself is
scored too: each fold's held-back pages are extracted again with only the rules chosen on its
training folds, and compared with trafilatura alone and with every rule on.

``--templates``: site-template learning on Zyte, each page cleaned with the template learnt from
the other pages of its site (leave one out; most sites have one page, so this mostly measures
that nothing is lost), at the product's thresholds and at the loosest (a block on one other page).

``--generated``: a multi-page corpus of generated sites (``demo.templated``, boilerplate written
as prose) and the demo network's publishers, pages arriving one by one: trafilatura alone, the
stored text, and the stored text cleaned by the template learnt from the site's earlier pages,
both as ``broadsheet extract --jsonl`` prints them (``--no-site-templates`` for the first).

Metrics: F1 of 4-token shingles as in the benchmark (``extraction.py``), and ROUGE-LSum
(``rouge.py``), both averaged over pages. Page preparation runs in ``--workers`` processes.

Usage: cd /work/main && .venv/bin/python bench/extraction_carryover.py [--folds 5] [--workers 2]
       [--data DIR] [--rules] [--templates] [--generated]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import zlib
from collections.abc import Callable, Iterable
from multiprocessing import get_context
from pathlib import Path

from extraction import (
    DEFAULT_DATA,
    REPO,
    Counts,
    load_pages,
    page_counts,
    scores,
    site,
    trafilatura_alone,
)
from rouge import rouge_lsum

sys.path.insert(0, str(REPO / "src"))

from broadsheet.ingest.extract import ExtractionError  # noqa: E402
from broadsheet.ingest.extract_body import TRIM_RULES, Options  # noqa: E402
from broadsheet.ingest.offline import extract_lines  # noqa: E402
from broadsheet.ingest.plaintext import html_to_text  # noqa: E402
from broadsheet.ingest.prepare import prepare_page  # noqa: E402
from broadsheet.ingest.templates import (  # noqa: E402
    page_fingerprints,
    repeated_blocks,
    strip_blocks,
)

SPLIT_BODY = "join split body"
Page = tuple[str, str, Options]  # html, url, options
Score = tuple[Counts, float]  # shingle counts, ROUGE-LSum F


def stored(job: Page) -> tuple[str, str]:
    """The stored text and HTML of one page; a page the product rejects is empty."""
    html, url, options = job
    try:
        article = prepare_page(html.encode("utf-8"), url, "utf-8", options)
    except (ExtractionError, ValueError):
        return "", ""
    return article.text, article.html


def _run(pool, jobs: list[Page]) -> list[tuple[str, str]]:
    return pool.map(stored, jobs, chunksize=4)


def score(truth: str, prediction: str) -> Score:
    return page_counts(truth, prediction), rouge_lsum(truth, prediction)[2]


def summary(values: Iterable[Score]) -> tuple[float, float]:
    """F1 (the benchmark's macro average) and mean ROUGE-LSum F of some pages' scores."""
    values = list(values)
    return scores([v[0] for v in values])["f1"], statistics.mean(v[1] for v in values)


def _options(skip: Iterable[str]) -> Options:
    skip = set(skip)
    return Options(chunk_paragraphs=0 if SPLIT_BODY in skip else Options().chunk_paragraphs,
                   skip_rules=frozenset(skip - {SPLIT_BODY}))


def rules_report(truth: dict, pages: dict, pool, folds: int) -> None:
    """Per-rule grouped cross-validation and the held-back score of the procedure."""
    keys = list(truth)
    fold_of = {k: zlib.crc32(site(truth[k]["url"]).encode()) % folds for k in keys}
    body = {k: truth[k].get("articleBody", "") for k in keys}
    rules = (*TRIM_RULES, SPLIT_BODY)
    per: dict[str, dict[str, Score]] = {}
    for name, skip in (("all", ()), *((r, (r,)) for r in rules)):
        texts = _run(pool, [(pages[k], truth[k]["url"], _options(skip)) for k in keys])
        per[name] = {k: score(body[k], t) for k, (t, _) in zip(keys, texts, strict=True)}
        print(f"  scored: {name}", file=sys.stderr)
    chosen: dict[int, set[str]] = {f: set() for f in range(folds)}
    print(f"\nper rule, grouped {folds}-fold cross-validation by site: gain of the rule "
          "(on - off), held-back folds")
    print(f"{'rule':<26} {'pages hit':>9} {'chosen':>7} {'F1 gain':>9} {'R-LSum gain':>12}"
          "  verdict")
    kept = []
    for rule in rules:
        hit = sum(per[rule][k] != per["all"][k] for k in keys)
        gains_f, gains_r, times = 0.0, 0.0, 0
        for fold in range(folds):
            train = [k for k in keys if fold_of[k] != fold]
            test = [k for k in keys if fold_of[k] == fold]
            on, off = summary(per["all"][k] for k in train), summary(per[rule][k] for k in train)
            if on[0] > off[0]:
                chosen[fold].add(rule)
                times += 1
            on, off = summary(per["all"][k] for k in test), summary(per[rule][k] for k in test)
            gains_f += on[0] - off[0]
            gains_r += on[1] - off[1]
        wins = gains_f > 0 and gains_r >= 0
        kept += [rule] if wins else []
        verdict = "kept" if wins else ("never fires" if not hit else "does not win")
        print(f"{rule:<26} {hit:>9} {times:>5}/{folds} {gains_f / folds:>+9.4f} "
              f"{gains_r / folds:>+12.4f}  {verdict}")
    print(f"rules that win on held-back folds: {len(kept)} of {len(rules)}")
    _procedure(truth, pages, pool, folds, fold_of, per, chosen, rules)


def _procedure(truth, pages, pool, folds, fold_of, per, chosen, rules) -> None:
    """Each held-back fold extracted with only the rules its training folds chose."""
    keys = list(truth)
    body = {k: truth[k].get("articleBody", "") for k in keys}
    base = {k: score(body[k], trafilatura_alone(pages[k], "")) for k in keys}
    print("\nheld-back folds: trafilatura alone, every rule on, rules chosen on the other folds")
    print(f"{'fold':>4} {'pages':>5} {'rules':>5} {'F1 traf':>8} {'F1 all':>7} {'F1 chosen':>9} "
          f"{'RL traf':>8} {'RL all':>7} {'RL chosen':>9}")
    rows = []
    for fold in range(folds):
        test = [k for k in keys if fold_of[k] == fold]
        skip = set(rules) - chosen[fold]
        texts = _run(pool, [(pages[k], truth[k]["url"], _options(skip)) for k in test])
        mine = {k: score(body[k], t) for k, (t, _) in zip(test, texts, strict=True)}
        row = (*summary(base[k] for k in test), *summary(per["all"][k] for k in test),
               *summary(mine.values()))
        rows.append(row)
        print(f"{fold:>4} {len(test):>5} {len(chosen[fold]):>5} {row[0]:>8.4f} {row[2]:>7.4f} "
              f"{row[4]:>9.4f} {row[1]:>8.4f} {row[3]:>7.4f} {row[5]:>9.4f}")
    for name, column in (("F1", (0, 2, 4)), ("ROUGE-LSum", (1, 3, 5))):
        means = [statistics.mean(r[c] for r in rows) for c in column]
        spread = [statistics.stdev(r[c] for r in rows) for c in column]
        print(f"{name} mean over folds (stdev): trafilatura {means[0]:.4f} ({spread[0]:.4f}), "
              f"every rule {means[1]:.4f} ({spread[1]:.4f}), chosen {means[2]:.4f} "
              f"({spread[2]:.4f}); chosen - trafilatura {100 * (means[2] - means[0]):+.2f} points")


def _loo_clean(htmls: dict[str, str], groups: dict[str, list[str]],
               rule: Callable[[dict[str, int], int], set[str]]) -> dict[str, str]:
    """Each page's text cleaned by the template learnt from the other pages of its site."""
    cleaned = {}
    for members in groups.values():
        prints = {k: page_fingerprints(htmls[k]) for k in members}
        for key in members:
            counts: dict[str, int] = {}
            for other in members:
                if other != key:
                    for fp in prints[other]:
                        counts[fp] = counts.get(fp, 0) + 1
            new = strip_blocks(htmls[key], rule(counts, len(members) - 1))
            cleaned[key] = html_to_text(new) if new != htmls[key] else ""
    return cleaned


def templates_report(truth: dict, pages: dict, pool) -> None:
    """Site templates on Zyte, leave one out within each site."""
    keys = list(truth)
    outputs = dict(zip(keys, _run(pool, [(pages[k], truth[k]["url"], Options()) for k in keys]),
                       strict=True))
    groups: dict[str, list[str]] = {}
    for k in keys:
        groups.setdefault(site(truth[k]["url"]), []).append(k)
    multi = sum(len(g) for g in groups.values() if len(g) > 1)
    print(f"\nsite templates on Zyte, leave one out: {len(groups)} sites, {multi} pages share "
          f"a site with others, largest site {max(len(g) for g in groups.values())} pages")
    body = {k: truth[k].get("articleBody", "") for k in keys}
    plain = {k: score(body[k], outputs[k][0]) for k in keys}
    print(f"{'setting':<44} {'pages changed':>13} {'F1':>7} {'R-LSum':>7}")
    print(f"{'stored text':<44} {0:>13} {summary(plain.values())[0]:>7.4f} "
          f"{summary(plain.values())[1]:>7.4f}")
    settings = {"templates, product thresholds": repeated_blocks,
                "templates, a block on 1 other page": lambda c, n: repeated_blocks(c, n, 1, 0.0)}
    htmls = {k: outputs[k][1] for k in keys}
    for name, rule in settings.items():
        cleaned = _loo_clean(htmls, groups, rule)
        changed = [k for k in keys if cleaned[k]]
        result = {k: score(body[k], cleaned[k]) if cleaned[k] else plain[k] for k in keys}
        f1, rl = summary(result.values())
        print(f"{name:<44} {len(changed):>13} {f1:>7.4f} {rl:>7.4f}")


def generated_report(workers: int, sites: int, per_site: int) -> None:
    """Site templates on generated multi-page sites and the demo network, pages in order, as
    ``broadsheet extract --jsonl`` prints them with and without its site templates."""
    from broadsheet.demo.site import Site
    from broadsheet.demo.templated import generated_site

    corpus: list[tuple[str, str, str]] = []  # url, html, truth
    for number in range(sites):
        for page in generated_site(f"Generated Post {number}", per_site, seed=number):
            corpus.append((page.url, page.html, page.text))
    demo = Site("http://127.0.0.1:9")
    for article in demo.articles:
        resource = demo.resolve(article.path)
        assert resource is not None
        corpus.append((article.url, resource.body.decode("utf-8"),
                       "\n\n".join(article.paragraphs)))
    lines = [json.dumps({"id": n, "url": url, "html": html})
             for n, (url, html, _) in enumerate(corpus)]
    rows = {"trafilatura alone": [trafilatura_alone(html, "") for _, html, _ in corpus]}
    for name, templates in [("stored text", False), ("stored text, site templates", True)]:
        out = io.StringIO()
        extract_lines(lines, out, workers, site_templates=templates)
        rows[name] = [json.loads(line)["text"] or "" for line in out.getvalue().splitlines()]
    print(f"\ngenerated corpus: {sites} generated sites x {per_site} pages and the demo "
          f"network's {len(demo.articles)} articles ({len(corpus)} pages), in order")
    print(f"{'extractor (broadsheet extract --jsonl)':<40} {'F1':>7} {'R-LSum':>7}")
    for name, texts in rows.items():
        f1, rl = summary(score(truth, text) for (_, _, truth), text in
                         zip(corpus, texts, strict=True))
        print(f"{name:<40} {f1:>7.4f} {rl:>7.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rules", action="store_true")
    parser.add_argument("--templates", action="store_true")
    parser.add_argument("--generated", action="store_true")
    parser.add_argument("--sites", type=int, default=10, help="generated sites")
    parser.add_argument("--pages", type=int, default=20, help="pages per generated site")
    args = parser.parse_args()
    every = not (args.rules or args.templates or args.generated)
    if args.generated or every:
        generated_report(args.workers, args.sites, args.pages)
    with get_context("fork").Pool(args.workers) as pool:
        if args.rules or args.templates or every:
            truth, pages = load_pages(args.data)
            if args.templates or every:
                templates_report(truth, pages, pool)
            if args.rules or every:
                rules_report(truth, pages, pool, args.folds)


if __name__ == "__main__":
    main()
