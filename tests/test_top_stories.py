"""Top stories on the home page and in the API: ranked stories, one entry per story, a cap per
section, the representative article with its outlets, and no story twice on the home page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from api_support import make_article, make_publisher
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from story_support import T0, Wire

from broadsheet.stories import queries as story_queries
from broadsheet.web import queries
from broadsheet.web.links import article_path


def top_box(body: str) -> str:
    start = body.index('id="top-stories"')
    return body[start:body.index("</section>", start)]


@pytest.fixture
def ranked(db) -> list[Wire]:
    """Three stories: the best-scored in World, then Politics, then Business."""
    return [Wire(100, "World", score=9.0), Wire(110, "Politics", score=5.0),
            Wire(120, "Business", score=2.0)]


def test_home_top_stories_follow_the_ranking_one_card_per_story(client, ranked):
    box = top_box(client.get(reverse("home")).content.decode())
    leads = re.findall(r'<h3 class="card-title"><a href="([^"]+)"', box)
    assert leads == [article_path(w.first) for w in ranked]
    for wire in ranked:
        assert f'href="{reverse("story", args=[wire.story.pk])}"' in box
        assert "Full coverage: 4 outlets" in box


def test_representative_is_an_original_from_the_weightiest_outlet(db):
    wire = Wire(130, score=3.0)
    wire.meridian.weight = 5.0
    wire.meridian.save()
    wire.courier.weight = 50.0  # only a copy: never the story's face
    wire.courier.save()
    [lead] = story_queries.top_entries(limit=1)
    assert lead == wire.meridian_piece
    assert lead.coverage == wire.story


def test_a_story_is_never_shown_twice_on_the_home_page(client, ranked):
    for n in range(6):
        make_article(make_publisher(f"Local {n}"), 700 + n, section="World",
                     published_at=T0 + timedelta(days=7, hours=n))
    body = client.get(reverse("home")).content.decode()
    for wire in ranked:
        shown = [a for a in wire.articles if f'href="{article_path(a)}"' in
                 body.replace("Also in:", "")]
        links = re.findall(r'<h3 class="card-title"><a href="([^"]+)"', body)
        in_cards = [a for a in wire.articles if article_path(a) in links]
        assert in_cards == [wire.first], (wire.story.pk, shown)


def test_per_section_cap(db):
    world = [Wire(140 + 10 * n, "World", score=10.0 - n) for n in range(3)]
    sport = Wire(170, "Sport", score=1.0)
    top = story_queries.top_entries(limit=4, per_section=2)
    assert [a.coverage for a in top] == [world[0].story, world[1].story, sport.story]


def test_stand_in_latest_only_when_no_story_is_scored(client, db):
    wire = Wire(180)  # a story, but not scored yet
    box = top_box(client.get(reverse("home")).content.decode())
    assert "<article" in box
    assert "Full coverage" not in box
    assert wire.copy.title not in box  # the stand-in shows copies once too
    assert queries.home_top_stories() and story_queries.top_entries() == []
    wire.story.score = 1.0
    wire.story.save()
    assert [a.coverage for a in queries.home_top_stories()] == [wire.story]


def test_home_queries_do_not_grow_with_top_stories(client, db):
    counts = []
    for size in (2, 6, 10):
        for n in range(size):
            Wire(200 + 10 * n + 100 * size, ["World", "Politics", "Sport"][n % 3],
                 score=6.0 - n)
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        counts.append(len(captured))
    # When the boxes above take every article, For you falls back to the latest (a query or
    # two, and one for their cards' topics); beyond that, more top stories cost nothing more.
    assert counts[1] <= counts[0] + 3 and counts[2] <= counts[1], counts


def test_api_top_stories_ranked_with_score_outlets_and_counts(client, ranked):
    response = client.get("/api/v1/stories/top", {"limit": 2})
    assert response.status_code == 200
    stories = response.json()
    assert [s["id"] for s in stories] == [ranked[0].story.pk, ranked[1].story.pk]
    first = stories[0]
    assert first["score"] == 9.0
    assert first["publisher_count"] == 4 and first["article_count"] == 5
    assert [o["slug"] for o in first["outlets"]] == [
        p.slug for p in (ranked[0].gazette, ranked[0].ledger, ranked[0].meridian,
                         ranked[0].courier)]
    assert first["first_publisher"]["slug"] == ranked[0].gazette.slug
    assert first["lead"]["id"] == ranked[0].first.pk
    assert first["url"].endswith(reverse("story", args=[ranked[0].story.pk]))
    capped = client.get("/api/v1/stories/top", {"limit": 10, "per_section": 1}).json()
    assert len(capped) == 3
