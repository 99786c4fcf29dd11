"""Story topics: precision, recall and speed of ``broadsheet.stories.topics.story_topics``.

Quality is measured on ``tests/fixtures/topics/labelled.jsonl``: stories written for the purpose
(split once into ``dev``, the half the method was written against, and ``holdout``, checked
afterwards) and editor's labels for the demo network's stories (``src/broadsheet/demo``). An
extracted topic matches a label when their ``topic_key``s are equal (a label may list other
accepted names, for subjects worded several ways); each label is matched at most once.
Precision and recall are micro-averaged over all topics; per kind, a match also needs the kind
to agree. Speed is measured on 5-article stories of full-length demo bodies and on the real
stories of ``../shared/data/stories/dev.jsonl`` (third-party data, read in place, never copied).

    .venv/bin/python bench/topics.py               # markdown tables
    .venv/bin/python bench/topics.py --json        # the same figures as JSON
    .venv/bin/python bench/topics.py --examples    # also 10 real stories with their topics
    .venv/bin/python bench/topics.py --misses      # what each labelled story got wrong
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from broadsheet.stories.topics import KINDS, FoundTopic, TopicDoc, story_topics, topic_key

REPO = Path(__file__).resolve().parent.parent
LABELLED = REPO / "tests" / "fixtures" / "topics" / "labelled.jsonl"
GROUPS = ("dev", "holdout", "demo")


def shared_stories() -> Path:
    """``dev.jsonl`` beside the repository, under ``$SHARED_DATA``, or in /work/shared."""
    bases = [Path(os.environ["SHARED_DATA"])] if os.environ.get("SHARED_DATA") else []
    bases += [REPO.parent / "shared" / "data", Path("/work/shared/data")]
    for base in bases:
        if (base / "stories" / "dev.jsonl").exists():
            return base / "stories" / "dev.jsonl"
    return bases[0] / "stories" / "dev.jsonl"


def demo_docs() -> dict[str, list[TopicDoc]]:
    """The demo network's articles grouped by story, as the topic stage would see them."""
    from broadsheet.demo.content import load_articles

    stories: dict[str, list[TopicDoc]] = defaultdict(list)
    for a in sorted(load_articles(), key=lambda a: a.id):
        stories[a.story].append(TopicDoc(a.headline, "\n\n".join(a.paragraphs)))
    return stories


def load_labelled(path: Path = LABELLED) -> list[dict]:
    """Labelled stories, each with ``docs`` (TopicDoc list) filled in, demo ones included."""
    demo = demo_docs()
    stories = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["source"] == "demo":
                row["docs"] = demo[row["story"]]
            else:
                lang = row.get("language", "en")
                row["docs"] = [TopicDoc(d["title"], d["text"], lang) for d in row["docs"]]
            stories.append(row)
    return stories


def match(found: list[FoundTopic], labels: list[dict]) -> list[tuple[FoundTopic, dict | None]]:
    """Each extracted topic with the label it matches (or None), one label per topic at most."""
    keys = [{topic_key(lab["name"]), *(topic_key(a) for a in lab.get("also", ()))}
            for lab in labels]
    used: set[int] = set()
    pairs = []
    for t in found:
        k = topic_key(t.name)
        hit = next((i for i, ks in enumerate(keys) if i not in used and k in ks), None)
        if hit is not None:
            used.add(hit)
        pairs.append((t, labels[hit] if hit is not None else None))
    return pairs


def score(stories: list[dict], limit: int = 8) -> dict:
    """Micro-averaged precision and recall, overall (key match) and per kind (key and kind)."""
    counts = {k: [0, 0, 0, 0] for k in ("all", *KINDS)}  # found, found ok, labels, labels ok
    kind_agree = matched = 0
    for s in stories:
        pairs = match(story_topics(s["docs"], limit), s["topics"])
        hits = [lab for _, lab in pairs if lab is not None]
        counts["all"][0] += len(pairs)
        counts["all"][1] += len(hits)
        counts["all"][2] += len(s["topics"])
        counts["all"][3] += len(hits)
        for t, lab in pairs:
            counts[t.kind][0] += 1
            if lab is not None:
                matched += 1
                same = lab["kind"] == t.kind
                kind_agree += same
                counts[t.kind][1] += same
                counts[t.kind][3] += same
        for lab in s["topics"]:
            counts[lab["kind"]][2] += 1
    out = {}
    for k, (found, ok, labels, got) in counts.items():
        out[k] = {"precision": ok / found if found else 0.0,
                  "recall": got / labels if labels else 0.0, "found": found, "labels": labels}
    out["kind_agreement"] = kind_agree / matched if matched else 0.0
    out["stories"] = len(stories)
    return out


def time_per_story(stories: list[list[TopicDoc]], rounds: int = 5) -> tuple[float, float]:
    """(first pass, best of ``rounds`` later passes): mean CPU milliseconds per story. CPU time
    of this process, so that other work on the machine does not count; the first pass includes
    filling the word and name caches, the later ones find them warm, as a long-running worker
    does for the names of the day."""
    story_topics(stories[0])  # word lists loaded
    runs = []
    for _ in range(rounds + 1):
        start = time.process_time()
        for docs in stories:
            story_topics(docs)
        runs.append((time.process_time() - start) * 1000 / len(stories))
    return runs[0], min(runs[1:])


def five_article_stories() -> list[list[TopicDoc]]:
    """Every run of five consecutive full-length demo articles (38 stories of five): the heavy
    case the ingest worker sees, each body cut to its first TEXT_CHARS characters."""
    docs = [d for _, group in sorted(demo_docs().items()) for d in group]
    return [docs[i:i + 5] for i in range(len(docs) - 4)]


def real_stories(path: Path) -> list[tuple[str, list[TopicDoc]]]:
    grouped: dict[str, list[TopicDoc]] = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            grouped[row["story"]].append(TopicDoc(row["title"] or "", row["text"] or ""))
    return sorted(grouped.items())


def quality_table(results: dict[str, dict]) -> str:
    head = "| set | stories | " + " | ".join(f"{k} P / R" for k in ("all", *KINDS))
    lines = [head + " | kind agreement |", "|" + " --- |" * (len(KINDS) + 4)]
    for name, r in results.items():
        cells = [f"{r[k]['precision']:.2f} / {r[k]['recall']:.2f}" for k in ("all", *KINDS)]
        lines.append(f"| {name} | {r['stories']} | " + " | ".join(cells)
                     + f" | {r['kind_agreement']:.2f} |")
    return "\n".join(lines)


def misses(stories: list[dict]) -> None:
    for s in stories:
        pairs = match(story_topics(s["docs"]), s["topics"])
        got = {id(lab) for _, lab in pairs if lab is not None}
        wrong = [f"{t.name} ({t.kind})" for t, lab in pairs if lab is None]
        kinds = [f"{t.name} ({t.kind}, label {lab['kind']})" for t, lab in pairs
                 if lab is not None and lab["kind"] != t.kind]
        missed = [f"{lab['name']} ({lab['kind']})" for lab in s["topics"] if id(lab) not in got]
        print(f"{s['id']} [{s['split']}]")
        for label, items in (("  extra:  ", wrong), ("  kind:   ", kinds), ("  missed: ", missed)):
            if items:
                print(label + "; ".join(items))


def examples(real: list[tuple[str, list[TopicDoc]]], n: int = 10) -> None:
    rng = random.Random(7)
    for story, docs in rng.sample(real, n):
        print(f"\n{story}")
        for d in docs:
            print(f"  - {d.title}")
        for t in story_topics(docs):
            print(f"    {t.weight:5.2f}  {t.kind:<12} {t.name}"
                  + (f"  ({', '.join(t.aliases[:3])})" if t.aliases else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--examples", action="store_true", help="show 10 real stories' topics")
    parser.add_argument("--misses", action="store_true", help="list each story's errors")
    args = parser.parse_args()

    stories = load_labelled()
    results = {g: score([s for s in stories if s["split"] == g]) for g in GROUPS}
    results["own (dev + holdout)"] = score([s for s in stories if s["source"] == "own"])
    results["all"] = score(stories)
    first, warm = time_per_story(five_article_stories())
    timing = {"ms_per_5_article_story_first": first, "ms_per_5_article_story": warm}
    path = shared_stories()
    real = real_stories(path) if path.exists() else []
    if real:
        first, warm = time_per_story([d for _, d in real], rounds=3)
        timing |= {"ms_per_real_story_first": first, "ms_per_real_story": warm,
                   "real_stories": len(real)}
        found = [story_topics(d) for _, d in real]
        timing["real_topics_per_story"] = sum(map(len, found)) / len(real)
    if args.json:
        json.dump({"quality": results, "speed": timing}, sys.stdout, indent=2)
        print()
        return
    print(quality_table(results))
    print()
    print("| CPU ms per story | first pass | warm |\n| --- | --- | --- |")
    print(f"| 5 full-length demo articles ({len(five_article_stories())} stories) "
          f"| {timing['ms_per_5_article_story_first']:.2f} "
          f"| {timing['ms_per_5_article_story']:.2f} |")
    if real:
        print(f"| dev.jsonl, 2-3 articles of ~400 characters ({timing['real_stories']} stories) "
              f"| {timing['ms_per_real_story_first']:.2f} | {timing['ms_per_real_story']:.2f} |")
        print(f"\nTopics per story on dev.jsonl: {timing['real_topics_per_story']:.2f}")
    else:
        print(f"\ndev.jsonl: not found at {path}")
    if args.misses:
        print()
        misses(stories)
    if args.examples and real:
        examples(real)


if __name__ == "__main__":
    main()
