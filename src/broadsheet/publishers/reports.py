"""What a publisher's page shows: its statements and its articles' qualified reads.

Counts only. Nothing here returns who read: the queries group the ledger by month or article
and never select a reader, so no page built on them can show one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, QuerySet

from broadsheet.articles.models import Article
from broadsheet.sources.models import Publisher

from .export import major
from .models import PublisherAccount, Statement, StatementLine
from .statements import month_bounds, qualified_reads, readers_by_publisher


def publishers_of(user) -> QuerySet[Publisher]:
    """The publishers whose page ``user`` may see: linked ones; every one for staff."""
    if user.is_staff:
        return Publisher.objects.order_by("name")
    return Publisher.objects.filter(
        pk__in=PublisherAccount.objects.filter(user=user).values("publisher_id")
    ).order_by("name")


@dataclass(frozen=True)
class MonthFigures:
    """One built month as the publisher sees it (zeros when none of its reads qualified)."""

    month: date
    qualified_reads: int
    unique_readers: int
    share: Decimal
    amount: str  # major units, two decimals
    currency: str

    @property
    def share_percent(self) -> str:
        return f"{self.share * 100:.2f}%"


def statement_months(publisher: Publisher) -> list[MonthFigures]:
    """Every built statement, newest first, with this publisher's line."""
    lines = {line.statement_id: line
             for line in StatementLine.objects.filter(publisher=publisher)}
    figures = []
    for statement in Statement.objects.order_by("-month"):
        line = lines.get(statement.pk)
        figures.append(MonthFigures(
            statement.month, line.qualified_reads if line else 0,
            line.unique_readers if line else 0, line.share if line else Decimal(0),
            major(line.amount if line else 0), statement.currency))
    return figures


@dataclass(frozen=True)
class MonthReads:
    """A month's qualified reads of one publisher so far, with the rule they were counted by."""

    month: date
    min_seconds: int
    built: bool
    qualified_reads: int
    unique_readers: int
    by_article: QuerySet  # rows {"article_id", "reads"}, most read first


def month_reads(publisher: Publisher, month: date) -> MonthReads:
    """Qualified reads of ``publisher``'s articles in ``month``: a built month by the minimum
    seconds its statement used, so the figures agree with it; others by today's setting."""
    statement = Statement.objects.filter(month=month).only("min_seconds").first()
    min_seconds = statement.min_seconds if statement else settings.READ_MIN_SECONDS
    reads = qualified_reads(*month_bounds(month), min_seconds).filter(publisher=publisher)
    total, readers = readers_by_publisher(reads).get(publisher.pk, (0, 0))
    by_article = (reads.order_by().values("article_id").annotate(reads=Count("id"))
                  .order_by("-reads", "article_id"))
    return MonthReads(month, min_seconds, statement is not None, total, readers, by_article)


@dataclass(frozen=True)
class ArticleReads:
    article_id: int
    title: str
    article: Article | None  # None once taken down (the ledger keeps its reads)
    reads: int


def with_titles(rows: list[dict]) -> list[ArticleReads]:
    """Attach each row's article (headline and link) for one page of ``by_article``."""
    ids = [row["article_id"] for row in rows]
    articles = Article.objects.only("id", "title").in_bulk(ids)
    return [ArticleReads(row["article_id"],
                         articles[row["article_id"]].title if row["article_id"] in articles
                         else "", articles.get(row["article_id"]), row["reads"])
            for row in rows]
