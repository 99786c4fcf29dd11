"""`broadsheet backup FILE`, `broadsheet restore FILE [--force]` and
`broadsheet copy-to DATABASE_URL [--replace]`: the command line of the operations modules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAMES = ("backup", "restore", "copy-to")


def add_parser(subparsers) -> None:
    """Add the three commands to the ``broadsheet`` command's subparsers."""
    backup = subparsers.add_parser(
        "backup", help="a consistent backup of the SQLite database and the secret key, "
                       "while Broadsheet runs")
    backup.add_argument("file", type=Path, help="the archive to write (.tar, or .tar.gz to "
                                                "compress it)")
    restore = subparsers.add_parser(
        "restore", help="put a backup made by `broadsheet backup` back in place")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true",
                         help="restore even while the web server or the worker is running")
    copy = subparsers.add_parser(
        "copy-to", help="copy this SQLite installation into a PostgreSQL database, every row "
                        "checked")
    copy.add_argument("database_url", metavar="DATABASE_URL",
                      help="postgres://USER:PASSWORD@HOST:PORT/NAME")
    copy.add_argument("--replace", action="store_true",
                      help="delete everything the target database holds first")


def run(args: argparse.Namespace) -> int:
    """Run one of the commands (Django must be set up); returns the exit status."""
    from broadsheet.ops.progress import Terminal

    with Terminal() as progress:
        if args.command == "backup":
            return run_backup(args.file, progress)
        if args.command == "restore":
            return run_restore(args.file, args.force, progress)
        return run_copy(args.database_url, args.replace, progress)


def _fail(message: str, status: int = 1) -> int:
    print(f"broadsheet: {message}", file=sys.stderr)
    return status


def run_backup(file: Path, progress) -> int:
    from broadsheet.ops.backup import BackupError, backup
    from broadsheet.ops.sqlitefile import PostgresInstallation

    try:
        manifest = backup(file, progress)
    except PostgresInstallation as error:
        return _fail(str(error), 2)
    except (BackupError, OSError) as error:
        return _fail(f"backup failed, nothing written at {file}: {error}")
    key = "and the secret key" if manifest.secret_key else \
        "(the secret key is in BROADSHEET_SECRET_KEY, not in the backup)"
    print(f"Backed up {manifest.articles:,} articles and {manifest.accounts:,} accounts {key} "
          f"to {file} ({file.stat().st_size:,} bytes).")
    return 0


def run_restore(file: Path, force: bool, progress) -> int:
    from broadsheet.ops.restore import RestoreError, restore
    from broadsheet.ops.sqlitefile import PostgresInstallation

    try:
        report = restore(file, force=force, progress=progress)
    except PostgresInstallation as error:
        return _fail(str(error), 2)
    except (RestoreError, OSError) as error:
        return _fail(f"restore refused, nothing replaced: {error}")
    print(f"Restored {report.facts.articles:,} articles and {report.facts.accounts:,} accounts "
          f"from {file}.")
    if report.aside:
        print(f"The database as it was is kept at {report.aside} (delete it when satisfied).")
    if report.key_restored:
        aside = f"; the previous one is at {report.key_aside}" if report.key_aside else ""
        print(f"The backup's secret key is restored{aside}.")
    for note in report.notes:
        print(f"Note: {note}.")
    if force:
        print("Restart the web server and the worker now, so that they start from the "
              "restored data.")
    return 0


def run_copy(url: str, replace: bool, progress) -> int:
    from broadsheet.config.env import SettingError
    from broadsheet.ops.copy import CopyError, copy_to

    try:
        report = copy_to(url, replace=replace, progress=progress)
    except (CopyError, SettingError) as error:
        return _fail(f"copy-to: {error}")
    width = max([len(t.table) for t in report.tables] + [5])
    for check in report.tables:
        state = "ok" if check.ok else "MISMATCH"
        print(f"{check.table:<{width}}  {check.source_rows:>10,} rows  "
              f"{check.target_checksum[:12] or '-':<12}  {state}")
        if not check.ok:
            print(f"{'':<{width}}  source {check.source_rows:,} rows {check.source_checksum[:12]}"
                  f", target {check.target_rows:,} rows; {check.differing_count:,} rows differ, "
                  f"first keys: {', '.join(map(str, check.differing))}")
    for table in report.left_out:
        print(f"Not copied (no Broadsheet model owns it): {table}")
    if report.unsearchable:
        print(f"{report.unsearchable:,} articles have no search index entry on the target.")
    bad = [t.table for t in report.tables if not t.ok]
    if not report.ok:
        print(f"copy-to: the target does not match: {', '.join(bad) or 'search index'}. "
              "Keep using SQLite; copy again with --replace.", file=sys.stderr)
        return 1
    print(f"Copied and checked {report.rows:,} rows in {len(report.tables)} tables; the search "
          "index is built. Set DATABASE_URL to the new database to use it.")
    return 0
