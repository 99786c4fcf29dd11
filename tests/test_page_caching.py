"""Visitors' pages are cached (in Django's cache and by browsers); signed-in pages never are."""

from __future__ import annotations

from django.urls import reverse
from pages_fixtures import make_article, make_reader

from broadsheet.web.links import article_path


def visitor_urls(article) -> list[str]:
    return [reverse("home"), article_path(article), reverse("section", args=["world"]),
            reverse("publication", args=[article.publisher.slug]),
            reverse("article_print", args=[article.pk])]


def test_visitor_pages_are_public_and_served_from_cache(client, db, django_assert_num_queries):
    article = make_article(section="World")
    for url in visitor_urls(article):
        first = client.get(url)
        assert first.status_code == 200, url
        assert "public" in first["Cache-Control"] and "max-age=60" in first["Cache-Control"]
        assert "Cookie" in first["Vary"]
        assert not first.cookies, url  # nothing personal, so one copy serves every visitor
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.content == first.content


def test_query_string_is_part_of_the_key(client, db):
    for n in range(25):
        make_article(title=f"Paged {n:02d}", section="World")
    first = client.get(reverse("section", args=["world"])).content
    second = client.get(reverse("section", args=["world"]), {"page": 2}).content
    assert first != second


def test_changes_show_at_once(client, db):
    article = make_article(title="Before the edit")
    assert b"Before the edit" in client.get(reverse("home")).content
    article.title = "After the edit"
    article.save()
    assert b"After the edit" in client.get(reverse("home")).content


def test_signed_in_pages_are_private_and_not_cached(client, db):
    article = make_article(section="World")
    client.force_login(make_reader())
    for url in visitor_urls(article):
        response = client.get(url)
        assert response.status_code == 200
        cache_control = response["Cache-Control"]
        assert "private" in cache_control and "public" not in cache_control
        assert "Cookie" in response["Vary"]


def test_member_never_gets_a_visitors_cached_teaser_nor_the_reverse(client, db):
    article = make_article()
    members_only = "The third paragraph is only for members to read in full."
    assert members_only not in client.get(article_path(article)).content.decode()
    client.force_login(make_reader())
    assert members_only in client.get(article_path(article)).content.decode()
    client.logout()
    assert members_only not in client.get(article_path(article)).content.decode()


def test_visitor_with_pending_messages_is_not_served_from_cache(client, db):
    make_article()
    client.get(reverse("home"))
    client.cookies["messages"] = "pending"
    response = client.get(reverse("home"))
    assert "private" in response["Cache-Control"]
