"""Many worker processes against one PostgreSQL and one Redis: the parts the tests run.

- ``PrivateRedis`` and ``PrivatePostgres``: servers of the test's own on free ports, which a test
  may stop and start again (the shared servers are never touched).
- ``NewsSite``: a real HTTP server of feeds whose answers are slow enough for fetches to overlap;
  it records when each feed was being answered, so a test can see two fetches of one source at
  once. Its stories are carried as wire copies (the same text) by several publishers.
- ``Installation``: one installation's environment, its helpers run as separate processes, and
  ``broadsheet worker`` processes with a log each.
"""

from __future__ import annotations

import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SRC = Path(__file__).resolve().parent.parent / "src"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def need(condition: bool, reason: str) -> None:
    """Skip when a tool is missing on a developer's machine; under CI it is a failure."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def wait_for(check, seconds: float, what: str, every: float = 0.2):
    """Poll ``check`` until it returns something true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(every)


# --- Servers of the test's own -------------------------------------------------------------------


class PrivateRedis:
    """``redis-server`` on a free port, appending every write to disk: a restart keeps the
    queue."""

    def __init__(self, folder: Path) -> None:
        need(shutil.which("redis-server") is not None, "redis-server is not installed")
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=(self.folder / "redis.log").open("a"), stderr=subprocess.STDOUT)
        import redis

        wait_for(lambda: _answers(lambda: redis.Redis(port=self.port).ping()), 10,
                 "the private Redis to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


class PrivatePostgres:
    """A PostgreSQL 15 cluster in a temporary folder, on a free port, run as the postgres user."""

    def __init__(self) -> None:
        need((PG_BIN / "initdb").exists(), f"PostgreSQL 15 is not installed in {PG_BIN}")
        # Its own folder in /tmp: the postgres user cannot enter pytest's private folders.
        self.folder = Path(tempfile.mkdtemp(prefix="broadsheet-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/broadsheet"
        self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                           "--auth=trust", "-E", "UTF8", "--no-sync"])

    def _as_postgres(self, command: list[str]) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(prefix + command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                           "-l", str(self.folder / "postgres.log"), "-w", "start"])

    def create_database(self) -> None:
        import psycopg

        admin = self.url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("CREATE DATABASE broadsheet")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode,
                               "-w", "stop"])

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _answers(call) -> bool:
    try:
        return bool(call())
    except Exception:  # noqa: BLE001 - not up yet
        return False


# --- Feeds ----------------------------------------------------------------------------------------

_VOCABULARY = ('harbour council budget river bridge school hospital rail station ferry market '
               'farmers election turnout museum library storm flood energy grid wind solar tariff '
               'port crews union wages housing rents tenants court ruling appeal minister treasury '
               'bond yields bank lending inflation prices wheat harvest drought reservoir water '
               'pipeline workers strike talks deal league final stadium coach season transfer fans '
               'tickets airport runway noise residents planning permit towers skyline heritage '
               'cathedral repairs ')
WORDS = _VOCABULARY.split()


def paragraphs(seed: int, count: int = 8) -> str:
    chooser = random.Random(seed)
    return "".join("<p>" + " ".join(chooser.choice(WORDS) for _ in range(30)).capitalize()
                   + f". Paragraph {n}.</p>" for n in range(count))


@dataclass
class NewsSite:
    """``sources`` feeds of ``items`` items each; the first ``wire`` items of every feed are
    copies of wire stories shared with the neighbouring feeds."""

    sources: int = 9
    items: int = 6
    wire: int = 3
    delay: float = 0.4  # seconds each feed takes to answer
    visits: list[tuple[str, float, float]] = field(default_factory=list)  # (path, start, end)
    started: list[str] = field(default_factory=list)  # paths whose answer began
    port: int = 0

    def feed(self, number: int) -> bytes:
        items = []
        for index in range(self.items):
            if index < self.wire:
                story = (number // 3) * self.wire + index  # three neighbouring feeds share it
                title, body = f"Wire story {story} as told by outlet {number}", paragraphs(story)
            else:
                title = f"Outlet {number} own report {index}"
                body = paragraphs(10_000 + number * 100 + index)
            items.append(
                f"<item><title>{title}</title><link>http://127.0.0.1:{self.port}/o{number}/a{index}"
                f"</link><guid>o{number}-a{index}</guid><description>{title}.</description>"
                f"<pubDate>Mon, 07 Dec 2026 0{index}:{number:02d}:00 GMT</pubDate>"
                f"<content:encoded><![CDATA[{body}]]></content:encoded></item>")
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
                f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
                f"<title>Outlet {number}</title><link>http://127.0.0.1:{self.port}/</link>"
                + "".join(items) + "</channel></rss>").encode()

    def feed_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port}/feed/{n}.xml" for n in range(self.sources)]

    def expected_articles(self) -> int:
        return self.sources * self.items

    def overlapping_fetches(self) -> list[tuple[str, float, float]]:
        """Fetches of a feed that began while another fetch of the same feed was answered."""
        overlaps = []
        by_path: dict[str, list[tuple[float, float]]] = {}
        for path, start, end in sorted(self.visits, key=lambda visit: visit[1]):
            earlier = by_path.setdefault(path, [])
            if any(start < other_end for _, other_end in earlier):
                overlaps.append((path, start, end))
            earlier.append((start, end))
        return overlaps


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        site: NewsSite = self.server.site  # type: ignore[attr-defined]
        match = re.fullmatch(r"/feed/(\d+)\.xml", self.path)
        if not match or int(match.group(1)) >= site.sources:
            self.send_error(404)
            return
        started = time.time()
        site.started.append(self.path)
        time.sleep(site.delay)
        body = site.feed(int(match.group(1)))
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        try:
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the worker gave up on it (killed, or its batch failed): still a visit
        site.visits.append((self.path, started, time.time()))

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def news_site(**options):
    site = NewsSite(**options)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.site = site  # type: ignore[attr-defined]
    site.port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        server.shutdown()


# --- An installation and its workers -----------------------------------------------------------


class Installation:
    def __init__(self, home: Path, database_url: str, redis_url: str, **settings: str) -> None:
        self.home = home
        path = f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
        self.database_url = database_url
        self.env = {**os.environ, "PYTHONPATH": path,
                    "BROADSHEET_HOME": str(home), "DATABASE_URL": database_url,
                    "REDIS_URL": redis_url, "BROADSHEET_FETCH_ALLOW_PRIVATE": "1",
                    "BROADSHEET_FETCH_HOST_DELAY": "0", "BROADSHEET_EXTRACT_WORKERS": "1",
                    "BROADSHEET_WORKERS": "2", "BROADSHEET_LOG_FORMAT": "json",
                    "PROMETHEUS_MULTIPROC_DIR": str(home / "metrics"), **settings}
        self.workers: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def broadsheet(self, *args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", "broadsheet.cli", *args], env=self.env,
                              capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr[-3000:]
        return done

    def python(self, code: str, timeout: float = 120) -> str:
        script = ("import os, json; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
                  "'broadsheet.config.settings'); import django; django.setup()\n" + code)
        done = subprocess.run([sys.executable, "-c", script], env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def add_sources(self, urls: list[str]) -> None:
        self.python("from broadsheet.sources.models import Publisher, Source\n"
                    f"for n, url in enumerate({urls!r}):\n"
                    "    publisher = Publisher.objects.create(name=f'Outlet {n}',\n"
                    "                                         slug=f'outlet-{n}')\n"
                    "    Source.objects.create(publisher=publisher, url=url)\n")

    def start_worker(self) -> subprocess.Popen:
        log = self.home / f"worker-{len(self.workers)}.log"
        worker = subprocess.Popen([sys.executable, "-m", "broadsheet.cli", "worker"],
                                  env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        self.workers.append(worker)
        self.logs.append(log)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGINT)
        for worker in self.workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    def log_lines(self) -> list[dict]:
        return [line for log in self.logs for line in self.read_log(log)]

    @staticmethod
    def read_log(log: Path) -> list[dict]:
        """A worker's JSON log lines (a line that is not JSON is kept as its message)."""
        lines = []
        for line in log.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                lines.append({"message": line, "level": "RAW"})
        return lines

    def periodic_runs(self) -> list[tuple[str, str]]:
        """(task, period) for every run of a periodic task any worker logged."""
        runs = []
        for line in self.log_lines():
            found = re.fullmatch(r"(\S+) runs for the period from (\S+)", line.get("message", ""))
            if found:
                runs.append((found.group(1), found.group(2)))
        return runs

    def poll(self, pollers: int = 1) -> None:
        """Several schedulers poll at the same moment, as on several machines."""
        script = ("import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
                  "'broadsheet.config.settings'); import django; django.setup()\n"
                  "from broadsheet.poll.tasks import poll_due_sources\n"
                  "poll_due_sources.call_local()")
        running = [subprocess.Popen([sys.executable, "-c", script], env=self.env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                   for _ in range(pollers)]
        for process in running:
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err[-2000:]

    def settled(self, expected: int, checked_after=None) -> dict | None:
        """The state once every source was checked (after ``checked_after``) and every
        article placed in a story; None before."""
        state = self.state()
        checked = all(s["last_checked_at"] and (checked_after is None
                                                or s["last_checked_at"] > checked_after)
                      for s in state["sources"])
        placed = all(a["story_id"] for a in state["articles"])
        return state if checked and placed and len(state["articles"]) >= expected else None

    def state(self) -> dict:
        """What the database holds: articles, their stories, and the sources' checks (read
        straight from PostgreSQL: a helper process would take seconds to start)."""
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self.database_url, row_factory=dict_row) as connection:
            articles = connection.execute(
                "SELECT id, url, guid, source_id, story_id, duplicate_of_id, title "
                "FROM articles_article").fetchall()
            stories = connection.execute(
                "SELECT id, article_count, merged_into_id FROM stories_story").fetchall()
            sources = connection.execute(
                "SELECT id, last_checked_at, next_check_at, status, last_error "
                "FROM sources_source").fetchall()
        return {"articles": articles, "stories": {s["id"]: s for s in stories},
                "sources": sources}


def story_problems(state: dict) -> list[str]:
    """What is inconsistent in the stories: articles without a story or in a merged one, counts
    that disagree, and wire copies of one text split between stories."""
    problems = []
    members: dict[int, int] = {}
    wire: dict[str, set] = {}
    for article in state["articles"]:
        story = state["stories"].get(article["story_id"])
        if story is None:
            problems.append(f"article {article['id']} has no story")
            continue
        if story["merged_into_id"] is not None:
            problems.append(f"article {article['id']} is in merged story {story['id']}")
        members[story["id"]] = members.get(story["id"], 0) + 1
        found = re.match(r"Wire story (\d+) ", article["title"])
        if found:
            wire.setdefault(found.group(1), set()).add(article["story_id"])
    for story in state["stories"].values():
        held = members.get(story["id"], 0)
        if story["merged_into_id"] is None and story["article_count"] != held:
            problems.append(f"story {story['id']} counts {story['article_count']} articles, "
                            f"holds {held}")
    problems += [f"wire story {number} split into stories {sorted(found)}"
                 for number, found in wire.items() if len(found) > 1]
    return problems


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


# --- Migrated databases, quickly --------------------------------------------------------------

def _admin_connection():
    import psycopg
    from backup_support import server_url

    admin = server_url("postgres")
    try:
        return psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        need(False, f"PostgreSQL is not reachable at {admin}: {error}")
        raise


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> str:
    """A database migrated once per test session; each test copies it (CREATE DATABASE ...
    TEMPLATE), which takes a second where migrating takes twenty."""
    from backup_support import server_url

    name = f"bs_many_template_{os.getpid()}"
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    home = tmp_path_factory.mktemp("template-home")
    Installation(home, server_url(name), "").broadsheet("migrate")
    yield name
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_from(template: str, name: str):
    """A new database copied from the migrated ``template``; its URL. Dropped afterwards."""
    from backup_support import server_url

    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield server_url(name)
    finally:
        with _admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_database(template: str, target_url: str) -> None:
    """Copy the migrated ``template`` into another server's database with pg_dump and psql."""
    from backup_support import server_url

    dump = subprocess.run([str(PG_BIN / "pg_dump"), "--no-owner", server_url(template)],
                          capture_output=True, timeout=120, check=True).stdout
    subprocess.run([str(PG_BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", target_url],
                   input=dump, capture_output=True, timeout=120, check=True)
