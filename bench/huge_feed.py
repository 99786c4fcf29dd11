"""What one fetch of a huge feed costs: a feed of N items served from 127.0.0.1, checked through
the ingest pipeline into a fresh SQLite database, with the per-fetch cap on new items.

    .venv/bin/python bench/huge_feed.py                      # 100,000 items, JSON Feed and RSS
    .venv/bin/python bench/huge_feed.py -n 100000 --format rss --fetches 3 --max-items 300

Items carry no page (JSON Feed ``content_text``, RSS ``description``) and are dated a minute
apart, oldest first, so the newest are at the end of the body. Each fetch prints its wall time,
the articles it stored and the source's notice; the run fails if a fetch stores other than the
cap.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

BASE = datetime(2026, 3, 1, tzinfo=UTC)


def json_body(n: int) -> bytes:
    items = [{"id": f"item-{i}", "content_text": f"Dispatch number {i}.",
              "date_published": (BASE + timedelta(minutes=i)).isoformat()} for i in range(n)]
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Firehose",
                       "items": items}).encode()


def rss_body(n: int) -> bytes:
    items = "".join(
        f"<item><guid isPermaLink='false'>item-{i}</guid><description>Dispatch number {i}."
        f"</description><pubDate>{(BASE + timedelta(minutes=i)):%a, %d %b %Y %H:%M:%S} GMT"
        f"</pubDate></item>" for i in range(n))
    return (f"<?xml version='1.0'?><rss version='2.0'><channel><title>Firehose</title>{items}"
            f"</channel></rss>").encode()


def serve(bodies: dict[str, tuple[str, bytes]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the base class names it
            content_type, body = bodies[self.path]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="items in the feed")
    parser.add_argument("--format", choices=["json", "rss", "both"], default="both")
    parser.add_argument("--fetches", type=int, default=2, help="fetches of each feed")
    parser.add_argument("--max-items", type=int, default=0,
                        help="the cap (default: BROADSHEET_FETCH_MAX_ITEMS)")
    parser.add_argument("--workers", type=int, default=0, help="page workers; 0: one per core")
    args = parser.parse_args()

    os.environ.update(BROADSHEET_HOME=tempfile.mkdtemp(prefix="broadsheet-huge-"),
                      DATABASE_URL="", DJANGO_SETTINGS_MODULE="broadsheet.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from broadsheet.articles.models import Article
    from broadsheet.ingest.fetch import FetchPolicy
    from broadsheet.poll.pipeline import run_sources
    from broadsheet.sources import state
    from broadsheet.sources.models import Publisher, Source

    formats = ["json", "rss"] if args.format == "both" else [args.format]
    made = {"json": ("application/feed+json", json_body), "rss": ("application/rss+xml", rss_body)}
    bodies = {f"/{name}": (made[name][0], made[name][1](args.n)) for name in formats}
    server = serve(bodies)
    policy = FetchPolicy.from_settings(allow_private=True, host_delay=0.0, max_bytes=64 << 20,
                                       **({"max_items": args.max_items} if args.max_items else {}))
    failed = False
    for name in formats:
        publisher = Publisher.objects.create(name=f"Firehose {name}")
        source = Source.objects.create(
            publisher=publisher, url=f"http://127.0.0.1:{server.server_port}/{name}")
        size = len(bodies[f"/{name}"][1])
        print(f"{name}: {args.n:,} items, {size / 1e6:.1f} MB, cap {policy.max_items}")
        for fetch in range(1, args.fetches + 1):
            before = Article.objects.filter(source=source).count()
            started = time.perf_counter()
            run_sources(state.jobs(Source.objects.filter(pk=source.pk)), policy=policy,
                        workers=args.workers)
            took = time.perf_counter() - started
            stored = Article.objects.filter(source=source).count() - before
            source.refresh_from_db()
            print(f"  fetch {fetch}: {took:.2f} s, {stored} articles stored; "
                  f"notice: {source.notice!r}")
            failed |= stored != min(policy.max_items, args.n - before)
    server.shutdown()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
