"""Top stories: ranked by how many publishers cover a story, how recent it is and how fast it grows.

score = coverage × freshness × (1 + growth)
  coverage  = sum of the weights of the distinct publishers in the story (``Publisher.weight``,
              1 by default; editors set it in the admin)
  freshness = 0.5 ** (hours since the story's latest article / HALF_LIFE_HOURS)
  growth    = articles in the last GROWTH_HOURS / articles before them (capped)

``rank_stories`` stores each recent story's score; ``top_stories`` picks the best, one entry per
story, at most ``per_section`` from one section, so that one busy section does not fill the list.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from broadsheet.articles.models import Article
from broadsheet.db import update_rows

from .models import Story

HALF_LIFE_HOURS = 12.0
GROWTH_HOURS = 3.0
MAX_GROWTH = 2.0
RECENT = timedelta(hours=72)


def story_score(publisher_weights: list[float], last_published_at: datetime, recent_articles: int,
                older_articles: int, now: datetime) -> float:
    coverage = sum(publisher_weights)
    hours = max((now - last_published_at).total_seconds() / 3600, 0.0)
    freshness = 0.5 ** (hours / HALF_LIFE_HOURS)
    growth = min(recent_articles / max(older_articles, 1), MAX_GROWTH) if recent_articles else 0.0
    return coverage * freshness * (1 + growth)


def rank_stories(now: datetime | None = None) -> int:
    """Score every story with an article in the last three days; returns how many."""
    now = now or timezone.now()
    growth_since = now - timedelta(hours=GROWTH_HOURS)
    recent = Q(articles__published_at__gte=growth_since)
    stories = list(Story.objects.filter(last_published_at__gte=now - RECENT)
                   .annotate(recent=Count("articles", filter=recent),
                             older=Count("articles", filter=~recent)))
    weights: dict[int, dict[int, float]] = {}
    rows = (Article.objects.filter(story__in=[story.pk for story in stories])
            .values_list("story_id", "publisher_id", "publisher__weight").distinct())
    for story_id, publisher_id, weight in rows:
        weights.setdefault(story_id, {})[publisher_id] = weight
    for story in stories:
        story.score = story_score(list(weights.get(story.pk, {}).values()),
                                  story.last_published_at, story.recent, story.older, now)
        story.scored_at = now
    update_rows(Story, stories, ["score", "scored_at"])
    Story.objects.filter(last_published_at__lt=now - RECENT, score__gt=0).update(score=0.0)
    return len(stories)


def top_stories(limit: int = 10, per_section: int = 3) -> list[Story]:
    """The best-scored stories, at most ``per_section`` from any one section.

    Reads down the ranking until the list is full (only stories of the last three days have a
    score), so a busy section never leaves it short.
    """
    chosen: list[Story] = []
    per: dict[str, int] = {}
    for story in (Story.objects.filter(score__gt=0, hidden_at__isnull=True)
                  .select_related("first_publisher")
                  .order_by("-score", "-last_published_at").iterator(chunk_size=limit * 5)):
        if per.get(story.section, 0) >= per_section and story.section:
            continue
        per[story.section] = per.get(story.section, 0) + 1
        chosen.append(story)
        if len(chosen) == limit:
            break
    return chosen
