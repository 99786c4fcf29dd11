"""End-to-end ingest speed beside trafilatura alone, in one run.

The 181 pages of the extraction benchmark are served from 127.0.0.1, one server and one RSS feed
(teasers only, so every page must be fetched) per original host. Broadsheet then fetches every feed
and page, extracts, sanitises and stores them in a fresh SQLite database, using both cores. In the
same run, trafilatura alone extracts the same pages, already in memory, in a single process.

    .venv/bin/python bench/ingest_speed.py [--data ../shared/data/extraction] [--workers 2]

Prints articles per second for both and their ratio (the goal is at least 0.8).
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import json
import os
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


def broadsheet_ingest(hosts: list[Host], workers: int) -> tuple[float, int, list]:
    from broadsheet.articles.models import Article
    from broadsheet.ingest.fetch import FetchPolicy
    from broadsheet.ingest.pipeline import run_sources
    from broadsheet.sources import state
    from broadsheet.sources.models import Publisher, Source

    for index, host in enumerate(hosts):
        publisher = Publisher.objects.create(name=f"Host {index}")
        Source.objects.create(publisher=publisher, url=f"{host.base}/feed.xml")
    jobs = state.jobs(Source.objects.order_by("id"))
    policy = FetchPolicy.from_settings(allow_private=True, host_delay=0.0, per_host=4)
    start = time.perf_counter()
    summary = run_sources(jobs, policy=policy, workers=workers)
    elapsed = time.perf_counter() - start
    stored = Article.objects.count()
    return stored / elapsed, stored, summary.failed_articles


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "extraction")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="broadsheet-bench-")
    os.environ.update(BROADSHEET_HOME=home, DATABASE_URL="", DJANGO_SETTINGS_MODULE=
                      "broadsheet.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)

    pages = load_pages(args.data)
    by_host: dict[str, list] = defaultdict(list)
    for page in pages:
        by_host[urlsplit(page[1]).hostname or ""].append(page)
    hosts = [Host(group) for group in by_host.values()]

    baseline = trafilatura_alone(pages)
    rate, stored, failures = broadsheet_ingest(hosts, args.workers)
    print(f"pages: {len(pages)} on {len(hosts)} hosts; cores: {os.cpu_count()}; "
          f"extract workers: {args.workers}")
    print(f"trafilatura alone, one process: {baseline:.1f} pages/s")
    print(f"broadsheet ingest, end to end:  {rate:.1f} articles/s ({stored} stored)")
    print(f"ratio: {rate / baseline:.2f}")
    for url, reason in failures:
        print(f"  not stored: {url}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
