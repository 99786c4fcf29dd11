"""Topics in the product: every story gets topics as it is clustered; one topic per entity
across stories; topic pages, follows, the API and feeds; editors rename, merge and hide them."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from api_support import PASSWORD, make_publisher, make_reader
from django.utils import timezone
from story_support import make_story

from broadsheet.articles.models import Article
from broadsheet.audit.models import EditorialAction
from broadsheet.curation import desk
from broadsheet.demo.network import DemoNetwork
from broadsheet.ingest.fetch import FetchPolicy
from broadsheet.poll.pipeline import run_sources
from broadsheet.readers.models import Follow, User
from broadsheet.sources import state
from broadsheet.sources.models import Source
from broadsheet.stories.assign import assign_pending
from broadsheet.stories.models import Story, StoryTopic, Topic

pytestmark = pytest.mark.django_db

SUMMIT = [
    ("President Trump meets Emmanuel Macron in Paris over trade",
     "Donald Trump met French President Emmanuel Macron in Paris on Tuesday. Trump said the "
     "talks on steel tariffs went well. Macron said France wants a deal with the United States."),
    ("Macron and Trump fail to agree on steel tariffs",
     "Emmanuel Macron and Donald Trump ended their Paris talks without a deal on steel tariffs. "
     "Mr Trump will fly to Berlin next."),
]
BERLIN = [
    ("Trump arrives in Berlin for talks with Merz",
     "Trump landed in Berlin on Wednesday for talks with the German chancellor Friedrich Merz "
     "on steel tariffs and Nato spending. Merz said Germany would listen."),
    ("Merz presses Trump on steel tariffs in Berlin",
     "Friedrich Merz pressed Trump on steel tariffs during talks in Berlin. Trump said Nato "
     "allies must spend more."),
]


def story_of(pieces, start: int, hours: int = 2) -> Story:
    articles = []
    for n, (title, text) in enumerate(pieces):
        publisher = make_publisher(f"Outlet {start + n}")
        articles.append(Article.objects.create(
            publisher=publisher, url=f"https://example.org/{start + n}",
            canonical_url=f"https://example.org/{start + n}", title=title, text=text,
            html=f"<p>{text}</p>", section="World", language="en",
            published_at=timezone.now() - timedelta(hours=hours - n)))
    return make_story(articles)


@pytest.fixture
def two_stories():
    return story_of(SUMMIT, 1, hours=5), story_of(BERLIN, 10, hours=2)


def topic_slugs(story: Story) -> set[str]:
    return set(StoryTopic.objects.filter(story=story).values_list("topic__slug", flat=True))


def test_one_topic_per_entity_across_stories(two_stories):
    summit, berlin = two_stories
    trump = Topic.objects.get(slug="donald-trump")
    assert trump.kind == "person"
    assert "donald-trump" in topic_slugs(summit) and "donald-trump" in topic_slugs(berlin)
    assert not Topic.objects.filter(slug__in=["trump", "president-trump", "mr-trump"]).exists()
    assert {"emmanuel-macron", "paris"} <= topic_slugs(summit)
    assert {"friedrich-merz", "berlin"} <= topic_slugs(berlin)


def test_topic_page_lists_its_stories_newest_first_and_can_be_followed(client, two_stories):
    summit, berlin = two_stories
    page = client.get("/topic/donald-trump/").content.decode()
    assert "<h1>Donald Trump</h1>" in page and "Follow Donald Trump" in page
    assert page.index(f'href="/story/{berlin.pk}/"') < page.index(f'href="/story/{summit.pk}/"')
    story_page = client.get(f"/story/{berlin.pk}/").content.decode()
    assert 'href="/topic/donald-trump/"' in story_page and 'href="/topic/friedrich-merz/"' in \
        story_page
    assert client.get("/topic/no-such-topic/").status_code == 404

    reader = make_reader("active")
    client.force_login(reader)
    client.post("/follow/", {"kind": "topic", "value": "donald-trump", "action": "follow"})
    assert Follow.objects.get(user=reader).topic == "donald-trump"
    following = client.get("/following/").content.decode()
    assert 'href="/topic/donald-trump/"' in following
    assert f'href="/story/{berlin.pk}/"' in following or any(
        a.title in following for a in berlin.articles.all())
    # Typing a name the product knows follows the topic, not the words.
    client.post("/follow/", {"kind": "topic", "value": "Merz", "action": "follow"})
    assert set(Follow.objects.values_list("topic", flat=True)) == {"donald-trump",
                                                                  "friedrich-merz"}


def test_api_and_feed_carry_topics(client, two_stories):
    summit, berlin = two_stories
    story = client.get(f"/api/v1/stories/{berlin.pk}").json()
    assert {"slug": "donald-trump", "name": "Donald Trump", "kind": "person"} in story["topics"]
    topic = client.get("/api/v1/topics/donald-trump").json()
    assert topic["name"] == "Donald Trump" and topic["kind"] == "person"
    assert [s["id"] for s in topic["stories"]] == [berlin.pk, summit.pk]
    assert client.get("/api/v1/topics/nothing-here").status_code == 404
    feed = ElementTree.fromstring(client.get("/feeds/topic/donald-trump.xml").content)
    titles = [item.findtext("title") for item in feed.findall("./channel/item")]
    assert len(titles) == 2 and "Berlin" in titles[0]


def test_editors_rename_merge_and_hide_topics(client, two_stories):
    summit, berlin = two_stories
    editor = User.objects.create_user("editor@example.org", PASSWORD, is_staff=True)
    client.force_login(editor)
    trump = Topic.objects.get(slug="donald-trump")
    client.post(f"/desk/topic/{trump.pk}/", {"action": "rename", "name": "Donald J. Trump"})
    assert client.get("/api/v1/topics/donald-trump").json()["name"] == "Donald J. Trump"

    paris = Topic.objects.get(slug="paris")
    berlin_topic = Topic.objects.get(slug="berlin")
    client.post(f"/desk/topic/{paris.pk}/", {"action": "merge", "into": "/topic/berlin/"})
    assert client.get("/topic/paris/").status_code == 301
    assert summit.pk in StoryTopic.objects.filter(topic=berlin_topic).values_list(
        "story_id", flat=True)

    macron = Topic.objects.get(slug="emmanuel-macron")
    client.post(f"/desk/topic/{macron.pk}/", {"action": "hide"})
    assert client.get("/topic/emmanuel-macron/").status_code == 404
    assert "emmanuel-macron" not in [t["slug"] for t in
                                      client.get(f"/api/v1/stories/{summit.pk}").json()["topics"]]
    again = make_story(list(Article.objects.filter(story=summit)))  # clustered anew
    assert "emmanuel-macron" not in topic_slugs(again) and "donald-trump" in topic_slugs(again)
    assert [e.action for e in EditorialAction.objects.order_by("id")] == [
        "topic.rename", "topic.merge", "topic.hide"]
    client.force_login(make_reader("active"))
    assert client.post(f"/desk/topic/{trump.pk}/", {"action": "hide"}).status_code == 403


def test_every_demo_story_has_topics():
    policy = FetchPolicy(allow_private=True, host_delay=0.0, per_host=8)
    with DemoNetwork() as network:
        network.install()
        run_sources(state.jobs(Source.objects.order_by("id")), policy=policy, workers=1)
        assign_pending()
    stories = Story.objects.filter(merged_into__isnull=True, article_count__gt=0)
    assert stories.count() >= 20
    untagged = [s.title for s in stories if not s.story_topics.exists()]
    assert untagged == []


def test_a_merge_retags_the_survivor_and_untags_the_merged_story(two_stories):
    summit, berlin = two_stories
    editor = User.objects.create_user("editor@example.org", PASSWORD, is_staff=True)
    desk.merge(editor, berlin, summit)
    assert {"friedrich-merz", "emmanuel-macron"} <= topic_slugs(summit)
    assert not StoryTopic.objects.filter(story=berlin).exists()


def test_following_merges_the_same_leads_the_topic_page_shows(client, two_stories):
    """Following reads a topic's leads as bare rows; they are the topic page's leads, the
    editor's choice included."""
    from broadsheet.stories import queries as stories

    summit, berlin = two_stories
    trump = Topic.objects.get(slug="donald-trump")
    automatic = [a.pk for a in stories.topic_latest(trump, 10)]
    assert stories.topic_lead_ids(trump, 10) == automatic
    later = max(berlin.articles.all(), key=lambda a: a.published_at)
    assert later.pk not in automatic  # the automatic choice is the earliest
    editor = make_reader("active")
    desk.set_lead(editor, berlin, later)
    chosen = stories.topic_lead_ids(trump, 10)
    assert chosen == [a.pk for a in stories.topic_latest(trump, 10)]
    assert later.pk in chosen
