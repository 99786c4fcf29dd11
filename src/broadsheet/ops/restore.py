"""`broadsheet restore FILE`: put a backup back in place of the SQLite database.

Nothing is replaced until the file has proved to be a Broadsheet backup: a tar archive made by
`broadsheet backup` (or a bare SQLite copy, such as `sqlite3 ... ".backup FILE"` makes) whose
database passes SQLite's integrity check and records Broadsheet's migrations, none newer than
this version knows. The current database is then copied aside (kept, and named in the report),
and the backup is written into the database through SQLite's backup API: one write transaction,
so a process that has the database open sees either the old data or the new, never a mix.

Restore refuses while the web server or the worker has the database or the queue open, unless
given ``force``: readers of a running installation would see its data jump back in time, and the
worker's in-memory story engine would still remember the newer articles until restarted.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from broadsheet.ops import backup, sqlitefile
from broadsheet.ops.processes import User, processes_using
from broadsheet.ops.progress import Progress, silent

SQLITE_HEADER = b"SQLite format 3\x00"
PAGES_PER_STEP = 1024


class RestoreError(Exception):
    """Nothing was replaced; the message says why."""


class InUse(RestoreError):
    def __init__(self, users: list[User]) -> None:
        self.users = users
        lines = "\n".join(f"  process {u.pid}: {u.command}" for u in users)
        super().__init__("Broadsheet is running: these processes have its database or queue "
                         f"open\n{lines}\nStop `broadsheet run` (or the web server and the "
                         "worker) and restore again, or give --force to restore into the "
                         "running installation and restart it afterwards.")


@dataclass
class RestoreReport:
    facts: sqlitefile.Facts
    aside: Path | None = None  # the database as it was before
    key_restored: bool = False
    key_aside: Path | None = None
    notes: list[str] = field(default_factory=list)


def restore(source: Path, *, force: bool = False, progress: Progress = silent) -> RestoreReport:
    target = sqlitefile.database_path()
    if not source.is_file():
        raise RestoreError(f"{source} is not a file")
    users = processes_using(_installation_files(target))
    if users and not force:
        raise InUse(users)
    with tempfile.TemporaryDirectory(prefix=".broadsheet-restore-", dir=target.parent) as work:
        database, key = _unpack(source, Path(work))
        progress.note("Checking the backup (SQLite integrity check)")
        try:
            facts = sqlitefile.inspect(database)
        except sqlitefile.NotBroadsheet as error:
            raise RestoreError(f"{source} is not a Broadsheet backup: {error}") from error
        if facts.unknown:
            raise RestoreError(f"{source} was made by a newer Broadsheet (migrations "
                               f"{', '.join(facts.unknown[:5])}): upgrade Broadsheet first")
        report = RestoreReport(facts)
        if target.exists():
            report.aside = _aside(target)
            sqlitefile.snapshot(target, report.aside, progress, "Keeping the current database")
        _write_into(database, target, progress)
    _restore_key(key, report)
    if facts.pending:
        report.notes.append(f"the backup predates {len(facts.pending)} migrations of this "
                            "version: run `broadsheet migrate` before serving")
    return report


def _installation_files(database: Path) -> list[Path]:
    files = [database, Path(f"{database}-wal")]
    if settings.HUEY.get("filename"):
        files.append(Path(settings.HUEY["filename"]))
    return files


def _unpack(source: Path, work: Path) -> tuple[Path, bytes | None]:
    """The backup's database, copied into ``work``, and its secret key if it has one."""
    database = work / backup.DATABASE
    with source.open("rb") as stream:
        header = stream.read(len(SQLITE_HEADER))
    if header == SQLITE_HEADER:  # a bare copy of the database
        shutil.copyfile(source, database)
        return database, None
    try:
        return _unpack_archive(source, database)
    except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
        raise RestoreError(f"{source} is not a Broadsheet backup: neither a whole backup archive "
                           f"nor a SQLite database ({error})") from error


def _unpack_archive(source: Path, database: Path) -> tuple[Path, bytes | None]:
    with tarfile.open(source, "r:*") as archive:
        manifest = _member(archive, backup.MANIFEST, source)
        try:
            about = json.loads(manifest)
        except ValueError as error:
            raise RestoreError(f"{source} is not a Broadsheet backup: unreadable manifest") \
                from error
        if not isinstance(about, dict) or about.get("format") != backup.FORMAT:
            raise RestoreError(f"{source} is not a Broadsheet backup: its manifest is another's")
        if about.get("format_version", 0) > backup.FORMAT_VERSION:
            raise RestoreError(f"{source} was made by a newer Broadsheet: upgrade first")
        _extract(archive, backup.DATABASE, database, source)
        key = _member(archive, backup.SECRET_KEY, source) if about.get("secret_key") else None
    return database, key


def _member(archive: tarfile.TarFile, name: str, source: Path) -> bytes:
    stream = _open_member(archive, name, source)
    with stream:
        return stream.read()


def _extract(archive: tarfile.TarFile, name: str, path: Path, source: Path) -> None:
    with _open_member(archive, name, source) as stream, path.open("wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)


def _open_member(archive: tarfile.TarFile, name: str, source: Path):
    try:
        stream = archive.extractfile(name)
    except (KeyError, tarfile.TarError) as error:
        raise RestoreError(f"{source} is not a Broadsheet backup: it has no {name}") from error
    if stream is None:
        raise RestoreError(f"{source} is not a Broadsheet backup: {name} is not a file")
    return stream


def _aside(target: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return target.with_name(f"{target.name}.before-restore-{stamp}")


def _write_into(database: Path, target: Path, progress: Progress) -> None:
    """Copy the backup into the live database in one write transaction (SQLite's backup API)."""
    source = sqlite3.connect(str(database))
    live = sqlitefile.connect(target)
    total = source.execute("PRAGMA page_count").fetchone()[0]
    progress.start("Restoring the database", total)

    def step(status: int, remaining: int, pages: int) -> None:
        progress.update(pages - remaining)

    try:
        source.backup(live, pages=PAGES_PER_STEP, progress=step)
        live.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as error:
        raise RestoreError(f"could not write into {target} (it is unchanged): {error}") from error
    finally:
        progress.done()
        live.close()
        source.close()


def _restore_key(key: bytes | None, report: RestoreReport) -> None:
    """Put the backup's secret key in $BROADSHEET_HOME, keeping a different current one aside."""
    from broadsheet.config.env import env

    if key is None:
        return
    if env("BROADSHEET_SECRET_KEY"):
        report.notes.append("the backup's secret key was not restored: BROADSHEET_SECRET_KEY is "
                            "set, and it decides")
        return
    path = Path(settings.HOME) / backup.SECRET_KEY
    if path.exists() and path.read_bytes().strip() == key.strip():
        return
    if path.exists():
        report.key_aside = _aside(path)
        path.replace(report.key_aside)
    path.write_bytes(key)
    path.chmod(0o600)
    report.key_restored = True
