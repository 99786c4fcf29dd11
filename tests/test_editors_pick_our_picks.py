"""Our Picks: editors pick stories and articles for the home page or a section, with a note, an
order and a schedule; readers see only live picks; the API and the feed carry them; nothing
else ever appears under the label."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from api_support import PASSWORD, make_article, make_publisher, make_reader
from django.urls import reverse
from django.utils import timezone
from story_support import make_story

from broadsheet.api.auth import issue_token
from broadsheet.audit.models import EditorialAction
from broadsheet.curation import picks
from broadsheet.curation.models import Pick, Section
from broadsheet.readers.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor() -> User:
    return User.objects.create_user("editor@example.org", PASSWORD, is_staff=True)


@pytest.fixture
def articles():
    publisher = make_publisher()
    return [make_article(publisher, n, published_at=timezone.now() - timedelta(hours=n))
            for n in range(1, 6)]


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user).secret}"}


def order(section=None) -> list[int]:
    return [p.article_id or p.story_id for p in picks.live(section)]


# --- positions and schedule ----------------------------------------------------------------------

def test_a_taken_position_moves_the_others_down_and_no_position_goes_last(editor, articles):
    a, b, c, d = articles[:4]
    picks.create(editor, article=a)
    picks.create(editor, article=b)
    picks.create(editor, article=c, position=1)
    picks.create(editor, article=d, position=2)
    assert order() == [c.pk, d.pk, a.pk, b.pk]
    assert [p.position for p in picks.live()] == [1, 2, 3, 4]


def test_move_up_down_and_unpick_keep_positions_dense(editor, articles):
    made = [picks.create(editor, article=a) for a in articles[:3]]
    picks.move(editor, made[2], -1)
    assert order() == [articles[0].pk, articles[2].pk, articles[1].pk]
    picks.move(editor, Pick.objects.get(pk=made[0].pk), +1)
    assert order() == [articles[2].pk, articles[0].pk, articles[1].pk]
    picks.remove(editor, Pick.objects.get(pk=made[2].pk))
    assert [(p.article_id, p.position) for p in picks.live()] == [
        (articles[0].pk, 1), (articles[1].pk, 2)]


def test_only_picks_within_their_schedule_are_live(editor, articles):
    now = timezone.now()
    picks.create(editor, article=articles[0], starts_at=now + timedelta(hours=2))
    picks.create(editor, article=articles[1], ends_at=now + timedelta(hours=2))
    ended = picks.create(editor, article=articles[2], starts_at=now - timedelta(days=2),
                         ends_at=now + timedelta(hours=1))
    Pick.objects.filter(pk=ended.pk).update(ends_at=now - timedelta(minutes=1))
    assert order() == [articles[1].pk]
    assert order_at(now + timedelta(hours=3)) == [articles[0].pk]


def order_at(moment) -> list[int]:
    return [p.article_id for p in picks.live(now=moment)]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"note": "x" * 301}, "note"),
    ({"ends_at_before_start": True}, "ends_at"),
])
def test_bad_picks_are_refused_naming_the_field(editor, articles, kwargs, field):
    if kwargs.pop("ends_at_before_start", False):
        now = timezone.now()
        kwargs = {"starts_at": now, "ends_at": now - timedelta(hours=1)}
    with pytest.raises(picks.PickError) as raised:
        picks.create(editor, article=articles[0], **kwargs)
    assert raised.value.field == field
    assert not Pick.objects.exists()


def test_the_same_item_is_picked_once_per_place(editor, articles):
    picks.create(editor, article=articles[0])
    with pytest.raises(picks.PickError):
        picks.create(editor, article=articles[0])
    sport = Section.objects.get(slug="sport")
    picks.create(editor, article=articles[0], section=sport)  # another place: fine
    assert Pick.objects.count() == 2


# --- pages ---------------------------------------------------------------------------------------

def test_home_shows_live_picks_with_notes_and_nothing_without_them(client, editor, articles):
    story = make_story(articles[3:5])
    assert "Our Picks" not in client.get(reverse("home")).content.decode()
    picks.create(editor, article=articles[0], note="A careful account of the flood.")
    picks.create(editor, story=story, note="Every outlet on the sea wall.", position=1)
    body = client.get(reverse("home")).content.decode()
    box = body[body.index('id="our-picks"'):]
    box = box[:box.index("</section>")]
    assert "A careful account of the flood." in box and "Every outlet on the sea wall." in box
    assert box.index(f'href="/story/{story.pk}/"') < box.index(articles[0].title)


def test_a_section_pick_shows_on_its_section_only(client, editor, articles):
    sport = Section.objects.get(slug="sport")
    picks.create(editor, article=articles[0], section=sport, note="The final, told well.")
    section_page = client.get(reverse("section", args=["sport"])).content.decode()
    assert "Our Picks" in section_page and "The final, told well." in section_page
    assert "Our Picks" not in client.get(reverse("home")).content.decode()


def test_readers_see_no_desk_and_cannot_post_to_it(client, articles):
    reader = make_reader("trial")
    client.force_login(reader)
    for path in (reverse("home"), f"/article/{articles[0].pk}/x/"):
        assert "Editors' desk" not in client.get(path, follow=True).content.decode()
    response = client.post(reverse("desk_pick_create"), {"article_id": articles[0].pk})
    assert response.status_code == 403
    assert not Pick.objects.exists()


def test_an_editor_picks_from_a_plain_form_in_their_time_zone(client, editor, articles):
    editor.time_zone = "Europe/London"
    editor.save()
    client.force_login(editor)
    response = client.post(reverse("desk_pick_create"), {
        "article_id": articles[0].pk, "section": "", "note": "Worth your time.",
        "starts_at": "2030-06-01T09:00", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    pick = Pick.objects.get()
    assert pick.starts_at.isoformat() == "2030-06-01T08:00:00+00:00"  # 09:00 BST
    assert pick.created_by == editor
    home = client.get("/").content.decode()
    assert "Our Picks: editors' desk" in home and "scheduled from" in home


# --- API and feed ------------------------------------------------------------------------------

def test_api_picks_round_trip(client, editor, articles):
    story = make_story(articles[2:4])
    made = client.post("/api/v1/picks", {"article_id": articles[0].pk, "note": "Read this."},
                       content_type="application/json", **bearer(editor))
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["position"] == 1 and body["section"] is None and body["note"] == "Read this."
    assert body["article"]["id"] == articles[0].pk and body["story"] is None
    second = client.post("/api/v1/picks", {"story_id": story.pk, "section": "world",
                                           "position": 1},
                         content_type="application/json", **bearer(editor)).json()
    assert second["story"]["id"] == story.pk and second["section"] == "world"

    everyone = client.get("/api/v1/picks").json()
    assert [p["id"] for p in everyone] == [body["id"], second["id"]]
    assert [p["id"] for p in client.get("/api/v1/picks?section=world").json()] == [second["id"]]

    changed = client.patch(f"/api/v1/picks/{body['id']}", {"note": "", "section": "world",
                                                          "position": 1},
                           content_type="application/json", **bearer(editor))
    assert changed.status_code == 200
    assert changed.json()["section"] == "world" and changed.json()["position"] == 1
    world = client.get("/api/v1/picks?section=world").json()
    assert [(p["id"], p["position"]) for p in world] == [(body["id"], 1), (second["id"], 2)]

    assert client.delete(f"/api/v1/picks/{body['id']}", **bearer(editor)).status_code == 204
    assert [p["position"] for p in client.get("/api/v1/picks").json()] == [1]
    actions = list(EditorialAction.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["pick.create", "pick.create", "pick.update", "pick.delete"]


def test_api_picks_need_an_editor(client, articles):
    payload = {"article_id": articles[0].pk}
    assert client.post("/api/v1/picks", payload,
                       content_type="application/json").status_code == 401
    reader = make_reader("active")
    assert client.post("/api/v1/picks", payload, content_type="application/json",
                       **bearer(reader)).status_code == 403
    assert not Pick.objects.exists()


@pytest.mark.parametrize(("payload", "field"), [
    ({}, "story_id"),
    ({"article_id": 999999}, "article_id"),
    ({"story_id": 999999}, "story_id"),
    ({"article_id": "ARTICLE", "position": 0}, "position"),
    ({"article_id": "ARTICLE", "section": "no-such-section"}, "section"),
    ({"article_id": "ARTICLE", "note": "x" * 301}, "note"),
    ({"article_id": "ARTICLE", "starts_at": "2030-01-02T00:00:00Z",
      "ends_at": "2030-01-01T00:00:00Z"}, "ends_at"),
    ({"article_id": "ARTICLE", "starts_at": "not a date"}, "starts_at"),
])
def test_api_invalid_picks_get_422_naming_the_field(client, editor, articles, payload, field):
    payload = {k: articles[0].pk if v == "ARTICLE" else v for k, v in payload.items()}
    response = client.post("/api/v1/picks", payload, content_type="application/json",
                           **bearer(editor))
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"]
    assert not Pick.objects.exists()


def test_picks_feed_lists_live_picks_in_order_with_notes(client, editor, articles):
    picks.create(editor, article=articles[1], note="Second, but first.")
    picks.create(editor, article=articles[0], note="The lead pick.", position=1)
    picks.create(editor, article=articles[2], starts_at=timezone.now() + timedelta(days=1))
    response = client.get("/feeds/picks.xml")
    assert response.status_code == 200
    items = ElementTree.fromstring(response.content).findall("./channel/item")
    assert [i.findtext("title") for i in items] == [articles[0].title, articles[1].title]
    assert "The lead pick." in items[0].findtext("description")


@pytest.mark.parametrize("field", ["story_id", "article_id"])
def test_a_mangled_form_gets_404_not_an_error_page(client, editor, field):
    client.force_login(editor)
    response = client.post(reverse("desk_pick_create"), {field: "12abc", "next": "/"})
    assert response.status_code == 404
    assert not Pick.objects.exists()
