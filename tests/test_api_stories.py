"""The stories API: /api/v1/stories/top and /api/v1/stories/{id} (copies nested under their
originals, summaries through the paywall), and story_id / duplicate_of on article answers."""

from __future__ import annotations

import pytest
from api_support import make_reader
from story_support import T0, Wire

from broadsheet.api.auth import issue_token
from broadsheet.stories.models import Story


@pytest.fixture
def wire(db) -> Wire:
    return Wire(100, "World", score=4.0)


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user).secret}"}


def test_story_with_its_articles_and_copies_nested(client, wire):
    response = client.get(f"/api/v1/stories/{wire.story.pk}")
    assert response.status_code == 200
    story = response.json()
    assert story["headline"] == wire.story.headline
    assert story["first_publisher"]["slug"] == wire.gazette.slug
    assert story["article_count"] == 5 and story["publisher_count"] == 4
    assert [a["id"] for a in story["articles"]] == [
        a.pk for a in (wire.first, wire.ledger_piece, wire.meridian_piece, wire.follow_up)]
    first = story["articles"][0]
    assert [c["id"] for c in first["copies"]] == [wire.copy.pk]
    assert first["copies"][0]["duplicate_of"] == wire.first.pk
    assert all(a["copies"] == [] for a in story["articles"][1:])
    assert all(a["story_id"] == wire.story.pk for a in story["articles"])
    assert story["url"].endswith(f"/story/{wire.story.pk}/")
    assert story["sections"] == ["World"]


def test_story_lists_every_section_most_common_first(client, wire):
    wire.meridian_piece.section = "Business"
    wire.meridian_piece.save(update_fields=["section"])
    story = client.get(f"/api/v1/stories/{wire.story.pk}").json()
    assert story["sections"] == ["World", "Business"]
    top = client.get("/api/v1/stories/top").json()
    assert top[0]["sections"] == ["World", "Business"]


def test_a_very_large_story_lists_its_earliest_articles(client, wire, monkeypatch):
    from broadsheet.stories import queries

    monkeypatch.setattr(queries, "MAX_COVERAGE_ARTICLES", 3)
    story = client.get(f"/api/v1/stories/{wire.story.pk}").json()
    assert story["truncated"] is True
    listed = [a["id"] for a in story["articles"]]
    listed += [c["id"] for a in story["articles"] for c in a["copies"]]
    assert sorted(listed) == sorted(a.pk for a in (wire.first, wire.ledger_piece,
                                                   wire.meridian_piece))
    assert story["article_count"] == 5
    monkeypatch.setattr(queries, "MAX_COVERAGE_ARTICLES", 5)
    assert client.get(f"/api/v1/stories/{wire.story.pk}").json()["truncated"] is False


def test_visitors_get_teaser_summaries_only(client, wire):
    raw = client.get(f"/api/v1/stories/{wire.story.pk}").content.decode()
    for sentence in wire.markers():
        assert sentence not in raw
    story = client.get(f"/api/v1/stories/{wire.story.pk}").json()
    assert not any(a["full"] for a in story["articles"])
    assert all("html" not in a and "text" not in a for a in story["articles"])


def test_members_are_told_they_read_in_full(client, wire):
    story = client.get(f"/api/v1/stories/{wire.story.pk}",
                       **bearer(make_reader("trial"))).json()
    assert all(a["full"] for a in story["articles"])
    expired = client.get(f"/api/v1/stories/{wire.story.pk}",
                         **bearer(make_reader("expired"))).content.decode()
    assert not any(sentence in expired for sentence in wire.markers())


def test_merged_story_redirects_to_the_survivor(client, wire):
    gone = Story.objects.create(first_published_at=T0, last_published_at=T0,
                                merged_into=wire.story)
    response = client.get(f"/api/v1/stories/{gone.pk}")
    assert response.status_code == 301
    assert response["Location"].endswith(f"/api/v1/stories/{wire.story.pk}")


def test_unknown_story_is_404_in_words(client, db):
    response = client.get("/api/v1/stories/424242")
    assert response.status_code == 404
    assert "424242" in response.json()["detail"]


def test_top_is_ranked_and_diverse(client, db):
    stories = [Wire(100, "World", score=3.0), Wire(110, "World", score=9.0),
               Wire(120, "Sport", score=1.0), Wire(130, "World", score=0.5)]
    top = client.get("/api/v1/stories/top", {"per_section": 2}).json()
    assert [s["id"] for s in top] == [stories[1].story.pk, stories[0].story.pk,
                                      stories[2].story.pk]
    assert [s["score"] for s in top] == [9.0, 3.0, 1.0]
    assert all(len(s["outlets"]) == 4 and s["lead"]["duplicate_of"] is None for s in top)
    assert client.get("/api/v1/stories/top", {"limit": 0}).status_code == 422


def test_article_endpoints_carry_story_and_original(client, wire):
    item = client.get(f"/api/v1/articles/{wire.first.pk}").json()
    assert item["story_id"] == wire.story.pk and item["duplicate_of"] is None
    assert [c["article_id"] for c in item["also_in"]] == [wire.copy.pk]
    copy = client.get(f"/api/v1/articles/{wire.copy.pk}").json()
    assert copy["duplicate_of"] == wire.first.pk


def test_stories_are_in_the_openapi_document(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/stories/top" in paths and "/api/v1/stories/{story_id}" in paths
