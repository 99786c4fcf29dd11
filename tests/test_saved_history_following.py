"""A reader's own pages: saved articles, reading history and what they follow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from pages_fixtures import make_article, make_publisher, make_reader

from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow, ReadingHistory, SavedArticle
from broadsheet.web.links import article_path
from broadsheet.web.views.reader import clean_topic


@pytest.mark.parametrize("name", ["saved", "history", "following"])
def test_visitors_are_sent_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == f'{reverse("signin")}?next={reverse(name)}'


def test_saved_lists_and_unsaves(client, db):
    reader = make_reader()
    kept = make_article(title="Kept for later")
    make_article(title="Not saved")
    SavedArticle.objects.create(user=reader, article=kept)
    client.force_login(reader)
    body = client.get(reverse("saved")).content.decode()
    assert "Kept for later" in body and "Not saved" not in body
    response = client.post(reverse("save_toggle", args=[kept.pk]),
                           {"action": "remove", "next": reverse("saved")})
    assert response["Location"] == reverse("saved")
    assert "Nothing saved yet" in client.get(reverse("saved")).content.decode()


def test_saved_is_private_to_its_reader(client, db):
    owner, snoop = make_reader("owner@example.com"), make_reader("snoop@example.com")
    SavedArticle.objects.create(user=owner, article=make_article(title="Owner's pick"))
    client.force_login(snoop)
    assert "Owner's pick" not in client.get(reverse("saved")).content.decode()


def test_saved_is_paginated(client, db):
    reader = make_reader()
    for n in range(25):
        SavedArticle.objects.create(user=reader, article=make_article(title=f"Saved {n:02d}"))
    client.force_login(reader)
    first = client.get(reverse("saved")).content.decode()
    assert "Page 1 of 2" in first
    second = client.get(reverse("saved"), {"page": 2}).content.decode()
    assert second.count('class="card"') == 5


def test_history_lists_what_was_read(client, db):
    reader = make_reader(member=False)
    article = make_article(title="Opened once")
    client.force_login(reader)
    assert "Opened once" not in client.get(reverse("history")).content.decode()
    client.get(article_path(article))
    body = client.get(reverse("history")).content.decode()
    assert "Opened once" in body and "(the opening only)" in body
    assert ReadingHistory.objects.filter(user=reader).count() == 1


def test_following_lists_publishers_sections_and_topics(client, db):
    reader = make_reader()
    publisher = make_publisher("Followed Times")
    make_article(publisher, title="Followed paper story")
    make_article(title="Volcano erupts near the town", section="Science",
                 age=timedelta(days=3))
    Follow.objects.create(user=reader, kind="publisher", publisher=publisher)
    Follow.objects.create(user=reader, kind="section", section=Section.objects.get(slug="sport"))
    Follow.objects.create(user=reader, kind="topic", topic="volcano")
    client.force_login(reader)
    body = client.get(reverse("following")).content.decode()
    assert "Following Followed Times" in body
    assert "Following Sport" in body
    assert "Following volcano" in body
    assert "Volcano erupts near the town" in body
    assert "Followed paper story" in body
    assert 'label for="topic-value"' in body


def test_follow_and_unfollow_a_topic(client, db):
    reader = make_reader()
    make_article(title="Election night results")
    client.force_login(reader)
    response = client.post(reverse("follow_toggle"), {
        "kind": "topic", "value": "  Election\n  night ", "action": "follow",
        "next": reverse("following")})
    assert response["Location"] == reverse("following")
    follow = Follow.objects.get(user=reader, kind="topic")
    assert follow.topic == "Election night"
    body = client.get(reverse("following")).content.decode()
    assert "Election night results" in body
    client.post(reverse("follow_toggle"),
                {"kind": "topic", "value": "Election night", "action": "unfollow"})
    assert not Follow.objects.filter(user=reader).exists()


def test_hostile_topic_is_harmless(client, db):
    reader = make_reader()
    client.force_login(reader)
    client.post(reverse("follow_toggle"), {"kind": "topic", "value": 'NEAR( "<b>x*', "action":
                                           "follow"})
    response = client.get(reverse("following"))
    assert response.status_code == 200
    assert "<b>x" not in response.content.decode()


def test_clean_topic():
    assert clean_topic("  a \t b\n") == "a b"
    assert len(clean_topic("x" * 500)) == 100
    assert clean_topic("   ") == ""


def test_pages_are_private(client, db):
    client.force_login(make_reader())
    for name in ("saved", "history", "following"):
        response = client.get(reverse(name))
        assert "private" in response["Cache-Control"]
