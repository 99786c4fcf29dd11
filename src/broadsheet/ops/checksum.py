"""Rows compared across SQLite and PostgreSQL: the same values give the same digest on both.

Each row is read through Django, so both engines' values arrive as the same Python types
(SQLite's 0/1 as booleans, its text dates as aware datetimes, its JSON text parsed), and are
then written in one canonical form: datetimes in UTC, decimals without trailing zeros, JSON with
sorted keys. A table's checksum is the SHA-256 of its rows' digests in primary-key order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from uuid import UUID

from django.db import connections
from django.db.models import Model
from django.db.models.functions import Collate

BATCH = 2000
SHOWN_DIFFERENCES = 5


def normal(value: object) -> object:
    """One engine-independent form of a value, for hashing."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    return value


def row_digest(values: tuple) -> str:
    text = json.dumps([normal(v) for v in values], sort_keys=True, ensure_ascii=False,
                      default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def columns(model: type[Model]) -> list[str]:
    """The attribute names of the model's stored fields, primary key first."""
    pk = model._meta.pk.attname
    return [pk] + [f.attname for f in model._meta.concrete_fields if f.attname != pk]


def rows(model: type[Model], alias: str) -> Iterator[tuple]:
    """Every row of the model's table on ``alias``, in byte order of the primary key.

    Text keys are ordered with PostgreSQL's "C" collation, which sorts as SQLite's BINARY does.
    """
    queryset = model._base_manager.using(alias)
    key = model._meta.pk
    ordering: str | Collate = "pk"
    if connections[alias].vendor == "postgresql" and key.get_internal_type() in {
            "CharField", "TextField", "SlugField", "EmailField"}:
        ordering = Collate("pk", "C")
    yield from queryset.order_by(ordering).values_list(*columns(model)).iterator(chunk_size=BATCH)


@dataclass
class TableCheck:
    """A table's rows on both sides: counts, checksums and the first keys that differ."""

    table: str
    source_rows: int = 0
    target_rows: int = 0
    source_checksum: str = ""
    target_checksum: str = ""
    differing: list[object] = field(default_factory=list)  # primary keys, the first few
    differing_count: int = 0

    @property
    def ok(self) -> bool:
        return (self.source_rows == self.target_rows
                and self.source_checksum == self.target_checksum)


def compare(model: type[Model], source: str, target: str, progress=None) -> TableCheck:
    """Walk both tables side by side in key order, hashing every row."""
    check = TableCheck(model._meta.db_table)
    source_hash, target_hash = hashlib.sha256(), hashlib.sha256()
    left, right = rows(model, source), rows(model, target)
    a, b = next(left, None), next(right, None)
    while a is not None or b is not None:
        if a is not None and b is not None and a[0] == b[0]:
            da, db = row_digest(a), row_digest(b)
            _count(check, source_hash, da, target_hash, db)
            if da != db:
                _differs(check, a[0])
            a, b = next(left, None), next(right, None)
        elif a is not None and (b is None or _before(a[0], b[0])):
            _count(check, source_hash, row_digest(a), None, None)
            _differs(check, a[0])
            a = next(left, None)
        elif b is not None:
            _count(check, None, None, target_hash, row_digest(b))
            _differs(check, b[0])
            b = next(right, None)
        if progress and (check.source_rows + check.target_rows) % BATCH == 0:
            progress(BATCH // 2)
    check.source_checksum, check.target_checksum = source_hash.hexdigest(), target_hash.hexdigest()
    return check


def _count(check: TableCheck, source_hash, source_digest, target_hash, target_digest) -> None:
    if source_hash is not None:
        source_hash.update(source_digest.encode())
        check.source_rows += 1
    if target_hash is not None:
        target_hash.update(target_digest.encode())
        check.target_rows += 1


def _differs(check: TableCheck, key: object) -> None:
    check.differing_count += 1
    if len(check.differing) < SHOWN_DIFFERENCES:
        check.differing.append(key)


def _before(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.encode() < b.encode()
    return a < b  # type: ignore[operator]
