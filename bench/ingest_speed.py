"""End-to-end ingest speed beside trafilatura alone, in one run.

The 181 pages of the extraction benchmark are served from 127.0.0.1, one server and one RSS feed
(teasers only, so every page must be fetched) per original host. Broadsheet then fetches every feed
and page, extracts, sanitises and stores them in a fresh SQLite database, using both cores. In the
same run, trafilatura alone extracts the same pages, already in memory, in a single process.

    .venv/bin/python bench/ingest_speed.py [--data ../shared/data/extraction] [--workers 2]

Prints articles per second for both and their ratio (the goal is at least 0.8), and the share
of the time, cluster stage included, spent tagging stories with topics (the goal: under 10%).
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent


def load_pages(data: Path) -> list[tuple[str, str, bytes]]:
    truth = json.loads((data / "ground-truth.json").read_text())
    pages = []
    for page_id, item in sorted(truth.items()):
        html = gzip.decompress((data / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append((page_id, item["url"], html))
    return pages


class Host:
    """One original publisher host, served from its own port on 127.0.0.1."""

    def __init__(self, pages: list[tuple[str, str, bytes]]) -> None:
        self.routes: dict[str, tuple[str, bytes]] = {}
        host = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                content_type, body = host.routes.get(self.path, ("text/plain", b""))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        items = []
        for index, (page_id, url, html) in enumerate(pages):
            path = f"/article/{index}/{page_id[:12]}"
            self.routes[path] = ("text/html; charset=utf-8", html)
            items.append(
                f"<item><title>Article {escape(page_id[:12])}</title>"
                f"<link>{self.base}{path}</link><guid>{page_id}</guid>"
                f"<description>Originally at {escape(url)}</description></item>")
        feed = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
                f"<title>{escape(urlsplit(pages[0][1]).hostname or 'site')}</title>"
                f"<link>{self.base}/</link>{''.join(items)}</channel></rss>")
        self.routes["/feed.xml"] = ("application/rss+xml", feed.encode())
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def trafilatura_alone(pages: list[tuple[str, str, bytes]]) -> float:
    import trafilatura

    texts = [html.decode("utf-8", "replace") for _, _, html in pages]
    start = time.perf_counter()
    for (_, url, _), text in zip(pages, texts, strict=True):
        trafilatura.extract(text, url=url, include_comments=False)
    return len(pages) / (time.perf_counter() - start)


def broadsheet_ingest(bases: list[str], workers: int) -> tuple[float, float, int, list]:
    """Articles per second through ingest alone, and through ingest plus the cluster stage."""
    from broadsheet.articles.models import Article
    from broadsheet.ingest.fetch import FetchPolicy
    from broadsheet.poll.pipeline import Pipeline
    from broadsheet.sources import state
    from broadsheet.sources.models import Publisher, Source

    for index, base in enumerate(bases):
        publisher = Publisher.objects.create(name=f"Host {index}")
        Source.objects.create(publisher=publisher, url=f"{base}/feed.xml")
    jobs = state.jobs(Source.objects.order_by("id"))
    policy = FetchPolicy.from_settings(allow_private=True, host_delay=0.0, per_host=4)
    topics = _timed_topics()
    start = time.perf_counter()
    with Pipeline(policy, workers=workers, cluster=False) as pipeline:
        summary = pipeline.run(jobs)
    ingested = time.perf_counter() - start
    Pipeline.cluster_and_rank()
    clustered = time.perf_counter() - start
    stored = Article.objects.count()
    return (stored / ingested, stored / clustered, stored, summary.failed_articles,
            topics["seconds"] / clustered)


def _timed_topics() -> dict[str, float]:
    """Time spent tagging stories with topics (inside the cluster stage), as it runs."""
    from broadsheet.stories import tagging

    spent = {"seconds": 0.0}
    tag = tagging.tag_stories

    def timed(story_ids):
        began = time.perf_counter()
        try:
            return tag(story_ids)
        finally:
            spent["seconds"] += time.perf_counter() - began

    tagging.tag_stories = timed
    return spent


def serve(data: Path) -> None:
    """The publisher hosts, in their own process: the ingest process stays single-threaded."""
    hosts = [Host(group) for group in group_by_host(load_pages(data))]
    print(json.dumps([host.base for host in hosts]), flush=True)
    sys.stdin.read()  # until the parent closes our stdin


def group_by_host(pages: list) -> list[list]:
    by_host: dict[str, list] = defaultdict(list)
    for page in pages:
        by_host[urlsplit(page[1]).hostname or ""].append(page)
    return list(by_host.values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "extraction")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.data)
        return 0

    home = tempfile.mkdtemp(prefix="broadsheet-bench-")
    os.environ.update(BROADSHEET_HOME=home, DATABASE_URL="", DJANGO_SETTINGS_MODULE=
                      "broadsheet.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)

    pages = load_pages(args.data)
    server = subprocess.Popen([sys.executable, __file__, "--serve", "--data", str(args.data)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        bases = json.loads(server.stdout.readline())
        baseline = trafilatura_alone(pages)
        rate, with_stories, stored, failures, topics_share = broadsheet_ingest(bases,
                                                                              args.workers)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    print(f"pages: {len(pages)} on {len(bases)} hosts; cores: {os.cpu_count()}; "
          f"extract workers: {args.workers}")
    print(f"trafilatura alone, one process: {baseline:.1f} pages/s")
    print(f"broadsheet ingest, end to end:  {rate:.1f} articles/s ({stored} stored); "
          f"ratio {rate / baseline:.2f}")
    print(f"with the cluster stage too:     {with_stories:.1f} articles/s; "
          f"ratio {with_stories / baseline:.2f}")
    print(f"of which story topics:          {topics_share:.1%} of the time")
    for url, reason in failures:
        print(f"  not stored: {url}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
