"""An editor (or any other writer) who puts a script in an article's body stores only safe HTML.

The admin's article form, the ORM's bulk writes, fixtures loaded with ``loaddata`` and the data
migration for rows stored before: each path ends with sanitised HTML, and the plain text, word
count and every surface (pages, print view, JSON API, Google Reader API) follow it.
"""

from __future__ import annotations

import json

import lxml.html
import pytest
from api_support import PASSWORD, make_article, make_publisher, make_reader
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from broadsheet.articles.models import Article
from broadsheet.readers.commands import editors_group
from broadsheet.readers.models import User
from broadsheet.stories.models import Story

HOSTILE = ('<p>Breaking news from the harbour.</p><script>document.title="owned"</script>'
           '<p><img src="https://img.example/x.jpg" onerror="alert(1)">'
           '<a href="javascript:alert(2)">more</a></p>')

pytestmark = pytest.mark.django_db


def assert_safe(html: str) -> None:
    """No script of the hostile body survives (pages load their own scripts by address)."""
    lowered = html.lower()
    assert "<script>" not in lowered and "owned" not in lowered
    assert "onerror" not in lowered and "javascript:" not in lowered


@pytest.fixture
def editor(client) -> User:
    user = User.objects.create_user("editor@example.com", PASSWORD, is_staff=True)
    user.groups.add(editors_group())
    client.force_login(user)
    return user


def admin_form_values(client, path: str) -> dict[str, str]:
    """The change form's fields as the browser would post them back."""
    page = client.get(path)
    assert page.status_code == 200
    document = lxml.html.fromstring(page.content.decode())
    form = document.get_element_by_id("article_form")
    return dict(form.form_values())


def test_editor_saves_a_script_through_the_admin_form(editor, client):
    article = make_article(make_publisher(), 1)
    path = f"/admin/articles/article/{article.pk}/change/"
    values = admin_form_values(client, path)
    values.update(html=HOSTILE, title="Harbour \u202egnp.exe", author="<b>Ana</b> Reyes")
    answer = client.post(path, values)
    assert answer.status_code == 302, answer.content.decode()[:2000]

    article.refresh_from_db()
    assert_safe(article.html)
    assert "Breaking news from the harbour." in article.html
    assert '<img src="https://img.example/x.jpg">' in article.html
    # The text follows the body: search, teasers and the reading time read the new words.
    assert article.text == "Breaking news from the harbour.\n\nmore"
    assert article.word_count == 6
    assert article.title == "Harbour gnp.exe"
    assert article.author == "Ana Reyes"


def test_pages_and_machine_surfaces_show_the_cleaned_body(editor, client):
    article = make_article(make_publisher(), 2)
    article.story = Story.objects.create(first_published_at=article.published_at,
                                         last_published_at=article.published_at, language="en")
    article.html = HOSTILE
    article.save()
    member = make_reader("active")
    client.force_login(member)
    for path in (f"/article/{article.pk}/x/", f"/article/{article.pk}/print/",
                 f"/story/{article.story_id}/", f"/api/v1/articles/{article.pk}"):
        answer = client.get(path, follow=True)
        assert answer.status_code == 200, path
        assert_safe(answer.content.decode())
    assert_safe(json.dumps(client.get(f"/api/v1/articles/{article.pk}").json()))


def test_bulk_writes_store_sanitised_html():
    publisher = make_publisher()
    first = make_article(publisher, 3)
    Article.objects.filter(pk=first.pk).update(html=HOSTILE, title="A\u200b title")
    first.refresh_from_db()
    assert_safe(first.html)
    assert first.text.startswith("Breaking news from the harbour.")
    assert first.title == "A title"

    second = make_article(publisher, 4)
    second.html = HOSTILE
    Article.objects.bulk_update([second], ["html"])
    second.refresh_from_db()
    assert_safe(second.html)
    assert second.text.startswith("Breaking news")

    copy = Article(publisher=publisher, url="https://gazette.example/bulk",
                   canonical_url="https://gazette.example/bulk", title="Bulk",
                   published_at=first.published_at, html=HOSTILE)
    Article.objects.bulk_create([copy])
    stored = Article.objects.get(canonical_url="https://gazette.example/bulk")
    assert_safe(stored.html)
    assert stored.text.startswith("Breaking news")


def test_fixtures_loaded_from_a_file_store_sanitised_html(tmp_path):
    publisher = make_publisher()
    fixture = tmp_path / "articles.json"
    fixture.write_text(json.dumps([{
        "model": "articles.article", "pk": 9001,
        "fields": {"publisher": publisher.pk, "url": "https://gazette.example/loaded",
                   "canonical_url": "https://gazette.example/loaded",
                   "title": "Loaded \u2066title\u2069", "author": "<script>x</script>Ana",
                   "published_at": "2026-11-20T08:00:00Z", "html": HOSTILE,
                   "text": "", "summary": "", "word_count": 0}}]))
    call_command("loaddata", str(fixture), verbosity=0)
    stored = Article.objects.get(pk=9001)
    assert_safe(stored.html)
    assert stored.title == "Loaded title"
    assert stored.author == "Ana"


@pytest.mark.django_db(transaction=True)
def test_migration_cleans_rows_stored_before():
    article = make_article(make_publisher(), 5)
    executor = MigrationExecutor(connection)
    executor.migrate([("articles", "0006_desk_and_takedowns")])
    # What an old version stored: written past the model, as it was then.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE articles_article SET html = %s, title = %s, author = %s,"
                       " summary = %s WHERE id = %s",
                       [HOSTILE, "Tide \u202etxt.exe", "<script>x</script>Ana",
                        "Sea\u200b wall", article.pk])
    executor = MigrationExecutor(connection)
    executor.migrate([("articles", "0007_clean_stored_articles")])
    article.refresh_from_db()
    assert_safe(article.html)
    assert article.text.startswith("Breaking news from the harbour.")
    assert (article.title, article.author, article.summary) == ("Tide txt.exe", "Ana",
                                                                "Sea wall")
