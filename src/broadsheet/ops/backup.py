"""`broadsheet backup FILE`: the SQLite home in one archive, taken while Broadsheet runs.

The archive (a tar file, gzip-compressed when FILE ends in .gz or .tgz) holds:

- ``broadsheet.sqlite3``: a consistent copy of the database (VACUUM INTO: one snapshot, taken
  while the web server and the worker keep writing), checked by SQLite's integrity check;
- ``secret_key``: the generated key in $BROADSHEET_HOME, without which every session, password
  reset link and briefing unsubscribe link stops working (absent when BROADSHEET_SECRET_KEY is
  set: that key lives wherever the operator keeps settings);
- ``manifest.json``: what it is, when it was made and by which version, and its migrations.

Left out, because Broadsheet makes them again: the Huey queue (``huey.sqlite3``; the worker's
schedule enqueues the periodic tasks again, and a fetch or email waiting in it is redone at its
next turn), the page cache (``cache/``), collected static files (``static/``), the image proxy's
pictures (``images/``) and the emails written to ``mail/`` when no mail server is set.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from broadsheet import __version__
from broadsheet.ops import sqlitefile
from broadsheet.ops.progress import Progress, silent

FORMAT = "broadsheet-backup"
FORMAT_VERSION = 1
DATABASE = "broadsheet.sqlite3"
SECRET_KEY = "secret_key"
MANIFEST = "manifest.json"


class BackupError(Exception):
    """The backup could not be made; nothing was written at FILE."""


@dataclass
class Manifest:
    format: str
    format_version: int
    created_at: str
    broadsheet_version: str
    database: str
    secret_key: bool
    migrations: dict[str, str]
    articles: int
    accounts: int


def key_file() -> Path | None:
    """The generated secret key file, unless the key comes from BROADSHEET_SECRET_KEY."""
    from broadsheet.config.env import env

    if env("BROADSHEET_SECRET_KEY"):
        return None
    path = Path(settings.HOME) / SECRET_KEY
    return path if path.exists() else None


def backup(target: Path, progress: Progress = silent) -> Manifest:
    """Write the archive to ``target`` (replaced only once the new archive is whole)."""
    source = sqlitefile.database_path()
    if not source.exists():
        raise BackupError(f"there is no database at {source} to back up")
    target = target.expanduser().resolve()
    if target in {source, Path(f"{source}-wal")} or target.is_dir():
        raise BackupError(f"{target} is not a file name for the backup")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    with tempfile.TemporaryDirectory(prefix=".broadsheet-backup-", dir=target.parent) as work:
        copy = Path(work) / DATABASE
        sqlitefile.snapshot(source, copy, progress, "Copying the database")
        progress.note("Checking the copy (SQLite integrity check)")
        try:
            facts = sqlitefile.inspect(copy)
        except sqlitefile.NotBroadsheet as error:
            raise BackupError(f"the copy of {source} is not usable: {error}") from error
        key = key_file()
        manifest = Manifest(FORMAT, FORMAT_VERSION, datetime.now(UTC).isoformat(timespec="seconds"),
                            __version__, DATABASE, key is not None, facts.migrations,
                            facts.articles, facts.accounts)
        partial = Path(work) / "archive"
        _write_archive(partial, target.name, copy, key, manifest, progress)
        partial.chmod(0o600)  # the archive holds password hashes and the secret key
        os.replace(partial, target)
    return manifest


def _write_archive(path: Path, name: str, database: Path, key: Path | None, manifest: Manifest,
                   progress: Progress) -> None:
    mode = "w:gz" if name.endswith((".gz", ".tgz")) else "w"
    with tarfile.open(path, mode) as archive:  # type: ignore[call-overload]
        _add_bytes(archive, MANIFEST, json.dumps(asdict(manifest), indent=2).encode())
        if key is not None:
            _add_bytes(archive, SECRET_KEY, key.read_bytes())
        size = database.stat().st_size
        progress.start("Writing the archive", size)
        try:
            with database.open("rb") as stream:
                info = archive.gettarinfo(str(database), arcname=DATABASE)
                info.mode, info.uname, info.gname = 0o600, "", ""
                archive.addfile(info, _Counting(stream, progress))
        finally:
            progress.done()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


class _Counting(io.RawIOBase):
    """A file read through, reporting each chunk to the progress bar."""

    def __init__(self, stream: io.BufferedReader, progress: Progress) -> None:
        self.stream, self.progress = stream, progress

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.progress.advance(len(data))
        return data
