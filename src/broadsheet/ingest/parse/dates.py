"""Dates in the formats' many spellings, as aware UTC datetimes; never invented."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


def _parse_date(value: Any) -> datetime | None:
    """RFC 3339 / W3C datetime (date-only allowed) or RFC 822, as aware UTC; else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        if re.fullmatch(r"\d{4}-\d{2}", value):  # W3C "YYYY-MM"
            try:
                parsed = datetime.fromisoformat(value + "-01")
            except ValueError:
                parsed = None
        else:
            try:
                parsed = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                parsed = None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _struct_to_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime(*value[:6]).replace(tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None
