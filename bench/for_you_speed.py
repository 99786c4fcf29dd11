"""For you's speed for a reader with a year of history, against the home page's time.

    BROADSHEET_HOME=/work/stores/S DATABASE_URL= \
        .venv/bin/python bench/make_store.py --articles 100000
    BROADSHEET_HOME=/work/stores/S DATABASE_URL= .venv/bin/python bench/for_you_speed.py
    # options: --reads 3000 --days 365 --calls 200 --cold 20 --email E --rebuild --json FILE

It measures the store the environment configures (normally one filled by ``bench/make_store.py``)
as the product reads it. Why each part:

- **The reader.** One account (``reader-for-you-speed@example.org``, made once and kept in the
  store; ``--rebuild`` makes it again) with a year of use: ``--reads`` reads spread over
  ``--days`` days ending now, reported in time order through ``curation.reading.report_read``
  with their past ``now`` (the ledger and the learning path of the app's beacon), 60% of them in
  two favourite sections and the rest anywhere, so it learns the capped maximum of interests;
  one history row per read (as the article page writes); follows of five publishers, two
  sections, a known topic and a free-text word (the slowest kind: a search per word); 30 saves,
  learned from. The store's articles span its own few days, so the reads are of those articles,
  dated over the year: For you reads a history through its learned interests (at most
  ``interests.KEPT`` rows) and the last 30 days of reads, which is what a year of reading leaves.
- **For you, cold, worked out and kept.** ``for_you(reader, 10)`` with the shared candidate
  pool taken out of the cache before each call (cold: the call builds it, as the first request
  after a cache flush would without the periodic task); with the pool warm, kept fresh the way
  the periodic task ``warm_for_you`` does (once a minute, outside the timed calls), and the
  reader's ranking worked out on every call (``foryou.KEPT`` set to 0: the first page after the
  reader did something, or after the pool's minute); and on the product's default path, the
  reader's ranking kept from the call before. The periodic task's own time (``refresh_pool``)
  is timed too.
- **The home page.** ``GET /`` as the signed-in member through Django's test client in this
  process (middleware, views, templates and the database, without HTTP or a server process),
  pool warm: as the product runs (ranking kept), with the ranking worked out on every page,
  for a member with the same follows and no history, and with For you's box empty (the rest of
  the page). The pages alternate call by call, so For you's share of the page is a ratio
  measured in the same run, under the same load.
- **Where the time goes.** A warm call again with each step of ``for_you`` timed.

Prints p50/p95/p99 in milliseconds and the ratios, headed by the store, the date and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broadsheet.config.settings")

READER = "reader-for-you-speed@example.org"
FRESH_READER = "reader-for-you-fresh@example.org"
FAVOURITE_SHARE = 0.6
SAVES = 30
REFRESH_EVERY = 50.0  # seconds: the periodic task runs every minute; the pool lives 60 s
HOST = "127.0.0.1"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=3000, help="reads in the reader's history")
    parser.add_argument("--days", type=int, default=365, help="days the history spans")
    parser.add_argument("--calls", type=int, default=200, help="timed calls per warm case")
    parser.add_argument("--cold", type=int, default=20, help="timed calls with a cold pool")
    parser.add_argument("--email", default=READER)
    parser.add_argument("--rebuild", action="store_true", help="make the reader again")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    return parser.parse_args(argv)


def setup_django() -> None:
    import django

    django.setup()
    from broadsheet.articles.models import Article

    if not Article.objects.exists():
        raise SystemExit("for_you_speed.py: the store has no articles; fill it with "
                         "bench/make_store.py")


# --- the reader --------------------------------------------------------------------------------

def make_member(email: str):
    """An active member with the follows a year-long reader might have (no history yet)."""
    from django.db.models import Count
    from django.utils import timezone

    from broadsheet.articles.models import Article
    from broadsheet.curation.models import Section
    from broadsheet.readers.models import Follow, Membership, User
    from broadsheet.stories.models import StoryTopic

    user = User.objects.create_user(email, None)
    Membership.objects.create(user=user, state=Membership.State.ACTIVE,
                              current_period_end=timezone.now() + timedelta(days=30))
    busiest = (Article.objects.values("publisher").annotate(n=Count("id"))
               .order_by("-n", "publisher").values_list("publisher", flat=True)[:5])
    for pk in busiest:
        Follow.objects.get_or_create(user=user, kind=Follow.Kind.PUBLISHER, publisher_id=pk)
    for section in Section.objects.order_by("position")[1:3]:
        Follow.objects.create(user=user, kind=Follow.Kind.SECTION, section=section)
    topic = (StoryTopic.objects.order_by("-last_published_at").values_list("topic__slug", flat=True)
             .first())
    if topic:
        Follow.objects.create(user=user, kind=Follow.Kind.TOPIC, topic=topic)
    Follow.objects.create(user=user, kind=Follow.Kind.TOPIC, topic="harbour strike")
    return user


def build_history(user, reads: int, days: int, rng: random.Random) -> dict:
    """``reads`` reads over ``days`` days ending now, in time order, through ``report_read``."""
    from django.db.models.functions import Lower
    from django.utils import timezone

    from broadsheet.articles.models import Article
    from broadsheet.curation import interests
    from broadsheet.curation.models import Section
    from broadsheet.curation.reading import report_read
    from broadsheet.readers.models import ReadingHistory, SavedArticle

    names = [s.name.lower() for s in Section.objects.order_by("position")[:4]]
    favourites = names[2:4] or names
    pool = list(Article.objects.filter(duplicate_of__isnull=True, story__isnull=False)
                .annotate(lower=Lower("section")).values_list("pk", "lower"))
    liked = [pk for pk, section in pool if section in favourites]
    anywhere = [pk for pk, _ in pool]
    now = timezone.now()
    moments = sorted(now - timedelta(seconds=rng.uniform(0, days * 86400)) for _ in range(reads))
    started = time.perf_counter()
    history: dict[int, datetime] = {}
    for at in moments:
        article = rng.choice(liked if liked and rng.random() < FAVOURITE_SHARE else anywhere)
        seconds = int(rng.lognormvariate(4.0, 0.8))
        report_read(user, article, seconds, rng.random() < 0.5, now=at)
        history[article] = at
    took = time.perf_counter() - started
    ReadingHistory.objects.bulk_create([ReadingHistory(user=user, article_id=pk, read_at=at,
                                                       full=True)
                                        for pk, at in history.items()], batch_size=1000)
    for pk in rng.sample(anywhere, SAVES):
        SavedArticle.objects.get_or_create(user=user, article_id=pk)
        interests.learn_from_save(user, Article.objects.select_related("publisher", "story")
                                  .get(pk=pk))
    return {"reads": reads, "distinct_articles": len(history), "ms_per_read": took * 1000 / reads,
            "interests": user.interests.count()}


def reader(email: str, args: argparse.Namespace) -> tuple[object, dict]:
    from broadsheet.publishers.models import Read
    from broadsheet.readers.models import User

    existing = User.objects.filter(email=email).first()
    if existing is not None and not args.rebuild:
        return existing, {"ledger_rows": Read.objects.filter(user=existing).count(), "reused": True,
                          "interests": existing.interests.count()}
    if existing is not None:
        existing.delete()
    user = make_member(email)
    return user, build_history(user, args.reads, args.days, random.Random(args.seed))


# --- timing ------------------------------------------------------------------------------------

def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"n": len(ordered), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99),
            "mean": statistics.fmean(ordered)}


def timed(call: Callable[[], object], times: int, before: Callable[[], None] | None = None
          ) -> list[float]:
    samples = []
    for _ in range(times):
        if before is not None:
            before()
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


class WarmPool:
    """Keeps For you's pool fresh between timed calls, as the periodic task does."""

    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self) -> None:
        from broadsheet.curation.candidates import refresh_pool

        if time.monotonic() - self.at > REFRESH_EVERY:
            refresh_pool()
            self.at = time.monotonic()


def drop_pool() -> None:
    """As after a cache flush with no worker: the next call builds the pool itself."""
    from django.core.cache import cache

    from broadsheet.curation.candidates import POOL_KEY, POOL_STAMP_KEY

    cache.delete_many([POOL_KEY, POOL_STAMP_KEY])


def reranked(call: Callable[[], object]) -> Callable[[], object]:
    """The call with no kept ranking to use (``foryou.KEPT`` at 0): what the first page after
    the reader did something, or after the pool's minute, costs."""
    from broadsheet.curation import foryou

    def run() -> object:
        kept = foryou.KEPT
        foryou.KEPT = 0
        try:
            return call()
        finally:
            foryou.KEPT = kept

    return run


def home_page(user) -> Callable[[], object]:
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    client.force_login(user)
    first = client.get("/")
    if first.status_code != 200:
        raise SystemExit(f"for_you_speed.py: the home page answered {first.status_code}")

    def get() -> object:
        response = client.get("/")
        assert response.status_code == 200
        return response

    return get


def measure(user, fresh, args: argparse.Namespace) -> dict:
    from broadsheet.curation.candidates import refresh_pool
    from broadsheet.curation.foryou import for_you

    warm = WarmPool()
    results = {}
    for_you(user, 10)  # imports and connections, untimed
    results["refresh_pool"] = percentiles(timed(refresh_pool, max(5, args.cold)))
    results["for_you_cold"] = percentiles(timed(reranked(lambda: for_you(user, 10)),
                                                args.cold, before=drop_pool))
    results["for_you_rerank"] = percentiles(timed(reranked(lambda: for_you(user, 10)),
                                                  args.calls, before=warm))
    results["for_you_fresh_rerank"] = percentiles(timed(reranked(lambda: for_you(fresh, 10)),
                                                        args.calls, before=warm))
    results["for_you_warm"] = percentiles(timed(lambda: for_you(user, 10), args.calls,
                                                before=warm))
    # The home pages alternate call by call, so all see the same load on the machine.
    mine, theirs = home_page(user), home_page(fresh)
    pages = {"home_member_history": mine, "home_member_rerank": reranked(mine),
             "home_member_no_history": theirs, "home_without_for_you": with_for_you(mine, [])}
    samples: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(args.calls):
        for name, get in pages.items():
            samples[name] += timed(get, 1, before=warm)
    results.update({name: percentiles(found) for name, found in samples.items()})
    results["parts"] = {"history": parts(user, args.calls // 2, warm),
                        "no history": parts(fresh, args.calls // 2, warm)}
    results["pool_candidates"] = len(refresh_pool().candidates)
    return results


PARTS = {"pool": "pool from the cache", "signals_version": "the signals' digest (the key)",
         "signals": "the reader's signals",
         "extras": "own candidates", "_allowed": "leaving out read and fewer",
         "_weigh": "weighing every candidate", "_varied": "variety rule",
         "_materialise": "cards' articles"}


def parts(user, calls: int, warm: WarmPool) -> dict[str, float]:
    """Mean milliseconds per warm ``for_you`` call that works the ranking out, in each of its
    steps (each step wrapped in a timer, whose own cost, under a microsecond a call, lands in
    the per-candidate steps)."""
    from broadsheet.curation import foryou

    spent: Counter = Counter()
    originals = {name: getattr(foryou, name) for name in PARTS}

    def wrapped(name: str, step: Callable) -> Callable:
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return step(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started
        return call

    for name, step in originals.items():
        setattr(foryou, name, wrapped(name, step))
    try:
        total = sum(timed(reranked(lambda: foryou.for_you(user, 10)), calls, before=warm))
    finally:
        for name, step in originals.items():
            setattr(foryou, name, step)
    found = {name: spent[name] * 1000 / calls for name in PARTS}
    found["other"] = total / calls - sum(found.values())
    found["total"] = total / calls
    return found


def with_for_you(get: Callable[[], object], items: list) -> Callable[[], object]:
    """The same page with For you's answer given: ``[]`` leaves the box empty (the rest of the
    page's time); the reader's own items, already worked out, leave only their cards' time."""
    from broadsheet.curation import foryou

    def call() -> object:
        real = foryou.for_you
        foryou.for_you = lambda *args, **kwargs: list(items)
        try:
            return get()
        finally:
            foryou.for_you = real

    return call


# --- the report --------------------------------------------------------------------------------

def machine() -> str:
    memory = 0.0
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 2**20
    return f"{os.cpu_count()} cores, {memory:.1f} GiB, load average {os.getloadavg()[0]:.2f}"


def commit() -> str:
    def git(*words: str) -> str:
        done = subprocess.run(["git", *words], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return (git("rev-parse", "--short", "HEAD") or "unknown") + (
        " with local changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def store() -> str:
    from django.db import connection

    from broadsheet.articles.models import Article

    return (f"{connection.vendor} {connection.settings_dict['NAME']}, "
            f"{Article.objects.count():,} articles")


def report(meta: dict, history: dict, results: dict) -> str:
    rows = [
        ("For you, pool cold (builds the pool and the ranking)", "for_you_cold"),
        ("For you, pool warm, ranking worked out", "for_you_rerank"),
        ("For you, pool warm, ranking worked out, same follows, no history",
         "for_you_fresh_rerank"),
        ("For you, pool warm, ranking kept (repeat visits: the default path)", "for_you_warm"),
        ("the periodic task: refresh_pool()", "refresh_pool"),
        ("home page `/`, member with the year of history", "home_member_history"),
        ("home page `/`, member with the history, ranking worked out on each page",
         "home_member_rerank"),
        ("home page `/`, member with no history", "home_member_no_history"),
        ("home page `/`, member with the history, For you's box empty", "home_without_for_you"),
    ]
    lines = [f"For you speed, {meta['date']}; {meta['store']}; commit {meta['commit']}; "
             f"{meta['machine']} at the start", "",
             f"Reader: {history}", "",
             "| what | calls | p50 ms | p95 ms | p99 ms | mean ms |",
             "| --- | --- | --- | --- | --- | --- |"]
    for label, key in rows:
        r = results[key]
        lines.append(f"| {label} | {r['n']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
                     f"| {r['mean']:.1f} |")
    home = results["home_member_history"]
    warm = results["for_you_warm"]
    rerank = results["home_member_rerank"]
    bare = results["home_without_for_you"]
    lines += ["", "Where a warm For you call that works the ranking out spends its time "
              f"(mean ms; the shared pool holds {results['pool_candidates']} candidates):", "",
              "| step | " + " | ".join(results["parts"]) + " |",
              "| --- |" + " --- |" * len(results["parts"])]
    for key in [*PARTS, "other", "total"]:
        cells = " | ".join(f"{found[key]:.1f}" for found in results["parts"].values())
        lines.append(f"| {PARTS.get(key, key)} | {cells} |")
    lines += ["",
              f"For you (warm) / home page with history, p50: {warm['p50'] / home['p50']:.2f}; "
              f"p95: {warm['p95'] / home['p95']:.2f}",
              f"home page with history / with For you's box empty, p50: "
              f"{home['p50'] / bare['p50']:.2f}; p95: {home['p95'] / bare['p95']:.2f}",
              f"home page with the ranking worked out / kept, p50: "
              f"{rerank['p50'] / home['p50']:.2f}; p95: {rerank['p95'] / home['p95']:.2f}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_django()
    from broadsheet.readers.models import User

    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "store": store(),
            "commit": commit(), "machine": machine()}
    user, history = reader(args.email, args)
    fresh = User.objects.filter(email=FRESH_READER).first() or make_member(FRESH_READER)
    results = measure(user, fresh, args)
    print(report(meta, history, results))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "history": history,
                                         "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
