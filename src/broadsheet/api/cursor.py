"""Keyset pagination for the reader's own lists (saved, history, follows): opaque cursors.

A cursor names the last row of a page by its time and id, so the next page starts right after
it however many rows were added at the front meanwhile, and costs the same on page 1 or 1,000
(no OFFSET). Lists are newest first.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Schema
from ninja.errors import HttpError
from pydantic import Field

from . import present

Row = TypeVar("Row")
MAX_LIMIT = 100


class PageParams(Schema):
    cursor: str | None = Field(None, description="next_cursor of the previous page")
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description="How many, 1-100")


def encode(moment: datetime, pk: int) -> str:
    raw = f"{moment.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    """The (time, id) a cursor names; 400 for anything not made by ``encode``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = raw.rsplit("|", 1)
        parsed = datetime.fromisoformat(moment)
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=UTC)
        return parsed, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise HttpError(400, "This cursor is not valid; use next_cursor from a previous "
                             "page.") from exc


def page(request: HttpRequest, rows: QuerySet, params: PageParams, field: str,
         shape: Callable[[list], list[dict]]) -> dict:
    """One page of ``rows`` newest first by ``field`` then id: items, next_cursor and next."""
    rows = rows.order_by(f"-{field}", "-pk")
    if params.cursor:
        moment, pk = decode(params.cursor)
        rows = rows.filter(Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "pk__lt": pk}))
    found = list(rows[:params.limit + 1])
    more, found = len(found) > params.limit, found[:params.limit]
    next_cursor = encode(getattr(found[-1], field), found[-1].pk) if more and found else None
    next_url = None
    if next_cursor:
        query = {k: v for k, v in request.GET.items() if k != "cursor"}
        query["cursor"] = next_cursor
        next_url = present.site_url(request.path + "?" + urlencode(query))
    return {"items": shape(found), "next_cursor": next_cursor, "next": next_url}
