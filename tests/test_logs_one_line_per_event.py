"""Each event is one log line, printed once; with BROADSHEET_LOG_FORMAT=json every line a
command writes to standard error is one JSON object. Checked on real `broadsheet` processes."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection
from polite_support import publish
from terminal import eventually

from broadsheet.logs import JsonFormatter

SRC = Path(__file__).resolve().parent.parent / "src"
FIELDS = {"timestamp", "level", "logger", "message"}


@pytest.fixture
def environ(transactional_db, tmp_path) -> dict[str, str]:
    """A `broadsheet` process's environment, on this test's database."""
    if connection.vendor == "sqlite":
        url = f"sqlite:///{tmp_path}/shared.sqlite3"
    else:
        s = connection.settings_dict
        url = (f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:"
               f"{s['PORT'] or 5432}/{s['NAME']}")
    env = {**os.environ, "BROADSHEET_HOME": str(tmp_path / "home"), "DATABASE_URL": url,
           "REDIS_URL": "", "BROADSHEET_FETCH_ALLOW_PRIVATE": "1",
           "BROADSHEET_FETCH_HOST_DELAY": "0", "BROADSHEET_EXTRACT_WORKERS": "1",
           "BROADSHEET_LOG_FORMAT": "json", "PYTHONPATH": str(SRC)}
    if connection.vendor == "sqlite":
        assert broadsheet(env, "migrate").returncode == 0
    return env


def broadsheet(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "broadsheet.cli", *args], env=env,
                          capture_output=True, text=True, timeout=180)


def json_lines(stderr: str) -> list[dict]:
    """Every line parsed as a JSON object with the four fields; fails on the first that is not."""
    entries = []
    for line in stderr.splitlines():
        entry = json.loads(line)
        assert isinstance(entry, dict) and entry.keys() >= FIELDS, line
        entries.append(entry)
    return entries


def test_a_fetch_writes_json_lines_and_no_progress_bar(environ, http_server):
    url = publish(http_server, ["harbour-wall", "tram-line"])
    added = broadsheet(environ, "sources", "add", url, "--publisher", "Gazette")
    assert added.returncode == 0, added.stderr
    fetched = broadsheet(environ, "fetch")
    assert fetched.returncode == 0, fetched.stderr
    json_lines(fetched.stderr)
    assert "2 new" in fetched.stdout
    assert "\x1b[" not in fetched.stdout + fetched.stderr  # no terminal drawing off a terminal

    missing = broadsheet(environ, "fetch", "--source", "99999")
    assert missing.returncode == 1
    [entry] = json_lines(missing.stderr)
    assert "no source with id 99999" in entry["message"]


def run_worker(env: dict[str, str], until: str) -> str:
    """Start `broadsheet worker`, wait for a line containing ``until``, stop it; its stderr."""
    worker = subprocess.Popen([sys.executable, "-m", "broadsheet.cli", "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(worker.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and not any(until in line for line in lines):
            time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=60)
        reader.join(timeout=10)
    assert any(until in line for line in lines), "".join(lines)
    return "".join(lines)


def test_the_worker_prints_each_event_once_as_json(environ):
    entries = json_lines(run_worker(environ, "executed in"))
    messages = [entry["message"] for entry in entries]
    started = [m for m in messages if m.startswith("Huey consumer started")]
    assert len(started) == 1, messages
    assert len(messages) == len(set(messages)), messages
    assert "Consumer exiting." in messages
    assert all(entry["level"] in {"INFO", "WARNING"} for entry in entries), entries


def test_plain_worker_lines_are_printed_once(environ):
    environ["BROADSHEET_LOG_FORMAT"] = "plain"
    lines = run_worker(environ, "executed in").splitlines()
    assert len([line for line in lines if "Huey consumer started" in line]) == 1, lines
    assert not any(line.startswith("+ ") for line in lines)  # a list is one event, one line


def test_a_json_line_carries_the_events_extra_fields_and_its_traceback():
    try:
        raise ValueError("feed was\nnot XML")
    except ValueError:
        record = logging.getLogger("broadsheet.sources").makeRecord(
            "broadsheet.sources", logging.ERROR, __file__, 1, "source %d failed", (7,),
            sys.exc_info(), extra={"source": 7, "url": "https://example.org/feed"})
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "source 7 failed" and entry["level"] == "ERROR"
    assert entry["logger"] == "broadsheet.sources"
    assert entry["source"] == 7 and entry["url"] == "https://example.org/feed"
    assert "ValueError: feed was" in entry["exception"]
    assert entry["timestamp"].endswith("+00:00")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_and_ask(env: dict[str, str], paths: list[str]) -> tuple[str, str]:
    """Start `broadsheet web`, request ``paths`` once it answers, stop it: (stdout, stderr)."""
    port = free_port()
    web = subprocess.Popen([sys.executable, "-m", "broadsheet.cli", "web", "--port", str(port),
                            "--workers", "1"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        eventually(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 90,
                   lambda: f"`broadsheet web` never answered (exit code {web.poll()})")
        for path in paths:
            httpx.get(f"http://127.0.0.1:{port}{path}", timeout=30)
    finally:
        web.send_signal(signal.SIGTERM)
        out, err = web.communicate(timeout=60)
    return out, err


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_web_server_writes_json_lines_for_its_own_and_access_logs(environ):
    out, err = serve_and_ask(environ, ["/healthz", "/no-such-page/?q=1"])
    entries = json_lines(err)  # every line, gunicorn's own included, is one JSON object
    loggers = {entry["logger"] for entry in entries}
    assert "gunicorn.error" in loggers, err
    assert any(e["message"].startswith("Starting gunicorn") for e in entries), err
    access = [e for e in entries if e["logger"] == "gunicorn.access"]
    missing = [e for e in access if e["path"] == "/no-such-page/"]
    assert missing and missing[0]["status"] == 404 and missing[0]["method"] == "GET", access
    assert missing[0]["query"] == "q=1" and missing[0]["duration_ms"] >= 0
    assert any(e["logger"] == "django.request" and "Not Found" in e["message"]
               for e in entries), err  # the app's own lines, from the web process
    assert out.strip() == "", out  # the access log joined the rest on standard error


def test_plain_web_server_keeps_gunicorns_format(environ):
    environ["BROADSHEET_LOG_FORMAT"] = "plain"
    out, err = serve_and_ask(environ, ["/healthz"])
    assert "Starting gunicorn" in err and not err.lstrip().startswith("{")
    assert '"GET /healthz HTTP/1.1" 200' in out
