"""A reader uses Debian's newsboat (its FeedHQ account type) with Broadsheet: signs in at
``/api/greader/``, gets their subscriptions and unread counts, opens an article (it lands in
their history), stars one (saved), marks a feed read, and sees an article they read on the site
turn read in newsboat after a reload.

newsboat runs for real, in a pseudo-terminal, against Broadsheet on a live HTTP server; what it
did is checked in Broadsheet's database and in the cache database newsboat writes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from api_support import PASSWORD, make_article, make_publisher, make_reader
from django.test import Client
from terminal import Terminal, eventually

from broadsheet.api import present
from broadsheet.api.greader import long_item_id
from broadsheet.readers.models import ReadingHistory, SavedArticle

NEWSBOAT = shutil.which("newsboat") or "/usr/bin/newsboat"
EMAIL = "newsboat@example.com"


@pytest.fixture
def newsboat() -> str:
    if not os.access(NEWSBOAT, os.X_OK):
        message = "newsboat is missing: run `make test-deps` (scripts/test-deps.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return NEWSBOAT


@pytest.fixture
def site(live_server, settings) -> str:
    """Broadsheet on 127.0.0.1, as the API base newsboat is given."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    return f"http://127.0.0.1:{urlsplit(live_server.url).port}"


@pytest.fixture
def world(transactional_db):
    gazette = make_publisher("The Harbour Gazette", "World")
    courier = make_publisher("Valley Courier", "Sport")
    articles = [make_article(gazette, n) for n in range(1, 4)]
    articles += [make_article(courier, n, section="Sport") for n in range(4, 6)]
    reader = make_reader("trial", EMAIL)
    return {"gazette": gazette, "courier": courier, "articles": articles, "reader": reader}


class Newsboat:
    """newsboat with its own configuration, cache and home in ``home``."""

    def __init__(self, program: str, home: Path, base: str) -> None:
        self.program, self.home = program, home
        self.config, self.cache = home / "config", home / "cache.db"
        self.urls = home / "urls"
        self.urls.write_text("")
        password = home / "password"
        password.write_text(PASSWORD + "\n")
        password.chmod(0o600)
        self.config.write_text("\n".join([
            'urls-source "feedhq"',
            f'feedhq-url "{base}"',
            f'feedhq-login "{EMAIL}"',
            f'feedhq-passwordfile "{password}"',
            'feedhq-flag-star "s"',
            "feedhq-min-items 20",
            "feedhq-show-special-feeds no",
            "download-timeout 15",
            "show-read-feeds yes",
            "show-read-articles yes",
            "confirm-exit no",
            "",
        ]))
        self.env = {"HOME": str(home), "TERM": "xterm", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "XDG_CONFIG_HOME": str(home / ".config"),
                    "XDG_DATA_HOME": str(home / ".local/share")}

    def argv(self, *extra: str) -> list[str]:
        return [self.program, "-C", str(self.config), "-u", str(self.urls),
                "-c", str(self.cache), *extra]

    def run(self, *extra: str) -> str:
        """A non-interactive run (``-x …``); its output."""
        done = subprocess.run(self.argv(*extra), env=self.env, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, (done.stdout, done.stderr)
        return done.stdout

    def items(self) -> dict[str, dict]:
        """The articles in newsboat's cache by guid: title, feed url, unread, flags."""
        with sqlite3.connect(self.cache) as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT guid, title, feedurl, unread, flags FROM rss_item")
            return {row["guid"]: dict(row) for row in rows}

    def feeds(self) -> dict[str, str]:
        """The feeds in newsboat's cache: url → title."""
        with sqlite3.connect(self.cache) as db:
            return dict(db.execute("SELECT rssurl, title FROM rss_feed"))


def guid(article) -> str:
    return long_item_id(article.pk)


def read_ids(reader) -> dict[int, bool]:
    """The reader's history in Broadsheet: article id → read in full."""
    return dict(ReadingHistory.objects.filter(user=reader).values_list("article_id", "full"))


def test_reader_reads_in_newsboat(newsboat, site, world, tmp_path):
    reader, articles = world["reader"], world["articles"]
    gazette, courier = articles[:3], articles[3:]
    app = Newsboat(newsboat, tmp_path, f"{site}/api/greader/")

    # Signing in and the first sync: both subscriptions, every article unread.
    app.run("-x", "reload")
    assert sorted(app.feeds().values()) == ["The Harbour Gazette", "Valley Courier"]
    items = app.items()
    assert set(items) == {guid(a) for a in articles}
    assert all(item["unread"] == 1 for item in items.values())
    assert app.run("-x", "print-unread").strip() == "5 unread articles"

    with Terminal(app.argv(), env=app.env) as term:
        term.wait_for("Valley Courier")
        term.press("\r")  # the first feed, The Harbour Gazette
        term.wait_for("Record tide number 1")
        term.press("\r")  # open its first article
        term.wait_for("Opening paragraph")
        # newsboat reports the article read with the first key pressed over it; ^E is
        # edit-flags, and "s" the star, a saved article in Broadsheet.
        term.press("\x05")
        term.wait_for("Flags:")
        term.press("s\r")
        [opened] = eventually(lambda: list(read_ids(reader)), 20,
                              lambda: "opening an article in newsboat recorded no reading")
        assert opened in {a.pk for a in gazette}
        assert read_ids(reader) == {opened: True}  # read in full: a trial member
        eventually(lambda: SavedArticle.objects.filter(user=reader, article_id=opened).exists(),
                   20, lambda: "starring in newsboat saved nothing")
        term.press("q")  # back to the article list
        term.press("q")  # back to the feed list, on The Harbour Gazette
        term.press("A")  # mark the feed read
        eventually(lambda: set(read_ids(reader)) == {a.pk for a in gazette}, 20,
                   lambda: f"marking the feed read left {read_ids(reader)}")
        term.press("q")
        assert term.wait_exit() == 0

    # Catching up on a feed is not reading the articles in it.
    assert read_ids(reader) == {a.pk: a.pk == opened for a in gazette}
    items = app.items()
    assert "s" in (items[long_item_id(opened)]["flags"] or "")
    assert all(items[guid(a)]["unread"] == 0 for a in gazette)

    # Read on the site, then reloaded in newsboat: read there too.
    browser = Client()
    browser.force_login(reader)
    assert browser.get(present.article_path(courier[0])).status_code == 200
    assert courier[0].pk in read_ids(reader)
    app.run("-x", "reload")
    items = app.items()
    assert items[guid(courier[0])]["unread"] == 0
    assert items[guid(courier[1])]["unread"] == 1
    assert app.run("-x", "print-unread").strip() == "1 unread articles"
