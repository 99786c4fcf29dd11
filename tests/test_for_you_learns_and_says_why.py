"""For you learns from what a reader reads and says why each item is there; the reader steers it
with "Show fewer like this", removes what was learned, or starts again."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from api_support import make_reader
from django.test import Client
from for_you_support import build_newsroom

from broadsheet.api.auth import issue_token
from broadsheet.curation import picks
from broadsheet.readers.models import User
from broadsheet.stories.models import Story

pytestmark = pytest.mark.django_db

KINDS = {"read", "follow", "topic", "section", "publisher", "top", "pick"}


def bearer(user: User) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user).secret}"}


def for_you(auth: dict, limit: int = 10) -> list[dict]:
    response = Client().get(f"/api/v1/for-you?limit={limit}", **auth)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def read(auth: dict, article_id: int, seconds: int = 90, finished: bool = True):
    return Client().post("/api/v1/reads", json.dumps(
        {"article_id": article_id, "seconds": seconds, "finished": finished}),
        content_type="application/json", **auth)


def section_of(item: dict) -> str:
    return item["story"]["section"] if item["story"] else item["section"]


@pytest.fixture
def room():
    return build_newsroom()


def test_a_reader_with_no_signal_gets_top_stories_and_our_picks(room):
    editor = User.objects.create_user("editor@example.com", "x", is_staff=True)
    picked = room.stories["Culture"][3]
    picks.create(editor, story=picked, note="A quiet triumph")
    auth = bearer(make_reader("trial"))
    items = for_you(auth)
    assert [i["reason"]["kind"] for i in items[:2]] == ["top", "pick"]
    assert items[0]["reason"]["text"] == "Top story now"
    assert items[0]["story"]["id"] == room.stories["World"][0].pk
    assert items[1]["story"]["id"] == picked.pk
    assert "A quiet triumph" in items[1]["reason"]["text"]
    assert {i["reason"]["kind"] for i in items} <= KINDS


def test_five_sport_stories_read_put_sport_first_with_reasons(room):
    reader = make_reader("trial")
    auth = bearer(reader)
    sport = room.stories["Sport"]
    for story in sport[:5]:
        assert read(auth, room.leads[story.pk].pk).status_code == 201
    items = for_you(auth)
    assert section_of(items[0]) == "Sport"
    assert items[0]["reason"]["kind"] in {"topic", "section"}
    assert "Because you read" in items[0]["reason"]["text"]
    assert sport[5].pk in [i["story"]["id"] for i in items[:3]]
    read_ids = {s.pk for s in sport[:5]}
    assert not read_ids & {i["story"]["id"] for i in for_you(auth, 50) if i["story"]}
    # Varied: at most three of the first ten from one section, and a Top story among them.
    assert max(Counter(section_of(i) for i in items).values()) <= 3
    assert any(i["story"]["id"] in {s.pk for s in room.stories["World"][:2]} for i in items)


def test_show_fewer_removes_a_section_at_once_and_reset_brings_back_the_start(room):
    start = [i["id"] for i in for_you(bearer(make_reader("trial")))]
    reader = make_reader("trial")
    auth = bearer(reader)
    for story in room.stories["Sport"][:5]:
        read(auth, room.leads[story.pk].pk)
    assert section_of(for_you(auth)[0]) == "Sport"
    response = Client().post("/api/v1/for-you/fewer", json.dumps({"section": "sport"}),
                             content_type="application/json", **auth)
    assert response.status_code == 200
    assert response.json() == {"kind": "section", "slug": "sport", "name": "Sport"}
    assert all(section_of(i) != "Sport" for i in for_you(auth, 50))
    profile = Client().get("/api/v1/for-you/profile", **auth).json()
    assert {"kind": "section", "slug": "sport", "name": "Sport"} in profile["fewer"]
    assert Client().delete("/api/v1/for-you/profile", **auth).status_code == 204
    assert [i["id"] for i in for_you(auth)] == start
    assert Client().get("/api/v1/for-you/profile", **auth).json() == {
        "interests": [], "follows": [], "fewer": []}


def test_the_profile_says_what_was_learned_in_words_and_any_of_it_can_go(room):
    auth = bearer(make_reader("active"))
    for story in room.stories["Technology"][:3]:
        read(auth, room.leads[story.pk].pk)
    profile = Client().get("/api/v1/for-you/profile", **auth).json()
    learned = {(i["kind"], i["slug"]): i for i in profile["interests"]}
    assert learned[("section", "technology")]["text"] == "You read Technology stories a lot"
    assert learned[("section", "technology")]["reads"] == 3
    assert ("topic", "artificial-intelligence") in learned
    response = Client().delete("/api/v1/for-you/profile/section/technology", **auth)
    assert response.status_code == 204
    after = Client().get("/api/v1/for-you/profile", **auth).json()["interests"]
    assert ("section", "technology") not in {(i["kind"], i["slug"]) for i in after}
    assert Client().delete("/api/v1/for-you/profile/section/technology",
                           **auth).status_code == 404


def test_fewer_needs_exactly_one_known_target(room):
    auth = bearer(make_reader("trial"))
    post = lambda body: Client().post("/api/v1/for-you/fewer", json.dumps(body),  # noqa: E731
                                      content_type="application/json", **auth)
    assert post({}).status_code == 422
    assert post({"section": "sport", "topic": "football"}).status_code == 422
    missing = post({"publisher": "no-such-outlet"})
    assert missing.status_code == 422
    assert "publisher" in missing.json()["detail"]
    assert post({"topic": "football"}).json()["name"] == "Football"


def test_for_you_needs_a_reader(room):
    assert Client().get("/api/v1/for-you").status_code == 401
    assert Client().get("/api/v1/for-you/profile").status_code == 401


def test_a_story_on_what_was_just_read_names_that_article(room):
    auth = bearer(make_reader("trial"))
    culture = room.stories["Culture"]
    read_lead = room.leads[culture[0].pk]  # its main topic is Film, as culture[3]'s is
    read(auth, read_lead.pk)
    by_story = {i["story"]["id"]: i["reason"] for i in for_you(auth, 50) if i["story"]}
    assert by_story[culture[3].pk] == {"kind": "read",
                                       "text": f"Because you read “{read_lead.title}”"}
    assert by_story[culture[1].pk]["kind"] in {"topic", "section"}  # Theatre: not that read


def test_new_articles_keep_the_shared_candidates_but_a_hidden_story_goes_at_once(room):
    from broadsheet.curation import candidates, desk
    from broadsheet.freshness import generation

    auth = bearer(make_reader("trial"))
    first = for_you(auth)
    built = candidates.pool()
    before = generation()
    room.leads[room.stories["Sport"][0].pk].save()  # an ingest stores an article
    assert generation() != before and candidates.pool() is built  # no rebuild per request
    editor = User.objects.create_user("desk@example.com", "x", is_staff=True)
    hidden = first[0]["story"]["id"]
    desk.set_story_hidden(editor, Story.objects.get(pk=hidden), True)
    assert hidden not in {i["story"]["id"] for i in for_you(auth, 50) if i["story"]}


def test_a_kept_ranking_answers_repeat_visits_and_anything_the_reader_does_replaces_it(
        room, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from broadsheet.curation import foryou, interests
    from broadsheet.readers.models import Follow
    from broadsheet.sources.models import Publisher

    reader = make_reader("trial")
    auth = bearer(reader)
    for story in room.stories["Sport"][:3]:
        assert read(auth, room.leads[story.pk].pk).status_code == 201
    with CaptureQueriesContext(connection) as first:
        ranked = foryou.for_you(reader, 10)
    with django_assert_max_num_queries(3):  # the signals' digest and the cards
        assert [i.article.pk for i in foryou.for_you(reader, 10)] == [
            i.article.pk for i in ranked]
    assert len(first) > 6  # the first visit really worked it out

    def shown() -> set[int]:
        return {i.story.pk for i in foryou.for_you(reader, 30) if i.story}

    story = ranked[0].story
    assert read(auth, room.leads[story.pk].pk).status_code == 201
    assert story.pk not in shown()  # a read leaves at once
    sport = next(i.section for i in foryou.for_you(reader, 30) if i.section[1] == "Sport")
    interests.show_fewer(reader, interests.Feature("section", sport[0], sport[1]))
    assert not any(i.section == sport for i in foryou.for_you(reader, 30))
    interests.show_again(reader, "section", sport[0])
    assert any(i.section == sport for i in foryou.for_you(reader, 30))
    assert not any(i.reason.kind == "follow" for i in foryou.for_you(reader, 30))
    Follow.objects.create(user=reader, publisher=Publisher.objects.order_by("pk").last())
    assert any(i.reason.kind == "follow" for i in foryou.for_you(reader, 30))
    interests.reset(reader)
    Follow.objects.filter(user=reader).delete()
    assert {i.reason.kind for i in foryou.for_you(reader, 10)} <= {"top", "pick"}
