"""`broadsheet restore FILE [--force]`: a backup put back, and anything else refused untouched."""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from backup_support import broadsheet, helper, helper_json, home_env, sqlite_rows, writer


def _digest(home: Path, database: Path | None = None) -> dict:
    url = f"sqlite:///{database}" if database else ""
    return helper_json(home_env(home, url), "digest")


def _asides(home: Path) -> list[Path]:
    return sorted(home.glob("broadsheet.sqlite3.before-restore-*"))


def test_a_restore_puts_back_every_row_and_the_secret_key(installation, tmp_path):
    env = home_env(installation)
    archive = tmp_path / "backup.tar.gz"
    assert broadsheet(env, "backup", str(archive)).returncode == 0
    before = _digest(installation)
    key = (installation / "secret_key").read_text()
    helper(env, "add-article")
    assert broadsheet(env, "users", "create", "late@example.com", "--password",
                      "a long enough passphrase").returncode == 0
    (installation / "secret_key").write_text("a key made after the backup")
    changed = _digest(installation)
    assert changed != before

    run = broadsheet(env, "restore", str(archive))

    assert run.returncode == 0, run.stderr
    assert "Restored 13 articles and 2 accounts" in run.stdout
    assert _digest(installation) == before
    assert (installation / "secret_key").read_text() == key
    [aside] = _asides(installation)
    assert str(aside) in run.stdout
    assert _digest(installation, aside) == changed  # the database as it was, kept
    [old_key] = installation.glob("secret_key.before-restore-*")
    assert old_key.read_text() == "a key made after the backup"
    assert sqlite_rows(installation / "broadsheet.sqlite3", "PRAGMA journal_mode") == [("wal",)]


def test_a_bare_copy_of_the_database_restores_too(installation, tmp_path):
    copy = tmp_path / "copy.sqlite3"
    source = sqlite3.connect(installation / "broadsheet.sqlite3")
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close(), target.close()
    before = _digest(installation)
    env = home_env(installation)
    helper(env, "add-article")
    run = broadsheet(env, "restore", str(copy))
    assert run.returncode == 0, run.stderr
    assert _digest(installation) == before


def _not_broadsheet(tmp_path: Path) -> dict[str, Path]:
    files = {"text": tmp_path / "notes.txt", "other SQLite": tmp_path / "other.sqlite3",
             "archive without a manifest": tmp_path / "plain.tar",
             "another program's archive": tmp_path / "other.tar",
             "truncated backup": tmp_path / "cut.tar.gz", "folder": tmp_path}
    files["text"].write_text("shopping list\n")
    other = sqlite3.connect(files["other SQLite"])
    other.execute("CREATE TABLE django_migrations (id, app, name)")
    other.execute("INSERT INTO django_migrations VALUES (1, 'blog', '0001_initial')")
    other.commit(), other.close()
    with tarfile.open(files["archive without a manifest"], "w") as tar:
        tar.add(files["text"], arcname="broadsheet.sqlite3")
    with tarfile.open(files["another program's archive"], "w") as tar:
        data = json.dumps({"format": "something-else"}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return files


def test_anything_but_a_broadsheet_backup_is_refused_and_nothing_changes(installation, tmp_path):
    env = home_env(installation)
    whole = tmp_path / "whole.tar.gz"
    assert broadsheet(env, "backup", str(whole)).returncode == 0
    files = _not_broadsheet(tmp_path)
    files["truncated backup"].write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    before = _digest(installation)
    database = installation / "broadsheet.sqlite3"
    stamp = database.stat().st_mtime_ns
    for kind, path in files.items():
        run = broadsheet(env, "restore", str(path))
        assert run.returncode == 1, f"{kind}: {run.stdout} {run.stderr}"
        assert "restore refused, nothing replaced" in run.stderr, kind
        assert "Traceback" not in run.stderr, kind
    assert database.stat().st_mtime_ns == stamp
    assert _digest(installation) == before
    assert _asides(installation) == []


@pytest.mark.parametrize("force", [False, True])
def test_a_running_installation_is_restored_only_with_force(installation, tmp_path, force):
    env = home_env(installation)
    archive = tmp_path / "backup.tar"
    assert broadsheet(env, "backup", str(archive)).returncode == 0
    with writer(env, seconds=120) as process:
        run = broadsheet(env, "restore", str(archive), *(["--force"] if force else []))
        process.kill()
    database = installation / "broadsheet.sqlite3"
    if not force:
        assert run.returncode == 1
        assert "Broadsheet is running" in run.stderr and f"process {process.pid}" in run.stderr
        assert "--force" in run.stderr and _asides(installation) == []
        return
    assert run.returncode == 0, run.stderr
    assert "Restart the web server and the worker" in run.stdout
    assert sqlite_rows(database, "PRAGMA integrity_check") == [("ok",)]
    [aside] = _asides(installation)
    assert sqlite_rows(aside, "PRAGMA integrity_check") == [("ok",)]
    seeded = "SELECT count(*) FROM articles_article WHERE url LIKE 'https://gazette.example/%'"
    written = sqlite_rows(aside, "SELECT count(*) FROM sources_publisher")[0][0]
    assert written == 3  # the writer's publisher was there before the restore
    assert sqlite_rows(database, seeded)[0][0] >= 13
