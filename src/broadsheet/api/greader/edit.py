"""Read and starred state from apps: a read item is a reading in the reader's history, a
starred one a saved article."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.readers.models import ReadingHistory, SavedArticle
from broadsheet.readers.paywall import can_read_full

from .common import (
    KEPT_UNREAD,
    MAX_ID_ITEMS,
    READ,
    STARRED,
    BadRequest,
    from_epoch,
    item_ids,
    normalise_stream,
    param,
    params,
    reader_view,
    text,
)
from .streams import stream_articles

BULK_BATCH = 500

def mark_read(user, article_ids: list[int], full: bool) -> None:
    now = timezone.now()
    for start in range(0, len(article_ids), BULK_BATCH):
        ReadingHistory.objects.bulk_create(
            [ReadingHistory(user=user, article_id=pk, read_at=now, full=full)
             for pk in article_ids[start:start + BULK_BATCH]],
            ignore_conflicts=True)


def save(user, article_ids: list[int]) -> None:
    SavedArticle.objects.bulk_create([SavedArticle(user=user, article_id=pk)
                                      for pk in article_ids], ignore_conflicts=True)


@reader_view(("POST",))
def edit_tag(request: HttpRequest, user) -> HttpResponse:
    """``a=`` adds and ``r=`` removes read / starred on the items ``i=``."""
    ids = list(Article.objects.filter(pk__in=item_ids(request, MAX_ID_ITEMS))
               .values_list("pk", flat=True))
    add = {normalise_stream(t) for t in params(request, "a")}
    remove = {normalise_stream(t) for t in params(request, "r")}
    if READ in add or KEPT_UNREAD in remove:
        # An app marks an item read when the reader has it in front of them: a reading, in full
        # when their membership gives full text.
        mark_read(user, ids, full=can_read_full(user))
    if READ in remove or KEPT_UNREAD in add:
        ReadingHistory.objects.filter(user=user, article_id__in=ids).delete()
    if STARRED in add:
        save(user, ids)
    if STARRED in remove:
        SavedArticle.objects.filter(user=user, article_id__in=ids).delete()
    return text("OK")


@reader_view(("POST",))
def mark_all_as_read(request: HttpRequest, user) -> HttpResponse:
    """Everything in stream ``s`` published up to ``ts`` becomes read (not a reading in full)."""
    stream = param(request, "s")
    if not stream:
        raise BadRequest("s (the stream) is required")
    articles = stream_articles(user, stream).exclude(
        Exists(ReadingHistory.objects.filter(user=user, article=OuterRef("pk"))))
    if param(request, "ts"):
        articles = articles.filter(published_at__lte=from_epoch(param(request, "ts"), "ts"))
    mark_read(user, list(articles.values_list("pk", flat=True)), full=False)
    return text("OK")
