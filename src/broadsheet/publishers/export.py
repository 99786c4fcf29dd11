"""A built statement written out for publishers' and accountants' programs: CSV or JSON.

The CSV columns are exactly ``FIELDS``; JSON is one object with the month, currency, pool and
qualified reads, and ``lines`` with the same fields as the CSV. Amounts are written in major units
with two decimals as text ("1234.50"), never as floating-point numbers; shares as decimal text.
Lines come by amount, largest first, then by publisher slug, the same order every time.
"""

from __future__ import annotations

import csv
import json
from typing import TextIO

from .models import Statement

FIELDS = ("publisher", "publisher_name", "qualified_reads", "unique_readers", "share", "amount",
          "currency")


def major(minor: int) -> str:
    """Minor units as major units with two decimals: 123456 -> "1234.56"."""
    return f"{minor // 100}.{minor % 100:02d}"


def rows(statement: Statement) -> list[dict]:
    """The statement's lines as export rows, in the export's order."""
    return [{"publisher": line.publisher_slug, "publisher_name": line.publisher_name,
             "qualified_reads": line.qualified_reads, "unique_readers": line.unique_readers,
             "share": str(line.share), "amount": major(line.amount),
             "currency": statement.currency}
            for line in statement.lines.order_by("-amount", "publisher_slug")]


def write_csv(statement: Statement, out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(statement))


def write_json(statement: Statement, out: TextIO) -> None:
    document = {"month": statement.label, "currency": statement.currency,
                "pool": major(statement.pool), "qualified_reads": statement.qualified_reads,
                "lines": rows(statement)}
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")
