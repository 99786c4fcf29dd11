"""The reader's own lists in the JSON API: saved articles (/api/v1/saved) and reading history
(/api/v1/history), token or session.

Items are article summaries as in every other list (through the paywall), plus when the article
was saved or last read; both lists page by cursor, newest first. Saving is idempotent (saving
twice keeps one row) and teaches For you as the page's Save button does.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError
from pydantic import Field

from broadsheet.articles.models import Article, Takedown
from broadsheet.curation import interests
from broadsheet.readers.models import ReadingHistory, SavedArticle
from broadsheet.stories.queries import attach_carriers

from . import cursor, present, schemas
from .auth import ReaderAuth, reader_of

signed_in = ReaderAuth()
saved_router = Router(tags=["saved"])
history_router = Router(tags=["history"])


class SavedItem(schemas.ArticleSummary):
    saved_at: datetime


class SavedPage(schemas.CursorPage):
    items: list[SavedItem]


class HistoryItem(schemas.ArticleSummary):
    read_at: datetime = Field(description="When the reader last opened it")
    read_in_full: bool = Field(description="Whether they could read it whole then (not only "
                                           "the teaser)")


class HistoryPage(schemas.CursorPage):
    items: list[HistoryItem]


def _article_or_error(article_id: int) -> Article:
    article = Article.objects.select_related("publisher").filter(pk=article_id).first()
    if article is None and Takedown.objects.filter(article_id=article_id).exists():
        raise HttpError(410, f"Article {article_id} was removed.")
    if article is None:
        raise HttpError(404, f"No article with id {article_id}.")
    return article


def _shaped(user, rows: list, moment: str, extra) -> list[dict]:
    attach_carriers([row.article for row in rows])
    return [{**present.article_summary(user, row.article)[0], moment: getattr(row, moment),
             **extra(row)} for row in rows]


# --- saved ------------------------------------------------------------------------------------

def _saved_items(user, rows: list[SavedArticle]) -> list[dict]:
    return _shaped(user, rows, "saved_at", lambda row: {})


@saved_router.get("", response={200: SavedPage, 400: schemas.Error, 401: schemas.Error},
                  auth=signed_in, summary="Saved articles, the latest saved first")
def list_saved(request: HttpRequest, params: Query[cursor.PageParams]) -> dict:
    reader = reader_of(request)
    rows = SavedArticle.objects.filter(user=reader).select_related(
        "article", "article__publisher")
    return cursor.page(request, rows, params, "saved_at",
                       lambda found: _saved_items(reader, found))


@saved_router.put("/{int:article_id}", response={200: SavedItem, 201: SavedItem,
                                                 401: schemas.Error, 404: schemas.Error,
                                                 410: schemas.Error},
                  auth=signed_in, summary="Save an article (saving it again changes nothing)")
def save(request: HttpRequest, article_id: int) -> Status:
    reader = reader_of(request)
    article = _article_or_error(article_id)
    try:
        with transaction.atomic():
            row, created = SavedArticle.objects.get_or_create(user=reader, article=article)
    except IntegrityError:  # saved twice at once: saved either way
        row, created = SavedArticle.objects.get(user=reader, article=article), False
    if created:
        interests.learn_from_save(reader, article)
    row.article = article
    return Status(201 if created else 200, _saved_items(reader, [row])[0])


@saved_router.delete("/{int:article_id}", response={204: None, 401: schemas.Error,
                                                    404: schemas.Error},
                     auth=signed_in, summary="Unsave an article")
def unsave(request: HttpRequest, article_id: int) -> Status:
    deleted, _ = SavedArticle.objects.filter(user=reader_of(request),
                                             article_id=article_id).delete()
    if not deleted:
        raise HttpError(404, f"Article {article_id} is not saved.")
    return Status(204, None)


# --- reading history --------------------------------------------------------------------------

def _history_items(user, rows: list[ReadingHistory]) -> list[dict]:
    return _shaped(user, rows, "read_at", lambda row: {"read_in_full": row.full})


@history_router.get("", response={200: HistoryPage, 400: schemas.Error, 401: schemas.Error},
                    auth=signed_in, summary="Articles the reader opened, the latest first")
def list_history(request: HttpRequest, params: Query[cursor.PageParams]) -> dict:
    reader = reader_of(request)
    rows = ReadingHistory.objects.filter(user=reader).select_related(
        "article", "article__publisher")
    return cursor.page(request, rows, params, "read_at",
                       lambda found: _history_items(reader, found))


@history_router.delete("/{int:article_id}", response={204: None, 401: schemas.Error,
                                                      404: schemas.Error},
                       auth=signed_in, summary="Remove one article from the history")
def forget_read(request: HttpRequest, article_id: int) -> Status:
    deleted, _ = ReadingHistory.objects.filter(user=reader_of(request),
                                               article_id=article_id).delete()
    if not deleted:
        raise HttpError(404, f"Article {article_id} is not in the reading history.")
    return Status(204, None)


@history_router.delete("", response={204: None, 401: schemas.Error}, auth=signed_in,
                       summary="Clear the reading history")
def clear_history(request: HttpRequest) -> Status:
    ReadingHistory.objects.filter(user=reader_of(request)).delete()
    return Status(204, None)
