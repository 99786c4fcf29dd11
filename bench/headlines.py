"""Story headlines: how often the chosen headline is a labelled, questioning or quoted form.

The dev stories (AllSides roundups: one event, two or three outlets) have no gold story title, so
this reports, for each way of choosing, how often the chosen headline has a form that is not a
plain statement of the event, and how much of it the story's other articles share. The checks
here are deliberately cruder than the chooser's cues, so that they do not grade it on its own
terms:

- colon or bar: any ":" or " | " in the headline;
- label: at most three words before the first ":" or "|";
- question: a "?";
- capitals: a first word of four or more letters in capitals before a colon ("OPINION:",
  "BREAKING:"), or most words in capitals (acronyms such as COVID elsewhere do not count);
- quotation: more than half of the letters between quotation marks;
- shared: share of the headline's content words found in the other articles' headlines or text.

Methods: the earliest article's headline; the previous chooser (most words shared with the other
headlines, the earliest of two); the new chooser on headlines alone (what stories load today) and
with each article's opening text as its summary.

    .venv/bin/python bench/headlines.py [--examples 15]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from types import SimpleNamespace

from broadsheet.stories.headline import content_words, representative_headline

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "stories" / "dev.jsonl"


def previous_headline(articles: list) -> str:
    """The chooser stories used before: most whitespace words shared with the other headlines."""
    sample = articles[:50]
    if len(sample) <= 2:
        return sample[0].title
    words = [set(a.title.lower().split()) for a in sample]
    frequency = Counter(word for title in words for word in title)

    def centrality(index: int) -> float:
        title = words[index]
        return sum(frequency[w] - 1 for w in title) / (len(title) or 1)

    return sample[max(range(len(sample)), key=centrality)].title


QUOTED = re.compile(r"[\"\u201c\u201d](.+?)[\"\u201c\u201d]|(?<!\w)['\u2018](.+?)['\u2019](?!\w)")


def checks(title: str) -> dict[str, bool]:
    prefix = re.split(r":|\s\|\s", title, maxsplit=1)
    letters = sum(ch.isalnum() for ch in title) or 1
    words = re.findall(r"[^\W\d_]{2,}", title)
    quoted = sum(ch.isalnum() for m in QUOTED.finditer(title) for ch in m.group(1) or m.group(2))
    found = {
        "colon or bar": ":" in title or " | " in title,
        "label": len(prefix) == 2 and 0 < len(prefix[0].split()) <= 3,
        "question": "?" in title,
        "capitals": (len(prefix) == 2 and len(prefix[0]) >= 4 and prefix[0].isupper()
                     and len(prefix[0].split()) == 1)
                    or sum(w.isupper() for w in words) > max(2, len(words) / 2),
        "quotation": quoted / letters > 0.5,
    }
    found["any"] = any(found.values())
    return found


def shared(title: str, others: list[dict]) -> float:
    words = set(content_words(title))
    elsewhere = set(content_words(" ".join(f"{o['title']} {o['text'] or ''}" for o in others)))
    return len(words & elsewhere) / len(words) if words else 0.0


def load(path: Path = DATA) -> dict[str, list[dict]]:
    stories: dict[str, list[dict]] = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                stories[row["story"]].append(row)
    return {story: rows for story, rows in sorted(stories.items()) if len(rows) >= 2}


METHODS = {
    "earliest article": lambda rows: rows[0]["title"],
    "previous chooser": lambda rows: previous_headline(
        [SimpleNamespace(title=r["title"]) for r in rows]),
    "new, headlines only": lambda rows: representative_headline(
        [SimpleNamespace(title=r["title"]) for r in rows]),
    "new, with summaries": lambda rows: representative_headline(
        [SimpleNamespace(title=r["title"], summary=r["text"] or "") for r in rows]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--examples", type=int, default=15)
    args = parser.parse_args()
    stories = load(args.data)
    chosen: dict[str, dict[str, str]] = {}
    timings: dict[str, float] = {}
    for name, method in METHODS.items():
        start = time.perf_counter()
        chosen[name] = {story: method(rows) for story, rows in stories.items()}
        timings[name] = (time.perf_counter() - start) / len(stories) * 1e6
    pool = Counter()
    for rows in stories.values():
        for row in rows:
            pool.update(k for k, v in checks(row["title"]).items() if v)
    articles = sum(len(rows) for rows in stories.values())
    columns = ["colon or bar", "label", "question", "capitals", "quotation", "any"]
    print(f"{len(stories)} stories, {articles} articles ({args.data.name})\n")
    print("| method | " + " | ".join(columns) + " | shared | µs/story |")
    print("|---" * (len(columns) + 3) + "|")
    print("| every headline | " + " | ".join(f"{100 * pool[c] / articles:.1f}%" for c in columns)
          + " | | |")
    for name in METHODS:
        counts = Counter()
        for title in chosen[name].values():
            counts.update(k for k, v in checks(title).items() if v)
        share = statistics.mean(
            shared(chosen[name][story],
                   [r for r in rows if r["title"] != chosen[name][story]] or rows[1:])
            for story, rows in stories.items())
        print(f"| {name} | " + " | ".join(f"{100 * counts[c] / len(stories):.1f}%"
                                          for c in columns)
              + f" | {share:.3f} | {timings[name]:.0f} |")
    old, new, rich = (chosen["previous chooser"], chosen["new, headlines only"],
                      chosen["new, with summaries"])
    differ = [story for story in stories if old[story] != new[story]]
    print(f"\nThe new chooser (headlines only) differs from the previous one on {len(differ)} of "
          f"{len(stories)} stories ({100 * len(differ) / len(stories):.1f}%); with summaries it "
          f"differs from headlines only on {sum(new[s] != rich[s] for s in stories)}.\n")
    if not differ or args.examples <= 0:
        return
    step = max(1, len(differ) // args.examples)
    print("| story | previous | new, headlines only | new, with summaries |")
    print("|---|---|---|---|")
    for story in differ[::step][:args.examples]:
        cells = [old[story], new[story], rich[story]]
        print(f"| {story} | " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")


if __name__ == "__main__":
    main()
