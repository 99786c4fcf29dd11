"""A reading report, from a page's beacon or the API: stored in the ledger, learned from."""

from __future__ import annotations

from datetime import datetime

from broadsheet.articles.models import Article, Takedown
from broadsheet.publishers.ledger import Recorded, record_read

from . import interests


class UnknownArticle(LookupError):
    """No such article; ``removed`` when an editor took it down."""

    def __init__(self, article_id: int, removed: bool) -> None:
        self.article_id = article_id
        self.removed = removed
        super().__init__(f"article {article_id} was taken down" if removed
                         else f"no article {article_id}")


def report_read(user, article_id: int, seconds: int, finished: bool,
                now: datetime | None = None) -> Recorded:
    """Record that ``user`` read an article for ``seconds`` (and maybe to the end)."""
    article = (Article.objects.select_related("publisher", "story")
               .filter(pk=article_id).first())
    if article is None:
        raise UnknownArticle(article_id, Takedown.objects.filter(article_id=article_id).exists())
    recorded = record_read(user, article, seconds, finished, now)
    if recorded.changed:
        interests.learn_from_read(user, article, (recorded.before_seconds,
                                                  recorded.before_finished),
                                  (recorded.read.seconds, recorded.read.finished), now)
    return recorded
