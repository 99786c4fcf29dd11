"""Reading reports in the JSON API, mounted at /api/v1/reads.

An app reports what a page reports: time on the article while it was visible, and whether the
reader reached the end. One record per reader, article and day; sending a report again (or a
later one with more seconds) keeps the largest seconds and any ``finished``.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from broadsheet.curation.reading import UnknownArticle, report_read
from broadsheet.publishers.ledger import MAX_SECONDS

from . import schemas
from .auth import ReaderAuth, reader_of

router = Router(tags=["reading"])
signed_in = ReaderAuth()


class ReadIn(schemas.Body):
    article_id: int
    seconds: int = Field(ge=0, le=24 * 3600, description=(
        f"Seconds the article was on screen (counted up to {MAX_SECONDS})"))
    finished: bool = Field(False, description="The reader reached the end of the article")


class ReadOut(Schema):
    article_id: int
    day: str = Field(description="The UTC day the read counts for (YYYY-MM-DD)")
    seconds: int = Field(description="The most seconds reported for that day")
    finished: bool


@router.post("", response={200: ReadOut, 201: ReadOut, 401: schemas.Error, 404: schemas.Error,
                           410: schemas.Error, 422: schemas.Error},
             auth=signed_in, summary="Report reading an article (token or session)")
def post_read(request: HttpRequest, payload: ReadIn) -> Status:
    try:
        recorded = report_read(reader_of(request), payload.article_id, payload.seconds,
                               payload.finished)
    except UnknownArticle as missing:
        raise HttpError(410 if missing.removed else 404, str(missing).capitalize() + ".") \
            from missing
    read = recorded.read
    created = (recorded.before_seconds, recorded.before_finished) == (0, False) \
        and read.first_at == read.last_at
    return Status(201 if created else 200, {
        "article_id": read.article_id, "day": read.day.isoformat(), "seconds": read.seconds,
        "finished": read.finished})
