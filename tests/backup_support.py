"""An installation in a folder of its own, driven as an operator drives it: by the command line.

Backups, restores and copies act on a real SQLite file in $BROADSHEET_HOME (never the test
database), so each step runs in a process of its own with that home. Run as a script, this file
does the installation-side work the tests need: ``seed``, ``write SECONDS``, ``digest``,
``search WORDS``, ``add-article`` and ``copy-corrupting URL``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"
WRITER_PUBLISHER = "Writer Weekly"


def home_env(home: Path, database_url: str = "") -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(PYTHONPATH=str(SRC), BROADSHEET_HOME=str(home), DATABASE_URL=database_url,
               DJANGO_SETTINGS_MODULE="broadsheet.config.settings",
               BROADSHEET_LOAD_PUBLISHERS="0", BROADSHEET_SECRET_KEY="", REDIS_URL="")
    return env


def broadsheet(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "broadsheet.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def helper(env: dict[str, str], *args: str,
           expect_failure: bool = False) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True,
                          text=True, timeout=300)
    assert expect_failure or done.returncode == 0, done.stderr
    return done


def helper_json(env: dict[str, str], *args: str):
    return json.loads(helper(env, *args).stdout.splitlines()[-1])


@contextmanager
def writer(env: dict[str, str], seconds: float):
    """A process writing articles, one transaction each, until ``seconds`` have passed."""
    process = subprocess.Popen([sys.executable, __file__, "write", str(seconds)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
        yield process
    finally:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def seeded_home(tmp_path_factory) -> Path:
    """A migrated home with the seeded store, made once; tests work on copies of it."""
    home = tmp_path_factory.mktemp("seeded-home")
    helper(home_env(home), "seed")
    return home


@pytest.fixture
def installation(seeded_home: Path, tmp_path: Path) -> Path:
    """This test's own copy of the seeded home."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(seeded_home, home)
    return home


def sqlite_rows(path: Path, sql: str) -> list[tuple]:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


# --- PostgreSQL targets ----------------------------------------------------------------------

def server_url(database: str) -> str:
    """The PostgreSQL server of the suite's DATABASE_URL (or the local one), another database."""
    configured = os.environ.get("DATABASE_URL", "")
    base = configured if configured.startswith("postgres") else \
        "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", "", ""))


@contextmanager
def fresh_postgres(name: str):
    """A new, empty PostgreSQL database, dropped afterwards; its URL."""
    import psycopg

    admin = server_url("postgres")
    try:
        connection = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {admin}: {error}")
        pytest.skip(f"PostgreSQL is not reachable at {admin}")
    with connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
        try:
            yield server_url(name)
        finally:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Inside the installation (run as a script) -----------------------------------------------

def seed() -> None:
    """A small store with something in every kind of table an operator would miss."""
    from datetime import date, timedelta
    from decimal import Decimal

    from api_support import make_article, make_publisher, make_reader
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone
    from for_you_support import topic
    from story_support import make_story

    from broadsheet.api.auth import issue_token
    from broadsheet.audit.models import EditorialAction
    from broadsheet.curation.models import Pick, Section
    from broadsheet.publishers.models import Read, Statement
    from broadsheet.readers.models import Follow, ReadingHistory, SavedArticle
    from broadsheet.stories.models import StoryTopic

    call_command("migrate", interactive=False, verbosity=0)
    now = timezone.now()
    gazette, ledger = make_publisher("The Harbour Gazette"), make_publisher("The Ledger")
    articles = [make_article(gazette if n % 2 else ledger, n) for n in range(12)]
    articles.append(make_article(gazette, 50, title="Café naïve résumé: the 東京 harbour deal"))
    articles[11].text_trimmed_at = now
    articles[11].save(update_fields=["text_trimmed_at"])
    story = make_story(articles[:3], copies={articles[2]: articles[0]}, score=4.5)
    make_story(articles[3:6])
    StoryTopic.objects.create(story=story, topic=topic("Flooding"), weight=0.75,
                              last_published_at=now)
    world = Section.objects.get(name="World")
    Pick.objects.create(story=story, note="Read this first", position=1, starts_at=now)
    Pick.objects.create(article=articles[7], section=world, position=2,
                        ends_at=now + timedelta(days=2))
    reader, _trial = make_reader("active", "reader@example.com"), make_reader("trial")
    Follow.objects.create(user=reader, kind="publisher", publisher=gazette)
    Follow.objects.create(user=reader, kind="section", section=world)
    Follow.objects.create(user=reader, kind="topic", topic="sea wall")
    SavedArticle.objects.create(user=reader, article=articles[1])
    ReadingHistory.objects.create(user=reader, article=articles[2], read_at=now, full=True)
    Read.objects.create(user=reader, article_id=articles[1].pk, publisher=gazette,
                        day=date(2026, 11, 20), seconds=45, finished=True, member=True,
                        first_at=now, last_at=now)
    issue_token(reader, name="Reeder")
    EditorialAction.objects.create(editor="editor@example.com", action="pick.create",
                                   target=f"story:{story.pk}", summary="Picked a story",
                                   after={"note": "Read this first", "position": 1,
                                          "nested": {"b": [1, 2.5, None, True], "a": "ü"}})
    Statement.objects.create(month=date(2026, 11, 1), currency="GBP", pool=105000,
                             revenue=150000, publisher_share=Decimal("0.7000"), min_seconds=30,
                             qualified_reads=1, built_at=now)
    session = SessionStore()
    session["reader"] = reader.pk
    session.create()


def write(seconds: float) -> None:
    """Articles, one write transaction each, with the publisher's weight counting them."""
    import time

    from api_support import make_article, make_publisher
    from django.db import transaction

    from broadsheet.sources.models import Publisher

    publisher = make_publisher(WRITER_PUBLISHER)
    deadline, n = time.monotonic() + seconds, 0
    while time.monotonic() < deadline:
        n += 1
        with transaction.atomic():
            make_article(publisher, 100_000 + n)
            Publisher.objects.filter(pk=publisher.pk).update(weight=n)
        if n == 1:
            print("ready", flush=True)


def digest() -> dict[str, list]:
    """Every table's row count and checksum, as `copy-to` computes them."""
    import hashlib

    from broadsheet.ops import checksum
    from broadsheet.ops.tables import models_in_order

    tables = {}
    for model in models_in_order():
        digests = [checksum.row_digest(row) for row in checksum.rows(model, "default")]
        tables[model._meta.db_table] = [len(digests),
                                        hashlib.sha256("".join(digests).encode()).hexdigest()]
    return tables


def search_ids(words: str) -> list[int]:
    from broadsheet.articles.search import search

    page = search(words, per_page=100, snippets=False)
    return sorted(result.article.pk for result in page.results)


def add_article() -> int:
    from api_support import make_article, make_publisher

    return make_article(make_publisher("A Newcomer"), 900).pk


def copy_corrupting(args: list[str]) -> int:
    """`broadsheet copy-to URL ...`, with one copied article changed before the check."""
    import functools

    from broadsheet import cli
    from broadsheet.ops import copy

    def corrupt(table: str) -> None:
        if table == "articles_article":
            with copy.connections[copy.TARGET].cursor() as cursor:
                cursor.execute("UPDATE articles_article SET title = 'Changed on the way' "
                               "WHERE id = (SELECT min(id) + 3 FROM articles_article)")

    copy.copy_to = functools.partial(copy.copy_to, after_table=corrupt)
    return cli.main(["copy-to", *args])


def _main(argv: list[str]) -> int:
    import django

    sys.path.insert(0, str(TESTS))
    django.setup()
    action = argv[0]
    if action == "seed":
        seed()
    elif action == "write":
        write(float(argv[1]))
    elif action == "digest":
        print(json.dumps(digest()))
    elif action == "search":
        print(json.dumps(search_ids(argv[1])))
    elif action == "add-article":
        print(json.dumps(add_article()))
    elif action == "copy-corrupting":
        return copy_corrupting(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
