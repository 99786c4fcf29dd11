"""`broadsheet copy-to DATABASE_URL`: a SQLite installation moved to PostgreSQL, every row checked.

The target is migrated by the same code, emptied of what `migrate` put there (so the source's
content types and permissions keep their numbers), and filled table by table in dependency order
with COPY. Every value passes through Django's fields on both sides, so SQLite's 0/1 become
booleans, its text dates timestamps and its JSON text jsonb. The search index is not copied: the
target's own trigger builds each article's tsvector as the row arrives. Then sequences are moved
past the highest keys and every table is compared row by row (see ``checksum``).

The source is read inside one transaction, a single snapshot of the database, so a worker still
writing cannot make the copy inconsistent (what it writes afterwards is not copied).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DatabaseError, connections, transaction
from django.db.models import Model

from broadsheet.config.database import database_config
from broadsheet.ops import checksum
from broadsheet.ops.progress import Progress, silent
from broadsheet.ops.tables import FILLED_BY_MIGRATE, units_in_order

SOURCE, TARGET = "copy_source", "copy_target"
BATCH = 2000
# SQLite tables that are no model's: the search index (FTS5 and its shadow tables), which the
# target builds for itself, and SQLite's own.
NOT_COPIED_PREFIXES = ("articles_article_fts", "sqlite_")


class CopyError(Exception):
    """The copy cannot start or could not finish; the message says why and what to do."""


@dataclass
class CopyReport:
    tables: list[checksum.TableCheck] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # source tables no model owns
    unsearchable: int = 0  # articles without a search vector on the target

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables) and not self.unsearchable

    @property
    def rows(self) -> int:
        return sum(t.source_rows for t in self.tables)


def copy_to(url: str, *, replace: bool = False, progress: Progress = silent,
            after_table: Callable[[str], None] | None = None) -> CopyReport:
    """Copy the current SQLite database into the PostgreSQL database at ``url`` and check it."""
    _open(url)
    try:
        with transaction.atomic(using=SOURCE):  # one snapshot of the source throughout
            _check_source()
            _check_target_empty(replace)
            progress.note("Migrating the target database")
            call_command("migrate", database=TARGET, interactive=False, verbosity=0)
            units = units_in_order()
            _empty_target([m for unit in units for m in unit])
            for unit in units:
                _copy_unit(unit, progress, after_table)
            _reset_sequences([m for unit in units for m in unit])
            report = CopyReport(left_out=_left_out(units))
            report.unsearchable = _index_search()
            for unit in units:
                for model in unit:
                    report.tables.append(_verify(model, progress))
        return report
    finally:
        for alias in (SOURCE, TARGET):
            connections[alias].close()


def _open(url: str) -> None:
    """Register the source (this installation) and the target as two more connections."""
    source = connections["default"].settings_dict
    if source["ENGINE"] != "django.db.backends.sqlite3":
        raise CopyError("this installation already uses PostgreSQL; copy-to moves a SQLite "
                        "installation (use pg_dump and pg_restore between PostgreSQL servers)")
    if urlsplit(url).scheme.lower() not in {"postgres", "postgresql", "pgsql"}:
        raise CopyError("copy-to needs a PostgreSQL address, "
                        "postgres://USER:PASSWORD@HOST:PORT/NAME")
    target = database_config(url, settings.HOME)
    target["CONN_MAX_AGE"] = 0
    reader = {**source, "OPTIONS": {**source["OPTIONS"], "transaction_mode": "DEFERRED"}}
    configured = connections.configure_settings({"default": {}, SOURCE: reader, TARGET: target})
    for alias in (SOURCE, TARGET):
        connections.settings[alias] = configured[alias]
        connections[alias].close()
    try:
        connections[TARGET].ensure_connection()
    except DatabaseError as error:
        raise CopyError(f"cannot connect to {_safe(url)}: {error}".strip()) from error


def _safe(url: str) -> str:
    """The address without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def _check_source() -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[SOURCE])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CopyError("this installation's database is not up to date: run "
                        "`broadsheet migrate` first, then copy")
    connections[SOURCE].cursor().execute("SELECT count(*) FROM django_migrations")  # snapshot


def _check_target_empty(replace: bool) -> None:
    """Refuse a target holding anything but what `migrate` itself puts there."""
    target = connections[TARGET]
    existing = set(target.introspection.table_names())
    tables = sorted(existing & {m._meta.db_table for unit in units_in_order() for m in unit})
    with target.cursor() as cursor:
        filled = [t for t in tables if t not in FILLED_BY_MIGRATE and _has_rows(cursor, t)]
    if filled and not replace:
        shown = ", ".join(filled[:6]) + (" …" if len(filled) > 6 else "")
        raise CopyError(f"the target database is not empty ({shown} hold rows); give --replace "
                        "to delete everything in it first, or use a new database")


def _has_rows(cursor, table: str) -> bool:
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connections[TARGET].ops.quote_name(table)})")
    return bool(cursor.fetchone()[0])


def _empty_target(models: list[type[Model]]) -> None:
    """Delete every row in the target (what `migrate` added, and with --replace, the rest)."""
    quote = connections[TARGET].ops.quote_name
    tables = ", ".join(quote(m._meta.db_table) for m in models)
    with transaction.atomic(using=TARGET), connections[TARGET].cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def _copy_unit(unit: list[type[Model]], progress: Progress,
               after_table: Callable[[str], None] | None) -> None:
    with transaction.atomic(using=TARGET):
        for model in unit:
            table = model._meta.db_table
            total = model._base_manager.using(SOURCE).count()
            progress.start(f"Copying {table}", total)
            try:
                _copy_rows(model, progress)
            except DatabaseError as error:
                raise CopyError(f"copying {table} failed: {error}".strip()) from error
            finally:
                progress.done()
            if after_table:
                after_table(table)


def _copy_rows(model: type[Model], progress: Progress = silent) -> None:
    names = checksum.columns(model)
    fields = [_field_by_attname(model, name) for name in names]
    target = connections[TARGET]
    quote = target.ops.quote_name
    sql = (f"COPY {quote(model._meta.db_table)} "
           f"({', '.join(quote(f.column) for f in fields)}) FROM STDIN")
    rows = model._base_manager.using(SOURCE).order_by("pk").values_list(*names)
    with target.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for count, row in enumerate(rows.iterator(chunk_size=BATCH), start=1):
            copy.write_row([f.get_db_prep_save(value, connection=target)
                            for f, value in zip(fields, row, strict=True)])
            if count % BATCH == 0:
                progress.advance(BATCH)


def _field_by_attname(model: type[Model], attname: str):
    return next(f for f in model._meta.concrete_fields if f.attname == attname)


def _reset_sequences(models: list[type[Model]]) -> None:
    """Move each table's id sequence past the highest copied id, so new rows get fresh ones."""
    target = connections[TARGET]
    with transaction.atomic(using=TARGET), target.cursor() as cursor:
        for statement in target.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


def _left_out(units: list[list[type[Model]]]) -> list[str]:
    """Source tables no model owns and that are not known to be rebuilt: reported, not lost."""
    known = {m._meta.db_table for unit in units for m in unit} | {"django_migrations"}
    tables = connections[SOURCE].introspection.table_names()
    return sorted(t for t in tables
                  if t not in known and not t.startswith(NOT_COPIED_PREFIXES))


def _index_search() -> int:
    """Make sure the target's search index is whole; returns articles it still cannot find."""
    from broadsheet.articles.search_index import ensure_index

    target = connections[TARGET]
    with transaction.atomic(using=TARGET), target.cursor() as cursor:
        ensure_index(target)
        cursor.execute("UPDATE articles_article SET title = title WHERE search_vector IS NULL")
        cursor.execute("SELECT count(*) FROM articles_article WHERE search_vector IS NULL")
        missing = cursor.fetchone()[0]
    with target.cursor() as cursor:
        cursor.execute("ANALYZE")  # planner statistics for the freshly filled tables
    return missing


def _verify(model: type[Model], progress: Progress) -> checksum.TableCheck:
    total = model._base_manager.using(SOURCE).count() * 2
    progress.start(f"Checking {model._meta.db_table}", total)
    try:
        return checksum.compare(model, SOURCE, TARGET, progress.advance)
    finally:
        progress.done()
