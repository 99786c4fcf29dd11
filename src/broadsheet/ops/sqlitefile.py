"""The SQLite database file: where it is, consistent copies of it, and what a copy holds."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from broadsheet.ops.progress import Progress, silent

POSTGRES_ADVICE = """this installation uses PostgreSQL: back it up with PostgreSQL's own tools,
  pg_dump --format=custom --no-owner --file=broadsheet.dump "$DATABASE_URL"
and restore it into an empty database with
  pg_restore --no-owner --exit-on-error --dbname="$DATABASE_URL" broadsheet.dump
(see "Backups" in docs/operations.md)"""

# Apps whose migrations every Broadsheet database records.
OWN_APPS = ("readers", "sources", "articles", "stories", "curation")


class NotBroadsheet(Exception):
    """The file is not a Broadsheet database (or backup) this version can use."""


class PostgresInstallation(Exception):
    """Backups of a PostgreSQL installation are pg_dump's job."""

    def __init__(self) -> None:
        super().__init__(POSTGRES_ADVICE)


def database_path() -> Path:
    """The SQLite file the installation uses (DATABASE_URL or $BROADSHEET_HOME)."""
    config = settings.DATABASES["default"]
    if config["ENGINE"] != "django.db.backends.sqlite3":
        raise PostgresInstallation()
    return Path(config["NAME"]).resolve()


def connect(path: Path) -> sqlite3.Connection:
    """A connection that waits for other processes' locks, as Broadsheet's own do."""
    return sqlite3.connect(str(path), timeout=30, isolation_level=None)


def used_bytes(path: Path) -> int:
    """Bytes of the pages in use: about the size of a compact copy."""
    db = connect(path)
    try:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        size = db.execute("PRAGMA page_size").fetchone()[0]
        return (pages - free) * size
    finally:
        db.close()


def snapshot(source: Path, copy: Path, progress: Progress = silent, label: str = "") -> None:
    """A consistent, compact copy of ``source`` while other processes keep writing to it.

    VACUUM INTO reads the whole database inside one read transaction: in WAL mode writers carry
    on meanwhile, and the copy holds the database exactly as it was when the read began. Its
    progress is the copy's size against the pages in use.
    """
    progress.start(label or f"Copying {source.name}", used_bytes(source))

    def vacuum() -> None:
        db = connect(source)
        try:
            db.execute("VACUUM INTO ?", (str(copy),))
        finally:
            db.close()

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            running = pool.submit(vacuum)
            while not running.done():
                time.sleep(0.2)
                if copy.exists():
                    progress.update(copy.stat().st_size)
            running.result()
    finally:
        progress.done()


@dataclass
class Facts:
    """What a Broadsheet database holds, as far as a restore needs to know."""

    migrations: dict[str, str] = field(default_factory=dict)  # app -> latest applied
    unknown: list[str] = field(default_factory=list)  # applied here, unknown to this version
    pending: list[str] = field(default_factory=list)  # known to this version, not applied
    articles: int = 0
    accounts: int = 0


def inspect(path: Path) -> Facts:
    """Check that ``path`` is a whole Broadsheet database this version can use."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise NotBroadsheet(f"cannot open it as SQLite: {error}") from error
    try:
        return _facts(db)
    except sqlite3.DatabaseError as error:
        raise NotBroadsheet(f"not a SQLite database ({error})") from error
    finally:
        db.close()


def _facts(db: sqlite3.Connection) -> Facts:
    check = [row[0] for row in db.execute("PRAGMA integrity_check(5)")]
    if check != ["ok"]:
        raise NotBroadsheet("it fails SQLite's integrity check: " + "; ".join(check))
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "django_migrations" not in tables:
        raise NotBroadsheet("it has no record of migrations (django_migrations)")
    applied = {(app, name) for app, name in db.execute("SELECT app, name FROM django_migrations")}
    missing = [app for app in OWN_APPS if not any(a == app for a, _ in applied)]
    if missing or "articles_article" not in tables:
        raise NotBroadsheet("its migrations are not Broadsheet's (none for "
                            f"{', '.join(missing) or 'articles'})")
    known = _known_migrations()
    facts = Facts()
    for app, name in sorted(applied):
        facts.migrations[app] = max(facts.migrations.get(app, ""), name)
    facts.unknown = [f"{a}.{n}" for a, n in sorted(applied)
                     if a in {app for app, _ in known} and (a, n) not in known]
    facts.pending = [f"{a}.{n}" for a, n in sorted(known - applied)]
    facts.articles = db.execute("SELECT count(*) FROM articles_article").fetchone()[0]
    facts.accounts = db.execute("SELECT count(*) FROM readers_user").fetchone()[0]
    return facts


def _known_migrations() -> set[tuple[str, str]]:
    from django.db.migrations.loader import MigrationLoader

    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
