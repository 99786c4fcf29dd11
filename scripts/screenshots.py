"""Screenshots of the reader app for the README, made from the offline demo network.

    .venv/bin/python scripts/screenshots.py          (or `make screenshots`)

Starts the sample publisher network on 127.0.0.1, ingests it into a throwaway BROADSHEET_HOME
(SQLite), serves the app on a free local port and photographs home, an article and a search
with Debian's Chromium, at phone and desktop width, into docs/screenshots/.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "screenshots only 2024"
SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
              "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 860}, "device_scale_factor": 1},
}


def prepare_environment(home: str) -> None:
    """A private home and SQLite database; the demo network lives on 127.0.0.1."""
    os.environ.update({
        "BROADSHEET_HOME": home,
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "BROADSHEET_DEBUG": "0",
        "BROADSHEET_FETCH_ALLOW_PRIVATE": "1",
        "BROADSHEET_LOAD_PUBLISHERS": "0",
        "BROADSHEET_TIME_ZONE": "Europe/London",
        "DJANGO_SETTINGS_MODULE": "broadsheet.config.settings",
        # Playwright's sync API keeps an event loop in this thread next to plain ORM calls.
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
    })
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def ingest_demo(network) -> int:
    """Fetch every feed of the sample network once; the number of articles stored."""
    from django.conf import settings

    from broadsheet.articles.models import Article
    from broadsheet.cli import _subscribe_demo
    from broadsheet.ingest.fetch import FetchPolicy
    from broadsheet.poll.pipeline import run_sources
    from broadsheet.sources import state

    sources = _subscribe_demo(network)
    policy = FetchPolicy.from_settings(allow_private=True, host_delay=0.0, per_host=8)
    run_sources(state.jobs(sources), policy=policy, workers=settings.EXTRACT_WORKERS)
    return Article.objects.count()


@contextmanager
def app_server():
    """The app on a free port of 127.0.0.1, in a thread, for as long as the block runs."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def make_member() -> str:
    from datetime import timedelta

    from django.utils import timezone

    from broadsheet.readers.models import Membership, User

    email = "reader@example.com"
    user = User.objects.create_user(email, PASSWORD)
    Membership.objects.create(user=user, state=Membership.State.TRIALING,
                              trial_ends_at=timezone.now() + timedelta(days=14))
    return email


def pick_article():
    """A recent article with a lead image and a real body, for the article screenshot."""
    from broadsheet.articles.models import Article

    candidates = Article.objects.exclude(image_url="").filter(word_count__gte=200)
    return (candidates.order_by("-published_at").first()
            or Article.objects.order_by("-published_at").first())


def pick_query(article) -> str:
    """A word from the article's headline that search will find (and highlight)."""
    words = [w.strip(".,:;'\"!?()") for w in article.title.split()]
    return max(words, key=len).lower()


def shoot(browser, base_url: str, email: str, article_path: str, query: str) -> list[Path]:
    from playwright.sync_api import expect

    OUT.mkdir(parents=True, exist_ok=True)
    made = []
    for size, options in SIZES.items():
        ctx = browser.new_context(base_url=base_url, color_scheme="light", locale="en-GB",
                                  **options)
        page = ctx.new_page()
        page.goto("/")
        made.append(snap(page, f"home-{size}"))
        page.goto(f"/search?q={query}")
        made.append(snap(page, f"search-{size}"))
        page.goto("/account/signin/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("link", name="Account")).to_be_visible()
        page.goto(article_path)
        made.append(snap(page, f"article-{size}"))
        ctx.close()
    return made


def snap(page, name: str) -> Path:
    page.wait_for_load_state("networkidle")
    page.evaluate("() => document.fonts.ready")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    print(f"  {path.relative_to(ROOT)}")
    return path


def main() -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        print(f"{CHROMIUM} is missing: run scripts/test-deps.sh first", file=sys.stderr)
        return 1
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="broadsheet-screenshots-") as home:
        prepare_environment(home)
        from django.core.management import call_command
        from playwright.sync_api import sync_playwright

        from broadsheet.demo.network import DemoNetwork
        from broadsheet.web.links import article_path

        call_command("migrate", interactive=False, verbosity=0)
        with DemoNetwork() as network:
            count = ingest_demo(network)
            print(f"Ingested {count} articles from the sample network at {network.base_url}")
            email = make_member()
            article = pick_article()
            query = pick_query(article)
            with app_server() as base_url, sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                          "--disable-background-networking", "--no-first-run"])
                print(f"Photographing {base_url}:")
                shoot(browser, base_url, email, article_path(article), query)
                browser.close()
    print(f"Done in {time.monotonic() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
