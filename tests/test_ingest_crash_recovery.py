"""Killing `broadsheet fetch` mid-run, then running it again, stores every article exactly once."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from netfixture import Reply
from publisher_network import Story, article_page

ARTICLES = 150


def story(n: int) -> Story:
    paragraphs = tuple(
        f"Dispatch {n}, part {p}: the ferry service between the islands resumed on schedule "
        f"after the inspection, and the operator said passenger numbers for route {n} were "
        f"up by a fifth on the same week last year." for p in range(6))
    return Story(f"dispatch-{n}", f"Ferry dispatch number {n} resumes service", "World",
                 "Ada Brennan", paragraphs)


def serve(http_server) -> str:
    items = "".join(
        f"<item><title>Ferry dispatch number {n} resumes service</title>"
        f"<link>{http_server.url(f'/dispatch/{n}')}</link><guid>dispatch-{n}</guid>"
        f"<pubDate>Wed, 25 Nov 2026 09:{n % 60:02d}:00 GMT</pubDate></item>"
        for n in range(ARTICLES))
    http_server.route("/dispatch/feed.xml", headers={"Content-Type": "application/rss+xml"},
                      body=(f"<?xml version='1.0'?><rss version='2.0'><channel>"
                            f"<title>Island Dispatch</title>{items}</channel></rss>").encode())

    def page(request) -> Reply:
        n = int(request.path.rsplit("/", 1)[1])
        return Reply(body=article_page(story(n), http_server.url(f"/dispatch/{n}")),
                     headers={"Content-Type": "text/html; charset=utf-8"}, delay=0.1)

    for n in range(ARTICLES):
        http_server.route(f"/dispatch/{n}", handler=page)
    return http_server.url("/dispatch/feed.xml")


def stored(database: str) -> tuple[int, int]:
    with sqlite3.connect(database, timeout=30) as connection:
        return connection.execute(
            "SELECT COUNT(*), COUNT(DISTINCT canonical_url) FROM articles_article").fetchone()


@pytest.mark.slow  # kills a fetching process and starts another
def test_killed_fetch_resumes_without_duplicates(tmp_path, http_server):
    feed = serve(http_server)
    database = str(tmp_path / "crash.sqlite3")
    env = {**os.environ, "BROADSHEET_HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{database}",
           "BROADSHEET_FETCH_ALLOW_PRIVATE": "1", "BROADSHEET_FETCH_HOST_DELAY": "0",
           "BROADSHEET_FETCH_PER_HOST": "4", "BROADSHEET_EXTRACT_WORKERS": "1"}
    command = [sys.executable, "-m", "broadsheet.cli"]
    subprocess.run([*command, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*command, "sources", "add", feed], env=env, check=True, capture_output=True)

    run = subprocess.Popen([*command, "fetch"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and stored(database)[0] == 0:
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.wait()
    before, _ = stored(database)
    assert 0 < before < ARTICLES, "the kill should land mid-run"

    again = subprocess.run([*command, "fetch"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert stored(database) == (ARTICLES, ARTICLES)
    new = int(re.search(r"(\d+) new", again.stdout).group(1))
    assert new == ARTICLES - before
