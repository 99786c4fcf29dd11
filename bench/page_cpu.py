"""CPU per request: the processor time each reading surface costs, without a server or load.

    .venv/bin/python bench/page_cpu.py                     # members' pages, 10 URLs 5 times each
    .venv/bin/python bench/page_cpu.py --pages home,search --roles member --repeats 9
    .venv/bin/python bench/page_cpu.py --pages home --profile 25   # cProfile's top 25 functions
    PROFILE_SORT=tottime .venv/bin/python bench/page_cpu.py --pages feeds --profile 25

Wall time on a shared 2-core machine follows the neighbours' load; processor time
(``time.process_time``) follows only the work a request does, so two versions of the code can
be compared on a busy machine. Every request goes through Django's whole handler (middleware,
sessions, views, templates) in this process with the test client, on the store the environment
configures (``DATABASE_URL``, else SQLite under ``BROADSHEET_HOME``), as ``bench/pages.py`` does,
and cycles through the same URLs (the same seed chooses the same articles and search words).
On SQLite the database's work is in this process and counted; PostgreSQL's is in the server's
and is not, which ``queries`` per request hints at.

Prints a markdown table: page, role, URLs, processor ms per request (each URL's least of its
repeats, averaged over the URLs, and their median), mean wall ms, queries per request.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages  # noqa: E402  (the page benchmark: its store checks, member and URL pools)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default="home,section,article,story,search,following,"
                                           "api,feeds,greader")
    parser.add_argument("--roles", default="member", help="visitor, member or both")
    parser.add_argument("--repeats", type=int, default=5, help="times each URL is measured")
    parser.add_argument("--urls", type=int, default=10, help="URLs of each page measured")
    parser.add_argument("--member", help="email of the member account to use")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0,
                        help="print cProfile's N most expensive functions per page")
    return parser.parse_args(argv)


def client_for(page: pages.Page, role: str, credentials: pages.Credentials | None):
    """A test client that sends what ``bench/pages.py``'s load would send for this page."""
    from django.test import Client

    headers = {}
    if role == pages.MEMBER and credentials is not None:
        headers = pages.member_headers(page, credentials)
    return Client(SERVER_NAME="127.0.0.1", headers=headers)


def run_page(client, paths: list[str], repeats: int, urls: int, profile: int) -> dict:
    """Processor and wall time of each of the first ``urls`` paths, asked ``repeats`` times
    after one pass. A busy neighbour only ever adds time (a shared cache, a slower core), so
    the least of the repeats is taken as a path's cost, and averaged over the paths."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    chosen = paths[:urls]
    for path in chosen:
        _checked(client, path)
    profiler = cProfile.Profile() if profile else None
    least: dict[str, float] = {}
    wall, queries = [], []
    for _ in range(repeats):
        for path in chosen:
            with CaptureQueriesContext(connection) as captured:
                started, started_wall = time.process_time(), time.perf_counter()
                if profiler:
                    profiler.enable()
                _checked(client, path)
                if profiler:
                    profiler.disable()
                spent = (time.process_time() - started) * 1000
                wall.append((time.perf_counter() - started_wall) * 1000)
            least[path] = min(spent, least.get(path, spent))
            queries.append(len(captured.captured_queries))
    if profiler:
        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime: each function's own
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(order).print_stats(profile)
    return {"requests": repeats * len(chosen), "urls": len(chosen),
            "cpu_least": statistics.fmean(least.values()),
            "cpu_p50": statistics.median(least.values()),
            "wall_mean": statistics.fmean(wall), "queries": statistics.fmean(queries)}


def _checked(client, path: str) -> None:
    response = client.get(path)
    if response.status_code >= 400:
        raise SystemExit(f"page_cpu.py: {path} answered {response.status_code}")
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pages.setup_django()
    from django.conf import settings

    settings.DEBUG = False
    rng = random.Random(args.seed)
    terms = pages.choose_search_terms(rng, 3000, 10)
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    credentials = None
    if pages.MEMBER in roles:
        topic = terms.classes["medium"][0][0] if terms.classes["medium"] else None
        found = pages.find_member(args.member, topic)
        credentials = pages.sign_in(pages.Member(found.user, found.created), "")
    pools = pages.build_pools(rng, terms, credentials)
    print("| page | role | URLs | CPU ms, least of repeats (mean) | (median) | wall mean ms |"
          " queries |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    try:
        for page in pages.chosen_pages(args.pages):
            for role in (r for r in roles if r in page.roles):
                paths = pools.get((page.key, role))
                if not paths:
                    continue
                row = run_page(client_for(page, role, credentials), paths, args.repeats,
                               args.urls, args.profile)
                print(f"| {page.label} | {role} | {row['urls']} | {row['cpu_least']:.1f} | "
                      f"{row['cpu_p50']:.1f} | {row['wall_mean']:.1f} | {row['queries']:.1f} |",
                      flush=True)
    finally:
        if credentials is not None:
            pages.revoke(credentials, found.user.email)
    return 0


if __name__ == "__main__":
    sys.exit(main())
