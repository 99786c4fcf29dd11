"""`broadsheet articles export`: every article as one JSON object per line."""

from __future__ import annotations

import json
from typing import TextIO

from .models import Article


def article_record(article: Article) -> dict:
    return {
        "id": article.pk,
        "url": article.canonical_url,
        "title": article.title,
        "author": article.author,
        "publisher": article.publisher.name,
        "section": article.section,
        "published_at": article.published_at.isoformat(),
        "language": article.language,
        "text": article.text,
        "story_id": getattr(article, "story_id", None),
        "duplicate_of": getattr(article, "duplicate_of_id", None),
    }


def export_jsonl(out: TextIO) -> int:
    count = 0
    for article in Article.objects.select_related("publisher").order_by("id").iterator(2000):
        out.write(json.dumps(article_record(article), ensure_ascii=False) + "\n")
        count += 1
    return count
