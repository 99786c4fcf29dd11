"""The worker checks due sources in the background, on Huey's SQLite storage and on Redis."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Worker Weekly</title><link>http://127.0.0.1/</link>
<item><title>Night shift keeps the presses running</title>
<link>http://127.0.0.1/night-shift</link><guid>night-shift</guid>
<pubDate>Thu, 26 Nov 2026 08:00:00 GMT</pubDate>
<content:encoded><![CDATA[""" + b"".join(
    b"<p>The night shift at the printing works kept the presses running through the storm, "
    b"with crews rotating every four hours and the generator fed by hand. Paragraph %d.</p>" % i
    for i in range(12)) + b"""]]></content:encoded></item>
</channel></rss>"""


@pytest.fixture
def feed_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "feed.xml").write_bytes(FEED)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/feed.xml"
    server.shutdown()


def broadsheet(env: dict[str, str], *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "broadsheet.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, **kwargs)


def python(env: dict[str, str], code: str) -> str:
    script = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', " \
             "'broadsheet.config.settings'); django.setup()\n" + code
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow  # a worker process of its own
@pytest.mark.parametrize("queue", ["sqlite", "redis"])
def test_worker_checks_due_sources(queue, tmp_path, feed_server):
    env = {**os.environ, "BROADSHEET_HOME": str(tmp_path / "home"),
           "DATABASE_URL": f"sqlite:///{tmp_path}/worker.sqlite3",
           "BROADSHEET_FETCH_ALLOW_PRIVATE": "1", "REDIS_URL": ""}
    if queue == "redis":
        url = os.environ.get("BROADSHEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        redis.Redis.from_url(url).flushdb()  # a missing Redis fails here, loudly
        env["REDIS_URL"] = url
    assert broadsheet(env, "migrate").returncode == 0
    added = broadsheet(env, "sources", "add", feed_server, "--section", "Business")
    assert added.returncode == 0, added.stderr

    log_path = tmp_path / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "broadsheet.cli", "worker"], env=env,
                              stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    try:
        # Ask for a poll now rather than waiting for the next minute's periodic one.
        python(env, "from broadsheet.poll.tasks import poll_due_sources\n"
                    "poll_due_sources()")
        deadline = time.monotonic() + 120
        exported = ""
        while time.monotonic() < deadline:
            exported = broadsheet(env, "articles", "export", "--format", "jsonl").stdout
            if exported.strip():
                break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert exported.strip(), f"the worker stored nothing; its log:\n{log_path.read_text()}"
    records = [json.loads(line) for line in exported.splitlines()]
    assert [r["title"] for r in records] == ["Night shift keeps the presses running"]
    assert records[0]["publisher"] == "Worker Weekly"
    assert records[0]["section"] == "Business"
    assert Path(tmp_path / "home" / ("huey.sqlite3")).exists() == (queue == "sqlite")
