"""Section and publication pages: their latest articles, paginated, with a follow button."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from pages_fixtures import make_article, make_publisher, make_reader

from broadsheet.readers.models import Follow


def test_section_lists_its_articles_case_insensitively(client, db):
    make_article(title="World one", section="World")
    make_article(title="World two", section="world")
    make_article(title="Sport one", section="Sport")
    body = client.get(reverse("section", args=["world"])).content.decode()
    assert "<h1>World</h1>" in body
    assert "World one" in body and "World two" in body
    assert "Sport one" not in body
    assert 'aria-current="page"' in body


def test_unknown_section_and_publication_are_404(client, db):
    assert client.get(reverse("section", args=["nowhere"])).status_code == 404
    assert client.get(reverse("publication", args=["nobody"])).status_code == 404


def test_publication_page(client, db):
    daily, weekly = make_publisher("The Daily Example"), make_publisher("Weekly Planet")
    make_article(daily, title="From the daily")
    make_article(weekly, title="From the weekly")
    body = client.get(reverse("publication", args=[daily.slug])).content.decode()
    assert "<h1>The Daily Example</h1>" in body
    assert "From the daily" in body and "From the weekly" not in body


def test_pagination(client, db):
    publisher = make_publisher()
    for n in range(45):
        make_article(publisher, title=f"Story {n:02d}", section="Business",
                     age=timedelta(minutes=n))
    # A section's list is read page by page without being counted; a publication's is counted.
    for url, shown in ((reverse("section", args=["business"]), "Page 1<"),
                       (reverse("publication", args=[publisher.slug]), "Page 1 of 3<")):
        first = client.get(url).content.decode()
        assert "Story 00<" in first and "Story 19<" in first and "Story 20<" not in first
        assert shown in first and "?page=2" in first
        third = client.get(url, {"page": 3}).content.decode()
        assert "Story 40<" in third and "Story 44<" in third and "Story 39<" not in third
        assert client.get(url, {"page": "nonsense"}).status_code == 200
        assert "Story 40<" in client.get(url, {"page": 999}).content.decode()


def test_visitor_follow_button_sends_to_sign_in(client, db):
    publisher = make_publisher()
    make_article(publisher)
    body = client.get(reverse("publication", args=[publisher.slug])).content.decode()
    assert f"Follow {publisher.name}" in body
    assert f'{reverse("signin")}?next=' in body
    response = client.post(reverse("follow_toggle"),
                           {"kind": "publisher", "value": publisher.slug})
    assert response.status_code == 302 and response["Location"].startswith(reverse("signin"))
    assert not Follow.objects.exists()


def test_follow_and_unfollow_a_section(client, db):
    reader = make_reader()
    client.force_login(reader)
    url = reverse("section", args=["science"])
    response = client.post(reverse("follow_toggle"),
                           {"kind": "section", "value": "science", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert Follow.objects.filter(user=reader, kind="section", section__slug="science").exists()
    assert "Following Science" in client.get(url).content.decode()
    client.post(reverse("follow_toggle"),
                {"kind": "section", "value": "science", "action": "unfollow"})
    assert not Follow.objects.filter(user=reader).exists()
    assert "Follow Science" in client.get(url).content.decode()


def test_follow_a_publication_with_htmx(client, db):
    reader = make_reader()
    publisher = make_publisher()
    client.force_login(reader)
    response = client.post(reverse("follow_toggle"),
                           {"kind": "publisher", "value": publisher.slug, "action": "follow"},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith("<form") and 'aria-pressed="true"' in html
    assert Follow.objects.filter(user=reader, publisher=publisher).count() == 1


def test_follow_rejects_unknown_kinds_and_targets(client, db):
    client.force_login(make_reader())
    assert client.post(reverse("follow_toggle"), {"kind": "nonsense"}).status_code == 400
    assert client.post(reverse("follow_toggle"),
                       {"kind": "publisher", "value": "nobody"}).status_code == 404
    assert client.post(reverse("follow_toggle"),
                       {"kind": "topic", "value": "   "}).status_code == 400
