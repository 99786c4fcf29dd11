"""`broadsheet backup FILE` while the web server and the worker keep writing."""

from __future__ import annotations

import json
import stat
import tarfile
import time
from pathlib import Path

import pytest
from backup_support import WRITER_PUBLISHER, broadsheet, home_env, server_url, sqlite_rows, writer

MEMBERS = {"manifest.json", "secret_key", "broadsheet.sqlite3"}


def _unpack(archive: Path, into: Path) -> tuple[dict, Path, bytes]:
    with tarfile.open(archive, "r:*") as tar:
        assert {m.name for m in tar.getmembers()} == MEMBERS
        manifest = json.loads(tar.extractfile("manifest.json").read())
        key = tar.extractfile("secret_key").read()
        database = into / f"{archive.name}.sqlite3"
        database.write_bytes(tar.extractfile("broadsheet.sqlite3").read())
    return manifest, database, key


def _writer_state(database: Path) -> tuple[int, float]:
    """Articles the writer committed, and the count its publisher row says it committed."""
    [(count, weight)] = sqlite_rows(
        database, "SELECT count(a.id), p.weight FROM sources_publisher p LEFT JOIN "
                  "articles_article a ON a.publisher_id = p.id WHERE p.name = "
                  f"'{WRITER_PUBLISHER}' GROUP BY p.id")
    return count, weight


def test_backups_taken_while_a_writer_commits_are_whole_and_consistent(installation, tmp_path):
    env = home_env(installation)
    archives = [tmp_path / "first.tar.gz", tmp_path / "second.tar"]
    with writer(env, seconds=120) as process:
        time.sleep(0.5)
        runs = [broadsheet(env, "backup", str(archive)) for archive in archives]
        assert process.poll() is None, "the writer stopped while the backups ran"
        time.sleep(0.3)
    for run in runs:
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith("Backed up ") and "and the secret key" in run.stdout
    states = []
    for archive in archives:
        assert stat.S_IMODE(archive.stat().st_mode) == 0o600
        manifest, database, key = _unpack(archive, tmp_path)
        assert manifest["format"] == "broadsheet-backup" and manifest["secret_key"] is True
        assert manifest["migrations"]["articles"].startswith("00")
        assert key == (installation / "secret_key").read_bytes()
        assert sqlite_rows(database, "PRAGMA integrity_check") == [("ok",)]
        count, weight = _writer_state(database)
        assert count >= 1 and count == weight  # each transaction wholly in, or wholly out
        states.append(count)
    live_count, live_weight = _writer_state(installation / "broadsheet.sqlite3")
    assert states[0] <= states[1] < live_count == live_weight  # it kept writing throughout
    assert not list(tmp_path.glob(".broadsheet-backup-*"))  # no leftovers beside the file


def test_a_failed_backup_writes_nothing(installation, tmp_path):
    env = home_env(installation)
    missing = broadsheet(env, "backup", str(tmp_path / "no-such-folder" / "b.tar"))
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr
    existing = tmp_path / "b.tar"
    existing.write_text("an older backup")
    onto_database = broadsheet(env, "backup", str(installation / "broadsheet.sqlite3"))
    assert onto_database.returncode == 1
    assert "not a file name for the backup" in onto_database.stderr
    assert existing.read_text() == "an older backup"


@pytest.mark.slow  # runs the backup command as a process
def test_a_postgresql_installation_is_pointed_to_pg_dump(tmp_path):
    env = home_env(tmp_path, server_url("broadsheet"))
    for command in (["backup", str(tmp_path / "b.tar")], ["restore", str(tmp_path / "b.tar")]):
        run = broadsheet(env, *command)
        assert run.returncode == 2, run.stderr
        assert 'pg_dump --format=custom --no-owner --file=broadsheet.dump "$DATABASE_URL"' \
            in run.stderr
        assert "pg_restore --no-owner" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "b.tar").exists()
