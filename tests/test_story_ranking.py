"""Top stories are ranked by distinct publishers (weighted), recency and growth, periodically."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_support import make_article, make_publisher
from django.core.exceptions import ValidationError
from django.utils import timezone
from story_support import make_story

from broadsheet.stories import tasks
from broadsheet.stories.models import Story
from broadsheet.stories.ranking import rank_stories, top_stories

pytestmark = pytest.mark.django_db


NOW = timezone.now()


def story_of(name: str, n: int, ages_in_hours: list[float], *, outlets: int) -> Story:
    """A story with one article per age; its articles spread over ``outlets`` publishers."""
    publishers = [make_publisher(f"{name} outlet {k}") for k in range(outlets)]
    now = NOW  # one moment for every story, so that ages compare exactly
    articles = [make_article(publishers[k % outlets], n + k, published_at=now - timedelta(hours=h))
                for k, h in enumerate(ages_in_hours)]
    return make_story(articles)


def scores(*stories: Story) -> list[float]:
    return [Story.objects.get(pk=s.pk).score for s in stories]


def test_more_publishers_rank_higher_than_more_articles_from_one():
    wide = story_of("Wide", 100, [5, 5, 5], outlets=3)
    narrow = story_of("Narrow", 200, [5, 5, 5], outlets=1)
    assert rank_stories() == 2
    wide_score, narrow_score = scores(wide, narrow)
    assert wide_score == pytest.approx(3 * narrow_score)
    assert [s.pk for s in top_stories()] == [wide.pk, narrow.pk]


def test_publisher_weight_counts_in_the_score():
    weighted = story_of("Weighted", 100, [5, 5], outlets=2)
    plain = story_of("Plain", 200, [5, 5], outlets=2)
    rank_stories()
    assert scores(weighted) == pytest.approx(scores(plain))
    publisher = weighted.articles.first().publisher
    publisher.weight = 3.0
    publisher.save(update_fields=["weight"])
    rank_stories()
    weighted_score, plain_score = scores(weighted, plain)
    assert weighted_score == pytest.approx(plain_score * 4 / 2)


def test_a_negative_publisher_weight_is_refused():
    publisher = make_publisher("Negative")
    publisher.weight = -1.0
    with pytest.raises(ValidationError):
        publisher.full_clean()


def test_fresh_coverage_outranks_the_same_coverage_a_day_old():
    fresh = story_of("Fresh", 100, [4, 5], outlets=2)
    stale = story_of("Stale", 200, [28, 29], outlets=2)
    rank_stories()
    fresh_score, stale_score = scores(fresh, stale)
    assert fresh_score == pytest.approx(stale_score * 2 ** 2, rel=0.01)  # 24 h = two half-lives


def test_a_growing_story_outranks_a_steady_one():
    growing = story_of("Growing", 100, [1, 2, 6, 7], outlets=4)  # two of four in the last 3 h
    steady = story_of("Steady", 200, [1, 6, 7, 8], outlets=4)
    rank_stories()
    growing_score, steady_score = scores(growing, steady)
    assert growing_score > steady_score


def test_stories_older_than_three_days_leave_top_stories():
    old = story_of("Old", 100, [80, 81], outlets=2)
    Story.objects.filter(pk=old.pk).update(score=5.0)
    current = story_of("Current", 200, [1], outlets=1)
    assert rank_stories() == 1
    assert scores(old) == [0.0]
    assert [s.pk for s in top_stories()] == [current.pk]


def test_a_busy_section_does_not_leave_top_stories_short():
    publisher = make_publisher("Busy")
    for n in range(12):  # a dozen World stories outscore the one Business story
        make_story([make_article(publisher, 100 + n, section="World")], score=10.0 + n)
    business = make_story([make_article(publisher, 200, section="Business")], score=1.0)
    chosen = top_stories(limit=2, per_section=1)
    assert [s.section for s in chosen] == ["World", "Business"]
    assert chosen[1].pk == business.pk


def test_the_ranking_runs_as_a_periodic_task():
    story = story_of("Periodic", 100, [1, 2], outlets=2)
    assert tasks.rank_top_stories.call_local() == 1
    assert scores(story)[0] > 0
