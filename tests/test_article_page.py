"""The article page and print view: teaser and sign-up box for visitors, the whole text for
members, save and follow controls, reading history, canonical and OpenGraph tags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pages_fixtures import make_article, make_publisher, make_reader

from broadsheet.readers.models import Follow, Membership, ReadingHistory, SavedArticle
from broadsheet.web.links import article_path

MEMBERS_ONLY = "The third paragraph is only for members to read in full."



@pytest.fixture
def article(db):
    return make_article(make_publisher("The Daily Example"), title="Storm batters the coast",
                        section="World", author="Ada Reporter",
                        image_url="https://example.com/storm.jpg")


def test_visitor_gets_teaser_and_signup_box_not_the_rest(client, article):
    response = client.get(article_path(article))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Storm batters the coast" in body
    assert "Opening paragraph" in body
    assert MEMBERS_ONLY not in body
    assert "Sign up to read this article" in body
    assert f'{reverse("signup")}?next={article_path(article).replace("/", "%2F")}' in body
    assert "Already a member?" in body
    assert f'{reverse("signin")}?next=' in body


def test_visitor_print_view_is_the_teaser_too(client, article):
    body = client.get(reverse("article_print", args=[article.pk])).content.decode()
    assert "Opening paragraph" in body
    assert MEMBERS_ONLY not in body
    assert "Sign up to read this article" in body


def test_trial_member_reads_it_all(client, article):
    client.force_login(make_reader())
    body = client.get(article_path(article)).content.decode()
    assert MEMBERS_ONLY in body
    assert "Sign up to read this article" not in body
    body = client.get(reverse("article_print", args=[article.pk])).content.decode()
    assert MEMBERS_ONLY in body


def test_expired_member_gets_the_teaser(client, article):
    reader = make_reader()
    Membership.objects.filter(user=reader).update(
        state=Membership.State.TRIALING, trial_ends_at=timezone.now() - timedelta(days=1))
    client.force_login(reader)
    body = client.get(article_path(article)).content.decode()
    assert MEMBERS_ONLY not in body
    assert "Sign up to read this article" in body


def test_page_shows_publication_section_author_date_and_reading_time(client, article):
    body = client.get(article_path(article)).content.decode()
    assert f'href="{reverse("publication", args=[article.publisher.slug])}"' in body
    assert f'href="{reverse("section", args=["world"])}"' in body
    assert "By Ada Reporter" in body
    assert "1 min read" in body
    assert f'datetime="{timezone.localtime(article.published_at).isoformat()}"' in body
    assert 'src="https://example.com/storm.jpg"' in body
    assert f'href="{article.url}" rel="noopener"' in body
    assert "Read at The Daily Example" in body


def test_canonical_and_opengraph(client, article, settings):
    settings.SITE_URL = "https://news.example.org"
    body = client.get(article_path(article)).content.decode()
    url = f"https://news.example.org{article_path(article)}"
    assert f'<link rel="canonical" href="{url}">' in body
    assert f'<meta property="og:url" content="{url}">' in body
    assert '<meta property="og:title" content="Storm batters the coast">' in body
    assert '<meta property="og:image" content="https://example.com/storm.jpg">' in body


def test_unknown_article_is_404(client, db):
    assert client.get("/article/999999/anything/").status_code == 404
    assert client.get(reverse("article_print", args=[999999])).status_code == 404


def test_wrong_slug_redirects_to_the_right_one(client, article):
    response = client.get(reverse("article", args=[article.pk, "old-headline"]))
    assert response.status_code == 301
    assert response["Location"] == article_path(article)
    assert article_path(article).endswith("/storm-batters-the-coast/")


def test_headline_without_latin_letters_gets_a_dash_slug(client, db):
    article = make_article(title="東京の天気")
    assert article_path(article).endswith(f"/{article.pk}/-/")
    assert client.get(article_path(article)).status_code == 200


def test_headline_and_body_are_escaped(client, db):
    article = make_article(title="<script>alert('x')</script> Headline")
    body = client.get(article_path(article)).content.decode()
    assert "<script>alert('x')</script>" not in body
    assert "&lt;script&gt;" in body


def test_related_stories_from_the_same_section(client, article):
    make_article(title="Floods in the valley", section="World")
    make_article(title="Cup final tonight", section="Sport")
    body = client.get(article_path(article)).content.decode()
    related = body[body.index("Related Stories"):]
    assert "Floods in the valley" in related
    assert "Cup final tonight" not in related
    assert "Storm batters the coast" not in related


def test_reading_history_records_full_only_when_seen_in_full(client, article, db):
    reader = make_reader(member=False)
    client.force_login(reader)
    client.get(article_path(article))
    row = ReadingHistory.objects.get(user=reader, article=article)
    assert row.full is False
    Membership.objects.create(user=reader, state=Membership.State.TRIALING,
                              trial_ends_at=timezone.now() + timedelta(days=14))
    client.get(article_path(article))
    row.refresh_from_db()
    assert row.full is True
    assert ReadingHistory.objects.filter(user=reader).count() == 1


def test_visitors_leave_no_history(client, article):
    client.get(article_path(article))
    assert ReadingHistory.objects.count() == 0


def test_visitor_save_and_follow_are_links_to_sign_in(client, article):
    body = client.get(article_path(article)).content.decode()
    assert "csrfmiddlewaretoken" not in body
    assert body.count(f'{reverse("signin")}?next=') >= 3  # save, follow, the sign-up box


def test_visitor_posting_save_is_sent_to_sign_in(client, article):
    response = client.post(reverse("save_toggle", args=[article.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signin") + "?next=")
    response = client.post(reverse("save_toggle", args=[article.pk]), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("signin"))
    assert SavedArticle.objects.count() == 0


def test_save_toggle_needs_csrf_and_works_with_it(article):
    reader = make_reader()
    client = Client(enforce_csrf_checks=True)
    client.force_login(reader)
    url = reverse("save_toggle", args=[article.pk])
    assert client.post(url, {"action": "save"}).status_code == 403
    assert not SavedArticle.objects.exists()
    page = client.get(article_path(article)).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(url, {"action": "save", "csrfmiddlewaretoken": token,
                                 "next": article_path(article)})
    assert response.status_code == 302 and response["Location"] == article_path(article)
    assert SavedArticle.objects.filter(user=reader, article=article).exists()


def test_save_toggle_with_htmx_swaps_the_button(client, article):
    reader = make_reader()
    client.force_login(reader)
    url = reverse("save_toggle", args=[article.pk])
    response = client.post(url, {"action": "save"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<form") and 'aria-pressed="true"' in html
    assert "<html" not in html
    # Saving twice keeps one row; "remove" removes it; a bare press toggles.
    client.post(url, {"action": "save"}, HTTP_HX_REQUEST="true")
    assert SavedArticle.objects.filter(user=reader).count() == 1
    client.post(url, {"action": "remove"})
    assert not SavedArticle.objects.filter(user=reader).exists()
    client.post(url)
    assert SavedArticle.objects.filter(user=reader).exists()
    assert 'aria-pressed="true"' in client.get(article_path(article)).content.decode()


def test_save_toggle_ignores_offsite_next(client, article):
    client.force_login(make_reader())
    response = client.post(reverse("save_toggle", args=[article.pk]),
                           {"next": "https://evil.example/"})
    assert response["Location"] == article_path(article)


def test_follow_publisher_from_the_article(client, article):
    reader = make_reader()
    client.force_login(reader)
    response = client.post(reverse("follow_toggle"), {
        "kind": "publisher", "value": article.publisher.slug, "action": "follow",
        "next": article_path(article)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Following The Daily Example" in response.content.decode()
    assert Follow.objects.filter(user=reader, publisher=article.publisher).exists()
    body = client.get(article_path(article)).content.decode()
    assert "Following The Daily Example" in body


def test_save_toggle_requires_post(client, article):
    assert client.get(reverse("save_toggle", args=[article.pk])).status_code == 405
