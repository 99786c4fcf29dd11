"""For you, evaluated offline: simulated readers with hidden interests, against three baselines.

    .venv/bin/python bench/for_you.py                       # both worlds, 5 seeds: 7-8 minutes
    .venv/bin/python bench/for_you.py --world devset --variant PER_KIND_IN_FIRST=10
    # options: --world {devset,demo,both}  --seeds N  --readers N (25)  --days N (7 evaluated)
    #          --warm-up N (3)  --history N (3)  --stories N (800 dev set stories per world)
    #          --variant NAME=VALUE[,...] (a fifth policy: For you with constants of
    #          curation.foryou, or candidates.X / interests.X, changed)  --json FILE

The defaults are sized to finish within ten minutes on two cores: 25 readers and 800 of the
dev set's 2,876 stories per seed (building the world through the cluster stage is most of the
time); more readers narrow the spread, more stories make the days denser.

Why a simulation: there are no real readers' logs to replay, so the question it can answer is
narrower than "do readers like For you": *under a stated model of reading, does the ranker find
what a reader is interested in, from the reader's events alone, better than rankings that ignore
the reader?*

The world. Each seed builds a fresh scratch SQLite store (``BROADSHEET_HOME`` in a temporary
folder, never the configured one) and grows it day by day through the product's own path:
articles stored by ``articles.store.upsert_article``, stories assigned (``assign_pending``) and
refined (``refine_recent``) by the clustering engine, which also tags topics, Top stories ranked
(``rank_stories``) and For you's shared pool refreshed (``refresh_pool``) at the simulated time.

- ``devset``: the story-clustering dev set (``../shared/data/stories/dev.jsonl``, read in place),
  ``--stories`` gold stories drawn by the seed. It has no sections and most articles no outlet,
  so the bench gives them: each gold story is filed under one of the seven main sections by
  keywords in its headlines and texts (``SECTION_WORDS``; Politics when nothing else is clear),
  and an article without an outlet gets one of the named outlets, drawn by their frequency, one
  outlet per article of a story. URLs are opaque hashes (the gold ids never reach the product).
- ``demo``: the demo network's articles (``broadsheet.demo.content``: five publishers, seven
  sections, 29 stories), each story moved to a random day, its articles keeping their spacing.

Each story starts at a random moment of the ``--history + --warm-up + --days`` simulated days;
its articles follow within hours. Each day's articles are stored at once; the readers' sessions
happen at the end of the day (the simulated ``now`` every product call is given).

The readers. At the end of the history days each reader signs up with hidden interests: 1-3
topics (drawn among the topics that so far appear in at least two stories' first three topics,
with probability proportional to the square root of that count) and 1-2 of the sections that
have stories (likewise), with weights drawn from a flat Dirichlet (they sum to 1). Each reader
follows their heaviest hidden section at sign-up with probability 0.5 (a ``Follow`` row). A
story's hidden relevance to a reader, ``rel`` in [0, 1], is the sum of the weights of the
reader's topics among the story's first three topics (what its card shows) and of its section.
The ranker never sees these interests: only the ``Follow`` rows and the reads the reader reports.

The behaviour model, each simulated day:

1. From the first evaluated day on, the reader is shown the policy's top ten. The item at
   position i is looked at with probability 1/log2(i + 1) and then read with probability
   0.05 + 0.75 rel (a story already read is skipped). A read from For you also gives the click
   nudge the article page gives (``interests.learn`` with ``CLICK_WEIGHT``).
2. The reader then reads on their own (from section and topic pages): a Poisson number (mean
   1.5) of the day's new stories, drawn without replacement with probability proportional to
   rel (only stories with rel > 0), and with probability 0.3 one of the ten Top stories
   whatever its relevance (the big news of the day).
3. Each read is reported through ``curation.reading.report_read`` (the ledger and the learning
   path of the app's beacon) with 15 + 165 rel seconds (times a uniform 0.6-1.4) and
   ``finished`` with probability 0.2 + 0.7 rel.

During the warm-up days readers only read on their own, so a reader arrives at the evaluation
with a few days of signal (cold start is part of the warm-up, not of the scores).

The policies, each with its own copy of every reader (its own reads, produced by its own lists;
the organic choices use common random numbers, so copies differ only through their lists):

- **For you**: ``curation.foryou.for_you(user, 10, now)``, with the product's defaults.
- **Popularity**: Top stories order (``Story.score`` from ``rank_stories``, at most three of a
  section among the first ten, as ``top_stories`` does), stories already read left out.
- **Recency**: the newest stories (their latest article), read ones left out.
- **Follows only**: the newest stories of the followed section, read ones left out, filled with
  the newest when fewer than ten (a reader who follows nothing gets recency).

Leaving read stories out of the baselines makes them stronger than the product's own Top
stories box; it keeps the comparison about ranking, not about remembering reads.

Metrics, over the evaluated reader-days that have at least one unread story with rel > 0 among
the candidates (every story of the last three days, For you's window):

- nDCG@10, with gain rel (0 for a story already read) and the ideal ten from all candidates;
- hit rate@10: the model's probability that the reader reads at least one relevant (rel > 0)
  item of the ten, 1 - prod(1 - p_i), rather than one draw of it;
- catalogue coverage: the share of the candidate stories of the evaluated days that the policy
  showed to at least one reader;
- diversity: 1 - the mean pairwise Jaccard similarity of the ten items' features (section and
  first three topics), and the number of distinct sections among the ten.

Seeds vary the world (the stories drawn and their days), the readers and their behaviour; the
tables give the mean and the sample standard deviation over seeds. Each seed runs in its own
process (one at a time) so each world has its own store.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.config.settings")

K = 10
START = datetime(2026, 1, 5, tzinfo=UTC)  # the first simulated day; any past date will do
WINDOW = timedelta(days=3)  # candidates: stories with an article this recent (For you's POOL_DAYS)
POLICIES = ("for_you", "popularity", "recency", "follows")
LEARNING = ("for_you", "variant")  # policies that are the product, with accounts that learn
LABELS = {"for_you": "For you", "popularity": "Popularity (Top stories)",
          "recency": "Recency", "follows": "Follows only", "variant": "For you, changed"}
MODULES = {"foryou": "broadsheet.curation.foryou", "candidates": "broadsheet.curation.candidates",
           "interests": "broadsheet.curation.interests"}

# The behaviour model (see the module docstring).
TOPICS_PER_READER = (1, 3)
SECTIONS_PER_READER = (1, 2)
CARD_TOPICS = 3  # a card shows its story's first three topics: what relevance is judged on
MIN_TOPIC_STORIES = 2
FOLLOW_SHARE = 0.5
READ_BASE, READ_GAIN = 0.05, 0.75
ORGANIC_PER_DAY = 1.5
TOP_STORY_READ = 0.3

SECTION_WORDS = {
    "World": "afghanistan afghan taliban kabul china chinese beijing russia russian putin moscow "
             "ukraine ukrainian israel israeli gaza palestinian palestinians iran iranian korea "
             "korean syria syrian mexico mexican europe european eu britain british france "
             "french germany german india japan canada brazil venezuela cuba cuban haiti saudi "
             "yemen iraq nato u.n. g7 g20 hong kong taiwan pope vatican foreign myanmar australia",
    "Business": "economy economic inflation jobs unemployment stock stocks market markets wall "
                "street fed reserve bank banks trade tariff tariffs company companies ceo prices "
                "wages wage gdp recession investors billion businesses business oil gas tax taxes",
    "Technology": "facebook twitter google apple amazon tech technology internet cyber "
                  "cyberattack hack hacked hackers ransomware tiktok microsoft zuckerberg musk "
                  "tesla ai algorithm online platform platforms app apps",
    "Science": "covid covid-19 coronavirus vaccine vaccines vaccinated vaccination pandemic virus "
               "cdc fda fauci health climate scientists science nasa space hurricane wildfire "
               "wildfires disease masks mask omicron delta variant hospitals emissions warming",
    "Sport": "nfl nba mlb nhl olympics olympic football baseball basketball soccer athlete "
             "athletes sports sport coach league tennis golf espn",
    "Culture": "hollywood film movie movies music celebrity oscars book books art artist netflix "
               "disney actor actress singer television tv comedian museum",
}
SECTION_MIN_HITS = 3  # fewer keyword hits than this for every section: Politics
WORD = re.compile(r"[a-z0-9][a-z0-9.\-]*[a-z0-9]|[a-z0-9]")


# --- the worlds -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One article to store; ``gold`` and ``key`` stay in the bench, never reach the product."""

    key: str
    gold: str
    outlet: str
    section: str
    title: str
    paragraphs: tuple[str, ...]
    summary: str
    language: str
    offset_hours: float  # after its story's start


def shared_stories() -> Path:
    """``dev.jsonl`` beside the repository, under ``$SHARED_DATA``, or in /work/shared."""
    bases = [Path(os.environ["SHARED_DATA"])] if os.environ.get("SHARED_DATA") else []
    bases += [ROOT.parent / "shared" / "data", Path("/work/shared/data")]
    for base in bases:
        if (base / "stories" / "dev.jsonl").exists():
            return base / "stories" / "dev.jsonl"
    raise SystemExit("for_you.py: ../shared/data/stories/dev.jsonl not found (set SHARED_DATA)")


def section_for(texts: list[str]) -> str:
    """The section a newsroom would file a dev-set story under, by keywords (stated rule)."""
    words = Counter(w for text in texts for w in WORD.findall(text.lower()))
    hits = {section: sum(words[w] for w in vocabulary.split())
            for section, vocabulary in SECTION_WORDS.items()}
    best = max(hits, key=lambda s: (hits[s], s))
    return best if hits[best] >= SECTION_MIN_HITS else "Politics"


def devset_items(rng: random.Random, stories: int) -> list[Item]:
    """``stories`` random gold stories of the dev set, with sections and outlets given."""
    with open(shared_stories(), encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    by_story: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_story[row["story"]].append(row)
    outlets = Counter(r["outlet"] for r in rows if r["outlet"])
    names, weights = list(outlets), list(outlets.values())
    chosen = sorted(by_story)
    rng.shuffle(chosen)
    items = []
    for gold in chosen[:stories]:
        articles = by_story[gold]
        section = section_for([f"{a['title'] or ''} {a['text'] or ''}" for a in articles])
        used = {a["outlet"] for a in articles if a["outlet"]}
        for a in articles:
            outlet = a["outlet"]
            while not outlet or (outlet in used and not a["outlet"]):
                outlet = rng.choices(names, weights)[0]
            used.add(outlet)
            text = a["text"] or a["title"] or ""
            items.append(Item(a["id"], gold, outlet, section, a["title"] or text[:80], (text,),
                              text[:280], "en", rng.uniform(0, 8)))
    return items


def demo_items(rng: random.Random) -> list[Item]:
    """The demo network's articles; a story's articles keep their spacing in time."""
    from broadsheet.demo.content import load_articles, publisher_style

    articles = load_articles()
    oldest: dict[str, float] = defaultdict(float)
    for a in articles:
        oldest[a.story] = max(oldest[a.story], a.hours)
    return [Item(a.id, a.story, publisher_style(a.publisher).name, a.section, a.headline,
                 a.paragraphs, a.summary, publisher_style(a.publisher).language,
                 oldest[a.story] - a.hours) for a in articles]


def lay_out(items: list[Item], days: int, rng: random.Random) -> list[tuple[datetime, Item]]:
    """Each story starts at a random moment of the simulated days; articles past the end drop."""
    starts = {gold: START + timedelta(days=rng.uniform(0, days))
              for gold in sorted({i.gold for i in items})}
    end = START + timedelta(days=days)
    placed = [(starts[i.gold] + timedelta(hours=i.offset_hours), i) for i in items]
    return sorted(((at, i) for at, i in placed if at < end), key=lambda p: (p[0], p[1].key))


# --- the simulated readers --------------------------------------------------------------------

@dataclass
class Reader:
    index: int
    topics: dict[str, float]  # hidden: topic slug -> weight
    sections: dict[str, float]  # hidden: section slug -> weight
    follows: str | None  # a section slug followed at sign-up
    users: dict[str, Any] = field(default_factory=dict)  # the accounts For you's copies read as
    # Each policy's copy of the reader: the articles it read, and the stories they are in now
    # (a refinement may move an article to another story, as For you sees it too).
    read_articles: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    read: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def rel(self, candidate) -> float:
        found = sum(self.topics.get(slug, 0.0) for slug, _ in candidate.topics[:CARD_TOPICS])
        if candidate.section:
            found += self.sections.get(candidate.section[0], 0.0)
        return min(1.0, found)


def draw_weighted(rng: random.Random, counts: dict[str, int], n: int) -> list[str]:
    """``n`` distinct keys, each drawn with probability proportional to sqrt(count)."""
    keys = sorted(counts)
    chosen: list[str] = []
    while keys and len(chosen) < n:
        pick = rng.choices(keys, [math.sqrt(counts[k]) for k in keys])[0]
        chosen.append(pick)
        keys.remove(pick)
    return chosen


def sign_up(rng: random.Random, count: int, universe: dict[int, Any], seed: int,
            accounts: tuple[str, ...]) -> list[Reader]:
    """Readers with hidden interests drawn from the world so far, and their accounts."""
    from broadsheet.curation.models import Section
    from broadsheet.readers.models import Follow, User

    topic_counts: Counter = Counter()
    section_counts: Counter = Counter()
    for c in universe.values():
        topic_counts.update(slug for slug, _ in c.topics[:CARD_TOPICS])
        if c.section:
            section_counts[c.section[0]] += 1
    topics = {k: n for k, n in topic_counts.items() if n >= MIN_TOPIC_STORIES}
    sections = {s.slug: s for s in Section.objects.all()}
    readers = []
    for index in range(count):
        chosen_topics = draw_weighted(rng, topics, rng.randint(*TOPICS_PER_READER))
        chosen_sections = draw_weighted(rng, dict(section_counts),
                                        rng.randint(*SECTIONS_PER_READER))
        raw = [rng.expovariate(1.0) for _ in chosen_topics + chosen_sections]  # flat Dirichlet
        weights = [w / sum(raw) for w in raw]
        reader = Reader(index, dict(zip(chosen_topics, weights[:len(chosen_topics)], strict=True)),
                        dict(zip(chosen_sections, weights[len(chosen_topics):], strict=True)),
                        None)
        for policy in accounts:
            reader.users[policy] = User.objects.create_user(
                f"sim-{policy}-{seed}-{index}@example.org", None)
        if reader.sections and rng.random() < FOLLOW_SHARE:
            reader.follows = max(reader.sections, key=reader.sections.get)
            for user in reader.users.values():
                Follow.objects.create(user=user, kind=Follow.Kind.SECTION,
                                      section=sections[reader.follows])
        readers.append(reader)
    return readers


# --- the policies -----------------------------------------------------------------------------

def newest_first(universe: dict[int, Any]) -> list[int]:
    return sorted(universe, key=lambda s: (-universe[s].published_at.timestamp(), -s))


def top_order(universe: dict[int, Any]) -> list[int]:
    """Top stories order: by score, at most three of a section among the first ten."""
    ranked = sorted((s for s in universe if universe[s].score > 0),
                    key=lambda s: (-universe[s].score, -universe[s].published_at.timestamp(), -s))
    first, later, per = [], [], Counter()
    for s in ranked:
        section = universe[s].section[0] if universe[s].section else None
        if len(first) < K and (section is None or per[section] < 3):
            first.append(s)
            per[section] += 1
        else:
            later.append(s)
    return first + later + [s for s in newest_first(universe) if universe[s].score <= 0]


def unread(order: list[int], read: set[int], limit: int = K) -> list[int]:
    return [s for s in order if s not in read][:limit]


def follows_only(reader: Reader, universe: dict[int, Any], newest: list[int]) -> list[int]:
    mine = [s for s in newest if reader.follows and universe[s].section
            and universe[s].section[0] == reader.follows]
    chosen = unread(mine, reader.read["follows"])
    return chosen + unread([s for s in newest if s not in chosen], reader.read["follows"],
                           K - len(chosen))


# --- the metrics ------------------------------------------------------------------------------

def examine(position: int) -> float:
    """Position bias: the chance that the item at ``position`` (0 first) is looked at."""
    return 1.0 / math.log2(position + 2)


def read_chance(position: int, rel: float) -> float:
    return examine(position) * (READ_BASE + READ_GAIN * rel)


def features(candidate) -> set[tuple[str, str]]:
    found = {("topic", slug) for slug, _ in candidate.topics[:CARD_TOPICS]}
    if candidate.section:
        found.add(("section", candidate.section[0]))
    return found


def diversity(cands: list) -> float | None:
    """1 - mean pairwise Jaccard similarity of the items' sections and card topics."""
    sets = [features(c) for c in cands]
    pairs = [(a, b) for i, a in enumerate(sets) for b in sets[i + 1:]]
    if not pairs:
        return None
    return 1.0 - statistics.fmean(len(a & b) / len(a | b) if a | b else 1.0 for a, b in pairs)


@dataclass
class Scores:
    ndcg: list[float] = field(default_factory=list)
    hit: list[float] = field(default_factory=list)
    ild: list[float] = field(default_factory=list)
    sections: list[float] = field(default_factory=list)
    shown: set[int] = field(default_factory=set)
    by_day: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_follow: dict[bool, list[float]] = field(default_factory=lambda: defaultdict(list))


def score_list(scores: Scores, reader: Reader, policy: str, shown: list[int],
               universe: dict[int, Any], extra: dict[int, Any], day: int) -> None:
    """Score one list; ``extra`` holds stories For you found beyond the candidates."""
    read = reader.read[policy]
    ideal = sorted((reader.rel(c) for s, c in universe.items() if s not in read), reverse=True)
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal[:K]) if g > 0)
    cands = [universe[s] if s in universe else extra[s] for s in shown]
    scores.shown.update(shown)
    ild = diversity(cands)
    if ild is not None:
        scores.ild.append(ild)
    scores.sections.append(len({c.section[0] for c in cands if c.section}))
    if idcg <= 0:
        return
    gains = [0.0 if s in read else reader.rel(c) for s, c in zip(shown, cands, strict=True)]
    ndcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains)) / idcg
    miss = math.prod(1 - read_chance(i, g) for i, g in enumerate(gains) if g > 0)
    scores.ndcg.append(ndcg)
    scores.hit.append(1 - miss)
    scores.by_day[day].append(ndcg)
    scores.by_follow[reader.follows is not None].append(ndcg)


# --- one world, one seed (a child process with its own store) ----------------------------------

class Simulation:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.seed = args.seed
        self.rng = random.Random(f"world:{args.world}:{args.seed}")
        self.days = args.history + args.warm_up + args.days
        self.variant = parse_variant(args.variant)
        self.policies = POLICIES + (("variant",) if self.variant else ())
        self.accounts = tuple(p for p in self.policies if p in LEARNING)
        self.scores = {p: Scores() for p in self.policies}
        self.catalogue: set[int] = set()
        self.universe_sizes: list[int] = []
        self.relevant_per_day: list[int] = []
        self.for_you_ms: list[float] = []
        self.read_ms: list[float] = []
        self.reads = Counter()
        self.timing = Counter()
        self.extra: dict[int, Any] = {}  # stories For you showed beyond the day's candidates

    def run(self) -> dict:
        from django.core.management import call_command

        began = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        items = (devset_items(self.rng, self.args.stories) if self.args.world == "devset"
                 else demo_items(self.rng))
        placed = lay_out(items, self.days, self.rng)
        publishers = self.publishers({i.outlet for _, i in placed})
        readers: list[Reader] = []
        self.timing["setup"] = time.monotonic() - began
        cursor = 0
        for day in range(self.days):
            now = START + timedelta(days=day + 1)
            t0 = time.monotonic()
            batch = []
            while cursor < len(placed) and placed[cursor][0] < now:
                batch.append(placed[cursor])
                cursor += 1
            universe = self.grow(batch, publishers, now)
            self.timing["world"] += time.monotonic() - t0
            t0 = time.monotonic()
            if day == self.args.history - 1:
                readers = sign_up(random.Random(f"readers:{self.seed}"), self.args.readers,
                                  universe, self.seed, self.accounts)
            if day >= self.args.history:
                evaluated = day - self.args.history - self.args.warm_up
                if evaluated >= 0:
                    self.catalogue.update(universe)
                    self.universe_sizes.append(len(universe))
                self.extra = {}
                refresh_reads(readers)
                for reader in readers:
                    self.session(reader, universe, now, day, evaluated)
            self.timing["readers"] += time.monotonic() - t0
        return self.summary(placed, readers, time.monotonic() - began)

    def publishers(self, names: set[str]) -> dict[str, int]:
        from django.utils.text import slugify

        from broadsheet.sources.models import Publisher

        slugs: set[str] = set()
        rows = []
        for name in sorted(names):
            slug = base = slugify(name)[:180] or "outlet"
            while slug in slugs:
                slug = f"{base}-{len(slugs)}"
            slugs.add(slug)
            rows.append(Publisher(name=name, slug=slug))
        Publisher.objects.bulk_create(rows)
        return dict(Publisher.objects.values_list("name", "id"))

    def grow(self, batch: list[tuple[datetime, Item]], publishers: dict[str, int],
             now: datetime) -> dict[int, Any]:
        """Store the day's articles and run the cluster stage, ranking and For you's pool."""
        from broadsheet.articles.store import upsert_article
        from broadsheet.curation.candidates import describe, refresh_pool
        from broadsheet.ingest.record import ArticleRecord
        from broadsheet.stories.assign import assign_pending
        from broadsheet.stories.models import Story
        from broadsheet.stories.ranking import rank_stories
        from broadsheet.stories.refine import refine_recent

        for at, item in batch:
            digest = hashlib.sha1(f"{self.seed}:{item.key}".encode()).hexdigest()[:16]
            url = f"https://{publishers[item.outlet]}.news.example/{digest}"
            body = "\n\n".join(item.paragraphs)
            upsert_article(ArticleRecord(
                publisher_id=publishers[item.outlet], source_id=None, url=url, canonical_url=url,
                guid=url, title=item.title, published_at=at, section=item.section,
                language=item.language, summary=item.summary, text=body,
                html="".join(f"<p>{html.escape(p)}</p>" for p in item.paragraphs),
                word_count=len(body.split())))
        assign_pending()
        refine_recent()
        rank_stories(now)
        refresh_pool(now)
        ids = set(Story.objects.filter(hidden_at__isnull=True, merged_into__isnull=True,
                                       last_published_at__gte=now - WINDOW,
                                       last_published_at__lte=now).values_list("pk", flat=True))
        return {c.story_id: c for c in describe(ids)}

    def session(self, reader: Reader, universe: dict[int, Any], now: datetime, day: int,
                evaluated: int) -> None:
        """One reader's day, for every policy's copy of the reader."""
        crn = random.Random(f"day:{self.seed}:{reader.index}:{day}")
        keys = {s: crn.random() for s in sorted(universe)}
        organic = _poisson(crn, ORGANIC_PER_DAY)
        top_pick = crn.randrange(K) if crn.random() < TOP_STORY_READ else None
        top = top_order(universe)[:K]
        newest = newest_first(universe)
        fresh = [s for s in universe if universe[s].published_at > now - timedelta(days=1)]
        for policy in self.policies:
            rng = random.Random(f"clicks:{self.seed}:{reader.index}:{day}:{policy}")
            clicks = 0
            if evaluated >= 0:
                shown, articles = self.shown(policy, reader, universe, now, top, newest)
                score_list(self.scores[policy], reader, policy, shown, universe, self.extra,
                           evaluated)
                for position, story in enumerate(shown):
                    if story in reader.read[policy]:
                        continue
                    card = universe[story] if story in universe else self.extra[story]
                    if rng.random() < read_chance(position, reader.rel(card)):
                        self.read(reader, policy, story, articles[story], card, now, clicks,
                                  from_list=True)
                        clicks += 1
            wanted = [s for s in fresh if s not in reader.read[policy] and
                      reader.rel(universe[s]) > 0]
            # Weighted sampling without replacement with shared keys (Efraimidis-Spirakis).
            wanted.sort(key=lambda s: -keys[s] ** (1.0 / reader.rel(universe[s])))
            chosen = wanted[:organic]
            if top_pick is not None and top_pick < len(top) and top[top_pick] not in chosen \
                    and top[top_pick] not in reader.read[policy]:
                chosen.append(top[top_pick])
            for story in chosen:
                self.read(reader, policy, story, universe[story].article_id, universe[story],
                          now, clicks, from_list=False)
                clicks += 1

    def shown(self, policy: str, reader: Reader, universe: dict[int, Any], now: datetime,
              top: list[int], newest: list[int]) -> tuple[list[int], dict[int, int]]:
        """The policy's ten: story ids, and the article each card opens."""
        from broadsheet.curation.candidates import describe
        from broadsheet.curation.foryou import for_you

        if policy in LEARNING:
            t0 = time.perf_counter()
            with patched(self.variant if policy == "variant" else {}):
                items = for_you(reader.users[policy], K, now)
            if policy == "for_you":
                self.for_you_ms.append((time.perf_counter() - t0) * 1000)
            stories = [i.article.story_id for i in items if i.article.story_id]
            missing = {s for s in stories if s not in universe and s not in self.extra}
            for c in describe(missing):  # a story For you found beyond the window: scored too
                self.extra[c.story_id] = c
            articles = {i.article.story_id: i.article.pk for i in items}
            return [s for s in stories if s in universe or s in self.extra], articles
        read = reader.read[policy]
        if policy == "popularity":
            chosen = unread(top_order(universe), read)
        elif policy == "recency":
            chosen = unread(newest, read)
        else:
            chosen = follows_only(reader, universe, newest)
        return chosen, {s: universe[s].article_id for s in chosen}

    def read(self, reader: Reader, policy: str, story: int, article: int, card: Any,
             now: datetime, order: int, from_list: bool) -> None:
        """The reader reads a story; For you's copy reports it as the app does."""
        from broadsheet.articles.models import Article
        from broadsheet.curation import interests
        from broadsheet.curation.reading import report_read

        reader.read[policy].add(story)
        reader.read_articles[policy].add(article)
        self.reads[(policy, "list" if from_list else "own")] += 1
        if policy not in LEARNING:
            return
        rel = reader.rel(card)
        rng = random.Random(f"read:{self.seed}:{reader.index}:{story}")
        seconds = int((15 + 165 * rel) * rng.uniform(0.6, 1.4))
        finished = rng.random() < 0.2 + 0.7 * rel
        at = now + timedelta(minutes=2 * order + 1)
        t0 = time.perf_counter()
        user = reader.users[policy]
        with patched(self.variant if policy == "variant" else {}):
            if from_list:  # the article page's nudge for a click from For you, at simulated time
                interests.learn(user, Article.objects.select_related("publisher", "story")
                                .get(pk=article), interests.CLICK_WEIGHT, at, counted=False)
            report_read(user, article, seconds, finished, now=at)
        if policy == "for_you":
            self.read_ms.append((time.perf_counter() - t0) * 1000)

    def summary(self, placed: list, readers: list[Reader], seconds: float) -> dict:
        from broadsheet.articles.models import Article
        from broadsheet.stories.models import Story, Topic

        out: dict[str, Any] = {
            "world": self.args.world, "seed": self.seed, "seconds": round(seconds, 1),
            "timing": {k: round(v, 1) for k, v in self.timing.items()},
            "articles": Article.objects.count(), "placed": len(placed),
            "gold_stories": len({i.gold for _, i in placed}),
            "stories": Story.objects.filter(merged_into__isnull=True).count(),
            "topics": Topic.objects.count(), "readers": len(readers),
            "followers": sum(r.follows is not None for r in readers),
            "candidates_per_day": statistics.fmean(self.universe_sizes or [0]),
            "for_you_ms": statistics.fmean(self.for_you_ms or [0]),
            "read_ms": statistics.fmean(self.read_ms or [0]),
            "reads": {f"{p}/{w}": n for (p, w), n in sorted(self.reads.items())},
            "policies": {},
        }
        for policy, s in self.scores.items():
            out["policies"][policy] = {
                "ndcg": statistics.fmean(s.ndcg) if s.ndcg else 0.0,
                "hit": statistics.fmean(s.hit) if s.hit else 0.0,
                "coverage": len(s.shown & self.catalogue) / len(self.catalogue)
                if self.catalogue else 0.0,
                "diversity": statistics.fmean(s.ild) if s.ild else 0.0,
                "sections": statistics.fmean(s.sections) if s.sections else 0.0,
                "reader_days": len(s.ndcg),
                "by_day": {d: statistics.fmean(v) for d, v in sorted(s.by_day.items())},
                "followers": statistics.fmean(s.by_follow[True]) if s.by_follow[True] else None,
                "others": statistics.fmean(s.by_follow[False]) if s.by_follow[False] else None,
            }
        return out


def parse_variant(spec: str) -> dict[tuple[str, str], Any]:
    """``"PER_KIND_IN_FIRST=10,interests.HALF_LIFE_DAYS=7"``: settings of a fifth policy."""
    import ast

    found: dict[tuple[str, str], Any] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, value = part.partition("=")
        module, _, constant = name.rpartition(".")
        found[(MODULES[module or "foryou"], constant)] = ast.literal_eval(value)
    return found


@contextmanager
def patched(settings: dict[tuple[str, str], Any]) -> Iterator[None]:
    """The product's module constants set to ``settings`` for the duration (one thread)."""
    import importlib

    saved = []
    for (module, name), value in settings.items():
        target = importlib.import_module(module)
        saved.append((target, name, getattr(target, name)))
        setattr(target, name, value)
    try:
        yield
    finally:
        for target, name, value in reversed(saved):
            setattr(target, name, value)


def refresh_reads(readers: list[Reader]) -> None:
    """Each copy's read stories, from its read articles' stories as they stand today."""
    from broadsheet.articles.models import Article

    wanted = sorted({a for r in readers for got in r.read_articles.values() for a in got})
    story_of: dict[int, int | None] = {}
    for start in range(0, len(wanted), 900):
        story_of.update(Article.objects.filter(pk__in=wanted[start:start + 900])
                        .values_list("pk", "story_id"))
    for r in readers:
        for p, got in r.read_articles.items():
            r.read[p] = {story_of[a] for a in got if story_of.get(a)}


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def child(args: argparse.Namespace) -> int:
    import django

    django.setup()
    print(json.dumps(Simulation(args).run()))
    return 0


# --- the parent: one process per world and seed, then the tables ------------------------------

def run_seed(world: str, seed: int, args: argparse.Namespace) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"for-you-{world}-{seed}-"))
    env = {**os.environ, "BROADSHEET_HOME": str(home), "DATABASE_URL": "", "REDIS_URL": ""}
    command = [sys.executable, __file__, "--child", "--world", world, "--seed", str(seed),
               "--readers", str(args.readers), "--days", str(args.days),
               "--warm-up", str(args.warm_up), "--history", str(args.history),
               "--stories", str(args.stories), "--variant", args.variant]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
        if done.returncode:
            raise SystemExit(f"for_you.py: {world} seed {seed} failed:\n{done.stderr[-4000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(home, ignore_errors=True)


def spread(values: list[float], digits: int = 3) -> str:
    if len(values) < 2:
        return f"{values[0]:.{digits}f}" if values else "n/a"
    return f"{statistics.fmean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def table(runs: list[dict]) -> str:
    policies = list(runs[0]["policies"])
    lines = ["| policy | nDCG@10 | hit rate@10 | catalogue coverage | diversity (1 - sim) "
             "| sections in ten |", "| --- | --- | --- | --- | --- | --- |"]
    for policy in policies:
        got = [r["policies"][policy] for r in runs]
        cells = [spread([g[m] for g in got]) for m in ("ndcg", "hit", "coverage", "diversity")]
        cells.append(spread([g["sections"] for g in got], 1))
        lines.append(f"| {LABELS[policy]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def detail_table(runs: list[dict], days: int) -> str:
    marks = sorted({0, 1, days // 2, days - 1} - {-1})
    head = " | ".join(f"day {d + 1}" for d in marks)
    lines = [f"| policy | nDCG@10 {head} | readers who follow a section | readers who do not |",
             "| --- |" + " --- |" * (len(marks) + 2)]
    for policy in runs[0]["policies"]:
        got = [r["policies"][policy] for r in runs]
        cells = [spread([g["by_day"][str(d)] for g in got if str(d) in g["by_day"]])
                 for d in marks]
        cells += [spread([g[k] for g in got if g[k] is not None]) for k in ("followers",
                                                                            "others")]
        lines.append(f"| {LABELS[policy]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def describe_runs(world: str, runs: list[dict], args: argparse.Namespace) -> str:
    def mean(key: str) -> float:
        return statistics.fmean(r[key] for r in runs)

    reader_days = statistics.fmean(r["policies"]["for_you"]["reader_days"] for r in runs)
    return (f"{world}: {len(runs)} seeds ({', '.join(str(r['seed']) for r in runs)}); per seed "
            f"{mean('articles'):,.0f} articles stored, {mean('stories'):,.0f} stories "
            f"({mean('gold_stories'):,.0f} gold), {mean('topics'):,.0f} topics, "
            f"{mean('candidates_per_day'):,.0f} candidate stories a day; {args.readers} readers "
            f"({mean('followers'):.0f} following a section), {args.history} history + "
            f"{args.warm_up} warm-up + {args.days} evaluated days, {reader_days:,.0f} scored "
            f"reader-days per policy; For you {mean('for_you_ms'):.0f} ms a call, a reported "
            f"read {mean('read_ms'):.0f} ms; {mean('seconds'):.0f} s per seed")


def commit() -> str:
    def git(*words: str) -> str:
        done = subprocess.run(["git", *words], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return (git("rev-parse", "--short", "HEAD") or "unknown") + (
        " with local changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", choices=("devset", "demo", "both"), default="both")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="first seed (or the child's seed)")
    parser.add_argument("--readers", type=int, default=25, help="simulated readers per seed")
    parser.add_argument("--days", type=int, default=7, help="evaluated days")
    parser.add_argument("--warm-up", type=int, default=3, help="days of organic reading first")
    parser.add_argument("--history", type=int, default=3,
                        help="days of news before the readers sign up")
    parser.add_argument("--stories", type=int, default=800,
                        help="dev set gold stories per world (of 2,876)")
    parser.add_argument("--variant", default="",
                        help="also run For you with these constants changed, e.g. "
                             "PER_KIND_IN_FIRST=10 or interests.HALF_LIFE_DAYS=7")
    parser.add_argument("--json", type=Path, default=None, help="also write every run here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args)
    worlds = ("devset", "demo") if args.world == "both" else (args.world,)
    LABELS["variant"] = f"For you with {args.variant}"
    began = time.monotonic()
    results: dict[str, list[dict]] = {}
    for world in worlds:
        results[world] = []
        for seed in range(args.seed, args.seed + args.seeds):
            run = run_seed(world, seed, args)
            results[world].append(run)
            print(f"# {world} seed {seed}: {run['seconds']:.0f} s, For you nDCG@10 "
                  f"{run['policies']['for_you']['ndcg']:.3f}", file=sys.stderr, flush=True)
    load = os.getloadavg()[0]
    print(f"For you offline evaluation, {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, commit "
          f"{commit()}, {os.cpu_count()} cores, load average {load:.2f} at the end, "
          f"{time.monotonic() - began:.0f} s in all\n")
    for world, runs in results.items():
        print(describe_runs(world, runs, args) + "\n")
        print(table(runs) + "\n")
        print(detail_table(runs, args.days) + "\n")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
