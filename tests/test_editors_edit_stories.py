"""The stories desk: editors retitle a story, choose its lead, hide stories and articles from
listings, merge stories and move articles; later clustering never undoes what they decided."""

from __future__ import annotations

import pytest
from api_support import PASSWORD, make_article, make_publisher
from django.urls import reverse
from story_support import Wire

from broadsheet.articles.models import Article
from broadsheet.audit.models import EditorialAction
from broadsheet.curation import desk
from broadsheet.demo.network import DemoNetwork
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.poll.pipeline import run_sources
from broadsheet.readers.models import User
from broadsheet.sources import state
from broadsheet.sources.models import Source
from broadsheet.stories.assign import assign_pending, forget_engines
from broadsheet.stories.models import Story
from broadsheet.stories.queries import top_entries
from broadsheet.stories.refine import refine_recent

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor() -> User:
    return User.objects.create_user("editor@example.org", PASSWORD, is_staff=True)


def test_retitle_and_back_to_the_automatic_title(client, editor):
    wire = Wire()
    automatic = wire.story.headline
    desk.retitle(editor, wire.story, "  Storm breaches the harbour wall  ")
    page = client.get(reverse("story", args=[wire.story.pk])).content.decode()
    assert '<h1 id="headline">Storm breaches the harbour wall</h1>' in page
    assert client.get(f"/api/v1/stories/{wire.story.pk}").json()["headline"] == \
        "Storm breaches the harbour wall"
    entry = EditorialAction.objects.get(action="story.retitle")
    assert entry.before["headline"] == automatic
    assert entry.after["headline"] == "Storm breaches the harbour wall"
    assert entry.editor == editor.email

    desk.retitle(editor, Story.objects.get(pk=wire.story.pk), "")
    page = client.get(reverse("story", args=[wire.story.pk])).content.decode()
    assert f'<h1 id="headline">{automatic}</h1>' in page


def test_the_lead_article_is_the_editors_choice(editor):
    wire = Wire(score=5.0)
    assert top_entries(limit=1)[0].pk == wire.first.pk
    desk.set_lead(editor, wire.story, wire.meridian_piece)
    assert top_entries(limit=1)[0].pk == wire.meridian_piece.pk
    other = make_article(make_publisher("Elsewhere"), 900)
    with pytest.raises(desk.DeskError):
        desk.set_lead(editor, Story.objects.get(pk=wire.story.pk), other)


def test_a_hidden_story_leaves_the_listings_but_keeps_its_page(client, editor):
    shown, hidden = Wire(100, score=5.0), Wire(200, score=9.0)
    desk.set_story_hidden(editor, hidden.story, True)
    assert [a.story_id for a in top_entries(limit=5)] == [shown.story.pk]
    assert [s["id"] for s in client.get("/api/v1/stories/top").json()] == [shown.story.pk]
    assert client.get(reverse("story", args=[hidden.story.pk])).status_code == 200
    desk.set_story_hidden(editor, Story.objects.get(pk=hidden.story.pk), False)
    assert [a.story_id for a in top_entries(limit=5)] == [hidden.story.pk, shown.story.pk]


def test_a_hidden_article_leaves_every_listing(client, editor):
    wire = Wire()
    hidden = wire.ledger_piece
    desk.set_article_hidden(editor, hidden, True)
    listed = [item["id"] for item in client.get("/api/v1/articles?limit=50").json()["items"]]
    assert hidden.pk not in listed and wire.first.pk in listed
    assert hidden.title not in client.get(reverse("section", args=["world"])).content.decode()
    assert hidden.title not in client.get(reverse("story", args=[wire.story.pk])).content.decode()
    found = client.get("/api/v1/search?q=Council+blames+cuts").json()["items"]
    assert hidden.pk not in [item["id"] for item in found]
    assert client.get(f"/article/{hidden.pk}/x/", follow=True).status_code == 200


def test_merging_moves_the_articles_and_the_address_leads_on(client, editor):
    first, second = Wire(100), Wire(200)
    desk.merge(editor, second.story, first.story)
    assert set(Article.objects.filter(story=first.story).values_list("pk", flat=True)) == \
        {a.pk for a in first.articles + second.articles}
    response = client.get(reverse("story", args=[second.story.pk]))
    assert response.status_code == 301 and response["Location"] == f"/story/{first.story.pk}/"
    survivor = Story.objects.get(pk=first.story.pk)
    assert survivor.article_count == 10 and survivor.kept_by_desk
    with pytest.raises(desk.DeskError):
        desk.merge(editor, survivor, survivor)


def test_moving_an_article_to_a_new_story_and_back(editor):
    wire = Wire()
    new = desk.move_article(editor, wire.first, None)
    moved = set(Article.objects.filter(story=new).values_list("pk", flat=True))
    assert moved == {wire.first.pk, wire.copy.pk}  # a copy goes with its original
    assert Story.objects.get(pk=wire.story.pk).article_count == 3
    desk.move_article(editor, Article.objects.get(pk=wire.first.pk), wire.story)
    assert Story.objects.get(pk=wire.story.pk).article_count == 5
    emptied = Story.objects.get(pk=new.pk)
    assert emptied.merged_into_id == wire.story.pk  # its address leads to where they went


# --- later clustering keeps what editors decided -------------------------------------------------

POLICY = FetchPolicy(allow_private=True, host_delay=0.0, per_host=8)


@pytest.fixture
def demo():
    with DemoNetwork() as network:
        network.install()
        run_sources(state.jobs(Source.objects.order_by("id")), policy=POLICY, workers=1)
        assert assign_pending() == 0
        yield network


def _biggest_story() -> Story:
    return Story.objects.filter(merged_into__isnull=True).order_by("-article_count", "pk")[0]


def test_a_split_stays_split_after_refinement(demo, editor):
    story = _biggest_story()
    stray = story.articles.filter(duplicate_of__isnull=True).order_by("-published_at")[0]
    apart = desk.move_article(editor, stray, None)
    before = dict(Article.objects.values_list("id", "story_id"))

    refine_recent()  # the engine was built before the move: it learns it first
    assign_pending()
    forget_engines()  # and after a restart, from the database
    assign_pending()
    refine_recent()

    assert dict(Article.objects.values_list("id", "story_id")) == before
    assert Story.objects.get(pk=apart.pk).merged_into_id is None


def test_merged_stories_stay_merged_after_refinement(demo, editor):
    stories = list(Story.objects.filter(merged_into__isnull=True, article_count__gte=2)
                   .order_by("-article_count", "pk")[:2])
    desk.merge(editor, stories[1], stories[0])
    before = dict(Article.objects.values_list("id", "story_id"))
    assign_pending()
    refine_recent()
    forget_engines()
    assign_pending()
    refine_recent()
    assert dict(Article.objects.values_list("id", "story_id")) == before
