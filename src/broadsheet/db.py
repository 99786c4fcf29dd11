"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Field, Model


def update_rows(model: type[Model], rows: Sequence[Model], field_names: Sequence[str]) -> None:
    """Write ``field_names`` of each row with one parameterised UPDATE, sent by executemany.

    Django's ``bulk_update`` builds a CASE expression per field and row, which costs milliseconds
    per row; the poll cycle and story assignment update thousands of rows at a time.
    """
    if not rows:
        return
    fields = [_column_field(model, name) for name in field_names]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column)} = %s" for _, column in fields)
    sql = (f"UPDATE {quote(model._meta.db_table)} SET {assignments} "
           f"WHERE {quote(model._meta.pk.column)} = %s")
    values = [[field.get_db_prep_save(getattr(row, field.attname), connection)
               for field, _ in fields] + [row.pk] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _column_field(model: type[Model], name: str) -> tuple[Field, str]:
    """The field called ``name`` and its column; only a field stored in a column can be set."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field, field.column
