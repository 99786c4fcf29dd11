"""Fill the configured database with a realistic Broadsheet store, for the page benchmarks.

    .venv/bin/python bench/make_store.py --articles 100000 [--seed 1] [--readers N]

The store goes through the product's own tables, triggers and tasks, into whatever database the
environment configures (``DATABASE_URL``, else SQLite under ``BROADSHEET_HOME``), which must hold no
articles yet:

- publishers and sources: the bundled catalogue, installed by the product (``install_catalog``);
- articles: ``N / 10,000`` days of them, ending now (the catalogue brings about 10,000 a day), with
  a day-and-night rhythm, busier publishers and sections carrying more; bodies and headlines come
  from a word-pair (bigram) model of real news text, so word frequencies, common phrases and body
  lengths (log-normal, median about 450 words) behave as in real articles; the full-text index
  is filled by the product's own triggers as rows go in;
- stories: events covered by 1 to 8 outlets of one language (a few big ones by up to 30), each
  with names of its own that its articles share; stories are summarised by the product
  (``summarise_stories``), their names stored as their topics by the product
  (``tagging.store_topics``), and Top stories ranked by it (``rank_stories``);
- syndicated copies: about one article in twenty is a wire text republished by another outlet,
  with its own headline and section, marked ``duplicate_of`` as the product's copy finder does;
- readers: accounts with memberships (active, in trial, expired), follows of publishers,
  sections and topics, saved articles and reading history.

The bigram model is learnt from the stories dev set and the extraction benchmark's texts in
``../shared/data`` (read in place, never copied); ``--corpus FILE`` takes any JSON-lines file with
``text`` fields instead. All generated text is English, whatever the publisher's language.
On a terminal a progress bar shows the articles written (``broadsheet.ops.progress``); piped,
only the summary lines are printed.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import queue
import re
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.config.settings")

ARTICLES_PER_DAY = 10_000
SHARED = ROOT.parent / "shared" / "data"
TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[.,;:?!]")
SENTENCE_END = {".", "?", "!"}
POSSESSIVE = re.compile(r"['’]s$")  # "Europe's" is about Europe
PUNCTUATION = {".", ",", ";", ":", "?", "!"}
COPY_SHARE = 0.05
MEDIAN_WORDS = 450
BATCH = 2000
TOPIC_CHUNK = 20_000  # stories whose topics are stored at once


# --- the language model ----------------------------------------------------------------------

class Bigrams:
    """A word-pair model: each next token is drawn given the one before, many streams at once."""

    def __init__(self, texts: list[str]) -> None:
        tokens: list[str] = []
        for text in texts:
            found = TOKEN.findall(text)
            if found:
                tokens.extend(found)
                if found[-1] not in SENTENCE_END:
                    tokens.append(".")
        vocab, ids = np.unique(np.array(tokens, dtype=object), return_inverse=True)
        self.vocab = vocab
        self.period = int(np.searchsorted(vocab, "."))
        pairs = np.stack([ids[:-1], ids[1:]], axis=1)
        # Every word may end a sentence, so that no stream runs into a dead end.
        pairs = np.concatenate([pairs, np.stack([np.arange(len(vocab)),
                                                 np.full(len(vocab), self.period)], axis=1)])
        # Each word's observed successors, side by side: drawing one of them uniformly is
        # drawing the next word with its observed probability.
        order = np.argsort(pairs[:, 0], kind="stable")
        self.following = pairs[order, 1]
        self.counts = np.bincount(pairs[:, 0], minlength=len(vocab))
        self.offsets = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        self.spaced = np.array([w if w in PUNCTUATION else " " + w for w in vocab], dtype=object)
        self.capitalised = np.array([bool(w[:1].isupper()) for w in vocab])
        self.names = self._names(ids)

    def _names(self, ids: np.ndarray) -> np.ndarray:
        """Capitalised words seen inside sentences: the pool stories draw their names from."""
        after_end = np.concatenate([[True], np.isin(ids[:-1], [self.period])])
        inside = ids[~after_end & self.capitalised[ids]]
        names, counts = np.unique(inside, return_counts=True)
        return names[counts >= 2]

    def stream(self, rng: np.random.Generator, tokens: int, chains: int = 512) -> np.ndarray:
        """About ``tokens`` token ids: ``chains`` independent runs of sentences, end to end."""
        steps = max(1, math.ceil(tokens / chains))
        out = np.empty((chains, steps), dtype=np.int64)
        current = np.full(chains, self.period)
        for step in range(steps):
            pick = (rng.random(chains) * self.counts[current]).astype(np.int64)
            current = self.following[self.offsets[current] + pick]
            out[:, step] = current
        return out.reshape(-1)


def training_texts(corpus: Path | None) -> list[str]:
    """Real news text to learn word pairs from: the shared data sets, or ``corpus``."""
    paths = [corpus] if corpus else [SHARED / "stories" / "dev.jsonl"]
    texts: list[str] = []
    for path in paths:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                texts += [record.get("title", ""), record.get("text", "")]
    truth = SHARED / "extraction" / "ground-truth.json"
    if corpus is None and truth.exists():
        texts += [item.get("articleBody", "") for item in json.loads(truth.read_text()).values()]
    return [t for t in texts if t]


# --- the plan: stories, outlets and times -----------------------------------------------------

@dataclass
class Outlet:
    source_id: int
    publisher_id: int
    publisher_name: str
    section: str
    language: str
    host: str
    weight: float


@dataclass
class Plan:
    """Every article to store, in publication order, and the stories they belong to."""

    times: np.ndarray  # epoch seconds, ascending
    outlets: np.ndarray  # index into the outlet list
    stories: np.ndarray  # index of the story, numbered in order of first article
    originals: np.ndarray  # index (in this plan) of the original a copy repeats, or -1
    story_language: list[str] = field(default_factory=list)


SIZES = np.array([1, 2, 3, 4, 5, 6, 7, 8])
SIZE_WEIGHTS = np.array([0.45, 0.18, 0.11, 0.08, 0.06, 0.05, 0.04, 0.03])


def story_size(rng: np.random.Generator) -> int:
    """Outlets covering one event: mostly one to eight, now and then a big story of up to 30."""
    if rng.random() < 0.01:
        return int(rng.integers(10, 31))
    return int(SIZES[np.searchsorted(SIZE_CUMULATIVE, rng.random(), side="right")])


SIZE_CUMULATIVE = np.cumsum(SIZE_WEIGHTS) / SIZE_WEIGHTS.sum()


def news_time(rng: np.random.Generator, start: float, end: float) -> float:
    """A moment in [start, end), busier in the daytime (UTC) than at night."""
    while True:
        moment = rng.uniform(start, end)
        hour = (moment % 86400) / 3600
        if rng.random() < 0.55 + 0.45 * math.sin(math.pi * max(0.0, hour - 5) / 19):
            return moment


class OutletSampler:
    """Draws outlets by their output: any outlet, or one of a language favouring a section."""

    def __init__(self, outlets: list[Outlet], rng: np.random.Generator) -> None:
        self.outlets = outlets
        self.rng = rng
        weights = np.array([o.weight for o in outlets])
        self.all = np.cumsum(weights) / weights.sum()
        self.pools: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        for language in {o.language for o in outlets}:
            pool = np.array([i for i, o in enumerate(outlets) if o.language == language])
            for section in {o.section for o in outlets}:
                shares = weights[pool] * np.where(
                    [outlets[i].section == section for i in pool], 4.0, 1.0)
                self.pools[language, section] = (pool, np.cumsum(shares) / shares.sum())

    def any(self) -> int:
        return int(np.searchsorted(self.all, self.rng.random(), side="right"))

    def like(self, outlet: int, count: int) -> np.ndarray:
        """``count`` draws (with repeats) among the outlets of ``outlet``'s language."""
        pool, cumulative = self.pools[self.outlets[outlet].language, self.outlets[outlet].section]
        return pool[np.minimum(np.searchsorted(cumulative, self.rng.random(count), side="right"),
                               len(pool) - 1)]

    def covering(self, first: int, size: int) -> list[int]:
        """The outlets covering a story: distinct publishers, mostly of the first one's section."""
        chosen, publishers = [first], {self.outlets[first].publisher_id}
        for candidate in self.like(first, size * 4) if size > 1 else ():
            if len(chosen) >= size:
                break
            if self.outlets[candidate].publisher_id not in publishers:
                chosen.append(int(candidate))
                publishers.add(self.outlets[candidate].publisher_id)
        return chosen


def plan(outlets: list[Outlet], articles: int, now: float,
         rng: np.random.Generator) -> Plan:
    """Stories and their articles until ``articles`` are planned, over articles/10,000 days."""
    start = now - articles / ARTICLES_PER_DAY * 86400
    sampler = OutletSampler(outlets, rng)
    rows: list[tuple[float, int, int, int]] = []  # time, outlet, story, original row or -1
    languages: list[str] = []
    while len(rows) < articles:
        story = len(languages)
        first = sampler.any()
        languages.append(outlets[first].language)
        began = news_time(rng, start, now)
        for position, outlet in enumerate(sampler.covering(first, story_size(rng))):
            moment = began if position == 0 else began + min(rng.exponential(4 * 3600), 172800)
            if moment >= now:
                continue
            rows.append((moment, outlet, story, -1))
            if rng.random() < COPY_SHARE / 1.4:  # a wire text others reprint, 1.4 times each
                _copies(rows, sampler, story, moment, now)
    return _ordered(rows[:articles], languages)


def _copies(rows: list, sampler: OutletSampler, story: int, moment: float, now: float) -> None:
    """Other outlets reprinting the row just planned, within hours."""
    original = len(rows) - 1
    outlet = rows[original][1]
    publisher = sampler.outlets[outlet].publisher_id
    for reprinter in sampler.like(outlet, 1 + int(sampler.rng.random() < 0.4)):
        reprinted = moment + sampler.rng.exponential(3600)
        if sampler.outlets[reprinter].publisher_id != publisher and reprinted < now:
            rows.append((reprinted, int(reprinter), story, original))


def _ordered(rows: list[tuple[float, int, int, int]], languages: list[str]) -> Plan:
    """The rows sorted by time; stories renumbered in order of their first article."""
    order = sorted(range(len(rows)), key=lambda i: rows[i][0])
    position = {old: new for new, old in enumerate(order)}
    story_number: dict[int, int] = {}
    times, outlets, stories, originals = [], [], [], []
    for old in order:
        moment, outlet, story, original = rows[old]
        story_number.setdefault(story, len(story_number))
        times.append(moment)
        outlets.append(outlet)
        stories.append(story_number[story])
        originals.append(position.get(original, -1) if original >= 0 else -1)
    renumbered = [""] * len(story_number)
    for story, number in story_number.items():
        renumbered[number] = languages[story]
    return Plan(np.array(times), np.array(outlets), np.array(stories), np.array(originals),
                renumbered)


# --- writing articles ------------------------------------------------------------------------

class Writer:
    """Turns token streams into headlines and bodies that carry their story's names."""

    def __init__(self, model: Bigrams, rng: np.random.Generator, stories: int) -> None:
        self.model = model
        self.rng = rng
        # Drawn up front, so that the process that stores the stories knows them too.
        self.story_names = rng.choice(model.names, size=(stories, 6))
        self.name_counts = rng.integers(3, 7, size=stories)
        self.staff: dict[int, np.ndarray] = {}

    def names(self, story: int) -> np.ndarray:
        """The people, places and organisations a story is about: its articles share them.
        A negative number is a publisher's (``-publisher_id``): its bylines."""
        if story >= 0:
            return self.story_names[story, :self.name_counts[story]]
        found = self.staff.get(story)
        if found is None:
            found = self.rng.choice(self.model.names, size=int(self.rng.integers(3, 7)))
            self.staff[story] = found
        return found

    def bodies(self, stories: list[int]) -> list[list[str]]:
        """One body per story in ``stories``, as paragraphs."""
        lengths = np.minimum(self.rng.lognormal(math.log(MEDIAN_WORDS), 0.6, len(stories)),
                             4000).astype(int) + 40
        stream = self.model.stream(self.rng, int(lengths.sum() * 1.1) + 1000)
        ends = np.flatnonzero(stream == self.model.period)
        bodies, cursor = [], 0
        for story, length in zip(stories, lengths, strict=True):
            stop = ends[min(np.searchsorted(ends, cursor + length), len(ends) - 1)] + 1
            if stop <= cursor:  # the stream ran short: start again from its beginning
                cursor, stop = 0, ends[np.searchsorted(ends, length)] + 1
            bodies.append(self._paragraphs(self._named(stream[cursor:stop], story, 0.35)))
            cursor = stop
        return bodies

    def headlines(self, stories: list[int]) -> list[str]:
        """One headline per story in ``stories``: a run of 6 to 13 words with two of its names."""
        stream = self.model.stream(self.rng, 16 * len(stories) + 100)
        starts = np.flatnonzero(stream[:-15] == self.model.period) + 1
        picked = self.rng.choice(starts, size=len(stories))
        headlines = []
        for story, start in zip(stories, picked, strict=True):
            run = self.model.vocab[stream[start:start + self.rng.integers(6, 14)]]
            words = [str(w) for w in run if w not in SENTENCE_END]
            names = self.names(story)
            for name in self.rng.choice(names, size=min(2, len(names)), replace=False):
                words.insert(int(self.rng.integers(0, len(words) + 1)),
                             str(self.model.vocab[name]))
            headline = _joined(words).strip(" ,;:")
            headlines.append(headline[:1].upper() + headline[1:])
        return headlines

    def _named(self, tokens: np.ndarray, story: int, share: float) -> np.ndarray:
        """``tokens`` with some names inside sentences replaced by the story's own names."""
        tokens = tokens.copy()
        inside = np.concatenate([[False], tokens[:-1] != self.model.period])
        spots = np.flatnonzero(inside & self.model.capitalised[tokens])
        chosen = spots[self.rng.random(len(spots)) < share]
        tokens[chosen] = self.rng.choice(self.names(story), size=len(chosen))
        return tokens

    def _paragraphs(self, tokens: np.ndarray) -> list[str]:
        """Paragraphs of one to four sentences."""
        ends = np.flatnonzero(tokens == self.model.period) + 1
        groups = np.cumsum(self.rng.integers(1, 5, len(ends))) - 1
        breaks = ends[groups[groups < len(ends)]].tolist()
        bounds = [0, *(b for b in breaks if b < len(tokens)), len(tokens)]
        words = self.model.spaced[tokens]
        paragraphs = ["".join(words[a:b]).strip() for a, b in zip(bounds, bounds[1:],
                                                                    strict=False)]
        return [p for p in paragraphs if p]


_SPACE_BEFORE = re.compile(r" ([.,;:?!])")


def _joined(words) -> str:
    text = _SPACE_BEFORE.sub(r"\1", " ".join(words))
    return text[:1].upper() + text[1:]


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:70] or "article"


# --- the store -------------------------------------------------------------------------------

def outlets_from_catalogue(rng: np.random.Generator) -> list[Outlet]:
    """Install the bundled catalogue (the product's own step) and weigh its sources.

    Publishers differ a lot in output: each source's share is log-normal.
    """
    from urllib.parse import urlsplit

    from broadsheet.sources.catalog import install_catalog
    from broadsheet.sources.models import Source

    install_catalog()
    outlets = []
    for source in Source.objects.select_related("publisher").order_by("id"):
        outlets.append(Outlet(source.pk, source.publisher_id, source.publisher.name,
                              source.section, (source.publisher.language or "en").split("-")[0],
                              urlsplit(source.url).hostname or "example.org",
                              float(rng.lognormal(0, 1))))
    return outlets


# Article columns in the order rows are written (the table's own names).
COLUMNS = ("id", "publisher_id", "source_id", "url", "canonical_url", "guid", "title", "author",
           "section", "published_at", "fetched_at", "updated_at", "language", "summary", "html",
           "text", "image_url", "word_count", "content_hash", "story_id", "duplicate_of_id",
           "story_assigned_at")


class Rows:
    """Makes the rows of the plan, in publication order, a batch at a time.

    Runs in its own process while the parent writes the previous batch, so both cores work.
    """

    def __init__(self, the_plan: Plan, outlets: list[Outlet], writer: Writer, now: float) -> None:
        self.plan = the_plan
        self.outlets = outlets
        self.writer = writer
        self.now = now
        self.pending_copies: dict[int, list[str]] = {}  # original row -> its paragraphs
        self.copies_left = np.bincount(the_plan.originals[the_plan.originals >= 0],
                                       minlength=len(the_plan.times))

    def batch(self, start: int, stop: int) -> list[tuple]:
        rows = range(start, stop)
        originals = [r for r in rows if self.plan.originals[r] < 0]
        bodies = dict(zip(originals, self.writer.bodies(
            [int(self.plan.stories[r]) for r in originals]), strict=True))
        headlines = self.writer.headlines([int(self.plan.stories[r]) for r in rows])
        return [self._row(row, bodies, title) for row, title in zip(rows, headlines, strict=True)]

    def _row(self, row: int, bodies: dict[int, list[str]], title: str) -> tuple:
        from broadsheet.articles.store import content_hash

        outlet = self.outlets[int(self.plan.outlets[row])]
        original = int(self.plan.originals[row])
        paragraphs = bodies[row] if original < 0 else self.pending_copies[original]
        self._keep_for_copies(row, original, paragraphs)
        text = "\n\n".join(paragraphs)
        published = float(self.plan.times[row])
        fetched = min(published + self.writer.rng.uniform(60, 1800), self.now)
        url = (f"https://{outlet.host}/{outlet.section.lower() or 'news'}/"
               f"{_moment(published):%Y/%m/%d}/{slug(title)}-{row + 1}")
        image = (f"https://{outlet.host}/images/{row + 1}.jpg"
                 if self.writer.rng.random() < 0.7 else "")
        return (row + 1, outlet.publisher_id, outlet.source_id, url, url, url, title[:1000],
                self._author(outlet), outlet.section, published, fetched, fetched,
                outlet.language, paragraphs[0][:300],
                "".join(f"<p>{_escape(p)}</p>" for p in paragraphs), text, image,
                len(text.split()), content_hash(title, text), int(self.plan.stories[row]) + 1,
                original + 1 if original >= 0 else None, fetched)

    def _keep_for_copies(self, row: int, original: int, paragraphs: list[str]) -> None:
        """Hold a wire text until every outlet reprinting it has been written."""
        if original >= 0:
            self.copies_left[original] -= 1
            if not self.copies_left[original]:
                del self.pending_copies[original]
        elif self.copies_left[row]:
            self.pending_copies[row] = paragraphs

    def _author(self, outlet: Outlet) -> str:
        if self.writer.rng.random() < 0.25:
            return ""  # agency copy and unsigned pieces
        staff = self.writer.names(-outlet.publisher_id)  # a publisher's own bylines
        first, last = self.writer.rng.choice(staff, size=2)
        vocab = self.writer.model.vocab
        return f"{vocab[first]} {vocab[last]}"


def summarise(complete, writer: Writer) -> None:
    """The summarising process: the product summarises each list of stories from
    ``complete`` (until None) and stores their topics, beside the process that writes articles."""
    from django.db import connection

    from broadsheet.stories.assign import summarise_stories
    from broadsheet.stories.tagging import store_topics

    untagged: list[int] = []
    for stories in iter(complete.get, None):
        summarise_stories(stories)
        untagged += stories
        if len(untagged) >= TOPIC_CHUNK:  # in large chunks: each resolves its names once
            store_topics(untagged, topics_found(writer, untagged))
            untagged = []
    store_topics(untagged, topics_found(writer, untagged))
    connection.close()


def produce(rows: Rows, total: int, out, writers: int) -> None:
    """The child process: every batch of rows, in order, then one None per writer."""
    for number, start in enumerate(range(0, total, BATCH)):
        out.put((number, rows.batch(start, min(start + BATCH, total))))
    for _ in range(writers):
        out.put(None)


class Store:
    """Writes batches of rows into the article table; the product summarises their stories.

    PostgreSQL computes each row's search vector in the product's trigger, the bulk of the cost
    of a row, so two connections write batches at once there (one core each). Each story is
    summarised by the product, and its topics stored, once its last article is committed, in
    a process of its own (``summarise``).
    """

    def __init__(self, the_plan: Plan, writer: Writer) -> None:
        from django.db import connection

        self.plan = the_plan
        self.writer = writer
        self.writers = 2 if connection.vendor == "postgresql" else 1
        quote = connection.ops.quote_name
        self.insert = (f"INSERT INTO articles_article ({', '.join(quote(c) for c in COLUMNS)}) "
                       f"VALUES ({', '.join(['%s'] * len(COLUMNS))})")
        self.written: queue.Queue[set[int] | None] = queue.Queue()
        self.committed = 0  # batches committed, in order
        self.turn = threading.Condition()

    def create_stories(self) -> None:
        """Every story's row, dated by its first article; ``summarise_stories`` fills in
        the rest."""
        from broadsheet.stories.models import Story

        first_rows = np.unique(self.plan.stories, return_index=True)[1]
        Story.objects.bulk_create(
            (Story(pk=number + 1, language=language, first_published_at=moment,
                   last_published_at=moment, created_at=moment)
             for number, language, moment in zip(
                 range(len(first_rows)), self.plan.story_language,
                 (_moment(self.plan.times[row]) for row in first_rows), strict=True)),
            batch_size=1000)

    def load(self, batches, complete, total: int, began: float, progress) -> None:
        """Write every batch from ``batches`` (a queue ending in None per writer) and put the
        stories each completes on ``complete``; ``progress`` (``broadsheet.ops.progress``)
        shows the articles written, as a bar on a terminal."""
        # Each story is summarised once, when its last article is stored: batches are
        # committed in order, so every earlier one is in by then.
        last_rows = np.full(len(self.plan.story_language), -1)
        np.maximum.at(last_rows, self.plan.stories, np.arange(len(self.plan.stories)))
        by_batch = np.argsort(last_rows // BATCH, kind="stable")
        bounds = np.searchsorted(last_rows[by_batch] // BATCH, np.arange(total // BATCH + 2))
        threads = [threading.Thread(target=self._write_all, args=(batches,), daemon=True)
                   for _ in range(self.writers)]
        for thread in threads:
            thread.start()
        done, written = 0, 0
        progress.start("Writing articles", total)
        while done < self.writers:
            number = self.written.get()
            if number is None:
                done += 1
                continue
            complete.put((by_batch[bounds[number]:bounds[number + 1]] + 1).tolist())  # from 1
            written += BATCH
            progress.update(min(written, total))
            if written % (BATCH * 25) == 0:
                rate = written / (time.monotonic() - began)
                print(f"  {written:,} of {total:,} articles ({rate:,.0f}/s)", flush=True)
        for thread in threads:
            thread.join()
        complete.put(None)
        progress.done()

    def _write_all(self, batches) -> None:
        from django.db import connection, transaction

        try:
            _before_bulk_insert(connection)
            for number, rows in iter(batches.get, None):
                values = self._values(rows, connection)
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        cursor.executemany(self.insert, values)
                    with self.turn:  # a copy's original is committed before the copy
                        self.turn.wait_for(lambda n=number: self.committed == n)
                with self.turn:
                    self.committed += 1
                    self.turn.notify_all()
                self.written.put(number)
        finally:
            connection.close()
            self.written.put(None)

    @staticmethod
    def _values(rows: list[tuple], connection) -> list[list]:
        times = (COLUMNS.index("published_at"), COLUMNS.index("fetched_at"),
                 COLUMNS.index("updated_at"), COLUMNS.index("story_assigned_at"))
        adapt = connection.ops.adapt_datetimefield_value
        values = []
        for row in rows:
            row = list(row)
            for index in times:
                row[index] = adapt(_moment(row[index]))
            values.append(row)
        return values


def topics_found(writer: Writer, stories: list[int]) -> dict[int, list]:
    """Each story's topics as the product's topic stage finds them in its articles: the names
    they share, for the product to store (``tagging.store_topics``: one topic per name across
    stories, found under its aliases).

    The topic stage itself reads every story's headlines and openings, about 5 ms a story on
    this machine, which would be most of the time of a large store; what it finds in these
    texts are their names, so the store is given them directly.
    """
    from django.utils.text import slugify

    from broadsheet.stories.tagging import TOPICS_PER_STORY
    from broadsheet.stories.topics import FoundTopic

    kinds = ("person", "organisation", "place")
    found = {}
    for story in stories:  # story rows are numbered from 1 (``create_stories``)
        names = list(dict.fromkeys(POSSESSIVE.sub("", str(writer.model.vocab[n]))
                                   for n in writer.names(story - 1)))
        found[story] = [FoundTopic(name=name, kind=kinds[zlib.crc32(name.encode()) % 3],
                                   slug=slugify(name), weight=1 / (1 + rank), aliases=(name,))
                        for rank, name in enumerate(names[:TOPICS_PER_STORY])]
    return found


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(float(epoch), tz=UTC)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- readers ---------------------------------------------------------------------------------

READER_PASSWORD = "broadsheet reader password"  # every generated reader's, for trying the store


def make_readers(count: int, outlets: list[Outlet], writer: Writer, total: int,
                 now: float) -> dict[str, int]:
    """Readers with memberships, follows, saves and reading history, in bulk."""
    from django.contrib.auth.hashers import make_password
    from django.db.models import Count

    from broadsheet.articles.models import Article
    from broadsheet.curation.models import Section
    from broadsheet.readers.models import Follow, Membership, ReadingHistory, SavedArticle, User
    from broadsheet.stories.models import Topic

    rng = writer.rng
    password = make_password(READER_PASSWORD)
    users = User.objects.bulk_create([
        User(email=f"reader-{n:05d}@example.org", password=password,
             date_joined=_moment(now - rng.uniform(0, 90) * 86400)) for n in range(1, count + 1)])
    Membership.objects.bulk_create([_membership(user, rng, now) for user in users])
    publishers = sorted({o.publisher_id for o in outlets})
    sections = list(Section.objects.values_list("id", flat=True))
    # A topic is followed from its page, which keeps its slug; the 200 most covered are followed.
    topics = list(Topic.objects.annotate(stories=Count("story_topics"))
                  .order_by("-stories", "pk").values_list("slug", flat=True)[:200])
    follows, saves, history = [], [], []
    recent_first = Article.objects.order_by("-id").values_list("id", flat=True)
    latest = list(recent_first[:20000])
    for user in users:
        follows += [Follow(user=user, kind=Follow.Kind.PUBLISHER, publisher_id=p)
                    for p in set(rng.choice(publishers, size=int(rng.integers(0, 7))))]
        follows += [Follow(user=user, kind=Follow.Kind.SECTION, section_id=s)
                    for s in set(rng.choice(sections, size=int(rng.integers(0, 4))))]
        follows += [Follow(user=user, kind=Follow.Kind.TOPIC, topic=t)
                    for t in set(rng.choice(topics, size=int(rng.integers(0, 3))))]
        saves += [SavedArticle(user=user, article_id=int(a))
                  for a in set(rng.choice(latest, size=int(rng.integers(0, 40))))]
        reads = int(min(rng.lognormal(math.log(60), 1.2), total, 3000))
        for article in set(rng.integers(max(1, total - reads * 30), total + 1, size=reads)):
            history.append(ReadingHistory(user=user, article_id=int(article),
                                          read_at=_moment(now - rng.uniform(0, 86400 * 2)),
                                          full=bool(rng.random() < 0.8)))
    Follow.objects.bulk_create(follows, batch_size=1000)
    SavedArticle.objects.bulk_create(saves, batch_size=1000)
    ReadingHistory.objects.bulk_create(history, batch_size=1000)
    return {"readers": len(users), "follows": len(follows), "saved": len(saves),
            "history": len(history)}


def _membership(user, rng: np.random.Generator, now: float):
    from broadsheet.readers.models import Membership

    roll = rng.random()
    if roll < 0.6:
        return Membership(user=user, state=Membership.State.ACTIVE,
                          current_period_end=_moment(now + rng.uniform(1, 30) * 86400))
    if roll < 0.85:
        return Membership(user=user, state=Membership.State.TRIALING,
                          trial_ends_at=_moment(now + rng.uniform(1, 14) * 86400))
    return Membership(user=user, state=Membership.State.EXPIRED,
                      trial_ends_at=_moment(now - rng.uniform(1, 60) * 86400))


# --- the command -----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--readers", type=int, default=0,
                        help="reader accounts (default: one per 1,000 articles, at least 50)")
    parser.add_argument("--corpus", type=Path, default=None,
                        help="JSON lines with 'text' (and 'title') to learn words from")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from broadsheet.articles.models import Article
    from broadsheet.ops.progress import Terminal
    from broadsheet.stories.models import Topic
    from broadsheet.stories.ranking import rank_stories

    began = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    if Article.objects.exists():
        print("make_store: this database already holds articles; point BROADSHEET_HOME or "
              "DATABASE_URL at an empty one.", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    now = time.time()
    model = Bigrams(training_texts(args.corpus))
    outlets = outlets_from_catalogue(rng)
    the_plan = plan(outlets, args.articles, now, rng)
    total = len(the_plan.times)
    print(f"{connection.vendor}: {total:,} articles in {len(the_plan.story_language):,} stories "
          f"over {total / ARTICLES_PER_DAY:.1f} days, from {len(outlets)} sources; "
          f"vocabulary {len(model.vocab):,} ({time.monotonic() - began:.0f} s)", flush=True)
    writer = Writer(model, rng, len(the_plan.story_language))
    store = Store(the_plan, writer)
    store.create_stories()
    context = multiprocessing.get_context("fork")
    batches = context.Queue(maxsize=4)
    maker = context.Process(target=produce, daemon=True, args=(
        Rows(the_plan, outlets, writer, now), total, batches, store.writers))
    complete = context.Queue()
    summariser = context.Process(target=summarise, daemon=True, args=(complete, writer))
    connection.close()  # the children must not share the parent's database connection
    maker.start()
    summariser.start()
    indexes = _drop_secondary_indexes(connection)
    with Terminal() as progress:  # a bar on a terminal; nothing when the output is piped
        store.load(batches, complete, total, began, progress)
        maker.join()
        progress.note("Summarising the last stories")
        summariser.join()
        if summariser.exitcode:
            print(f"make_store: summarising stories failed (exit {summariser.exitcode}); "
                  "see the error above.", file=sys.stderr)
            return 1
        progress.note("Building indexes and the search index")
        _after_bulk_insert(connection, indexes)
        progress.note("Ranking stories")
        ranked = rank_stories()
        progress.note("Making readers")
        readers = make_readers(args.readers or max(50, total // 1000), outlets, writer, total,
                               now)
    print(f"{Topic.objects.count():,} topics; ranked {ranked:,} recent stories; {readers}; "
          f"{_size(connection) / 1e9:.2f} GB; {time.monotonic() - began:.0f} s in all")
    return 0


def _before_bulk_insert(connection) -> None:
    """A large page cache for a SQLite connection that writes many rows."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -1000000")


def _drop_secondary_indexes(connection) -> list[str]:
    """Drop the article table's plain indexes for the load; returns the statements that make them.

    Each is made again at the end in one sorted pass, which costs a fraction of keeping it up
    to date row by row. Unique indexes stay (they are constraints), and so does the index of
    stories, which summarising each batch's stories reads.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                           " AND tbl_name = 'articles_article' AND sql IS NOT NULL")
        else:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes"
                           " WHERE tablename = 'articles_article'")
        found = [(name, sql) for name, sql in cursor.fetchall()
                 if not sql.upper().startswith("CREATE UNIQUE") and "story_id" not in name]
        for name, _ in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        if connection.vendor == "sqlite":  # the full-text index too: see _after_bulk_insert
            for trigger in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER articles_article_fts_{trigger}")
    return [sql for _, sql in found]


def _after_bulk_insert(connection, indexes: list[str]) -> None:
    """Make the dropped indexes again; rows went in with ids given, so move the id sequences.

    On SQLite the product's own repair (``ensure_index``, run after every migrate) puts the
    full-text triggers back and rebuilds the index from the stored rows in one pass.
    """
    from broadsheet.articles.search_index import ensure_index

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '1GB'")
        for statement in indexes:
            cursor.execute(statement)
        if connection.vendor != "postgresql":
            ensure_index(connection)
            return  # SQLite plans without statistics, as a running Broadsheet does
        for table in ("articles_article", "stories_story"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT max(id) FROM {table}))")
        cursor.execute("ANALYZE")  # as autovacuum soon would


def _size(connection) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
        else:
            cursor.execute("SELECT page_count * page_size FROM pragma_page_count(), "
                           "pragma_page_size()")
        return int(cursor.fetchone()[0])


if __name__ == "__main__":
    sys.exit(main())
