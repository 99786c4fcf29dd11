"""Text retention: articles older than BROADSHEET_KEEP_TEXT_DAYS keep only their teaser.

Headline, summary, links, image, story, copies and readings stay; search forgets the rest of the
body; members see the opening and where to read the whole; visitors see what they saw before.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pages_fixtures import make_article, make_publisher, make_reader

from broadsheet.articles.models import Article
from broadsheet.articles.retention import trim_old_text
from broadsheet.articles.search import search
from broadsheet.articles.store import upsert_article
from broadsheet.articles.tasks import trim_old_text as daily_trim
from broadsheet.config.env import SETTINGS, SettingError
from broadsheet.ingest.record import ArticleRecord
from broadsheet.readers.models import ReadingHistory
from broadsheet.readers.paywall import teaser, visible_body
from broadsheet.stories.models import Story
from broadsheet.web.links import article_path

SECRET = "quillwort"  # a word found only deep in the old article's body
NOTICE = "Broadsheet keeps the full text of articles for 30 days"
PARAGRAPHS = [
    "The council voted last night to rebuild the harbour wall before winter.",
    "Work starts in March and should last two years, the engineers said.",
    "Residents asked for a second footbridge; the council will consider it.",
    f"Deep in the appendix, surveyors named the {SECRET} marsh as the risk.",
]
pytestmark = pytest.mark.django_db


@pytest.fixture
def articles():
    publisher = make_publisher("The Harbour Gazette")
    story = Story.objects.create(language="en", first_published_at=timezone.now(),
                                 last_published_at=timezone.now())
    old = make_article(publisher, title="Council backs the harbour wall", paragraphs=PARAGRAPHS,
                       age=timedelta(days=40), story=story, language="en",
                       image_url="https://example.com/wall.jpg", content_hash="abc123")
    copy = make_article(make_publisher("Weekly Planet"), title="Harbour wall rebuilt",
                        paragraphs=PARAGRAPHS, age=timedelta(days=39), story=story,
                        duplicate_of=old)
    new = make_article(publisher, title="Ferry timetable changes", age=timedelta(days=2),
                       paragraphs=[*PARAGRAPHS[:3], "The new timetable has a late boat."])
    return {"old": old, "copy": copy, "new": new, "story": story}


def _fields(article: Article) -> dict:
    return {name: getattr(article, name) for name in (
        "title", "summary", "url", "canonical_url", "image_url", "word_count", "content_hash",
        "story_id", "duplicate_of_id", "published_at", "author", "section")}


def test_old_articles_keep_their_teaser_and_everything_else(articles):
    old, new = articles["old"], articles["new"]
    kept, whole = _fields(old), (new.html, new.text)
    expected = teaser(old)
    assert trim_old_text(days=30) == 2  # the old article and its old copy
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.html, old.text) == expected
    assert SECRET not in old.text and SECRET not in old.html
    assert old.text_trimmed
    assert timedelta(0) <= timezone.now() - old.text_trimmed_at < timedelta(minutes=5)
    assert _fields(old) == kept
    assert (new.html, new.text) == whole and not new.text_trimmed
    assert list(articles["story"].articles.order_by("pk")) == [old, articles["copy"]]


def test_search_forgets_the_trimmed_body_but_not_the_headline(articles):
    assert {r.article for r in search(SECRET).results} == {articles["old"], articles["copy"]}
    trim_old_text(days=30)
    assert search(SECRET).total == 0
    assert [r.article for r in search("council backs").results] == [articles["old"]]
    # The teaser is still indexed: its words find the old articles as well as the new one.
    assert search("march").total == 3
    if connection.vendor == "sqlite":  # the triggers took out exactly what they had put in
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO articles_article_fts(articles_article_fts)"
                           " VALUES ('integrity-check')")


def test_running_twice_changes_nothing(articles):
    trim_old_text(days=30)
    first = Article.objects.get(pk=articles["old"].pk)
    assert trim_old_text(days=30) == 0
    again = Article.objects.get(pk=articles["old"].pk)
    assert (again.html, again.text, again.text_trimmed_at) == (
        first.html, first.text, first.text_trimmed_at)


def test_zero_days_keeps_everything(articles, settings):
    settings.KEEP_TEXT_DAYS = 0
    assert trim_old_text(days=0) == 0
    assert trim_old_text() == 0
    assert daily_trim.call_local() == 0
    assert not Article.objects.filter(text_trimmed_at__isnull=False).exists()
    assert SECRET in Article.objects.get(pk=articles["old"].pk).text


def test_works_in_batches_up_to_the_cutoff(db):
    publisher = make_publisher()
    for day in range(5):
        make_article(publisher, age=timedelta(days=31 + day))
    make_article(publisher, age=timedelta(days=29))
    assert trim_old_text(days=30, batch=2) == 5
    assert Article.objects.filter(text_trimmed_at__isnull=True).count() == 1


def test_the_daily_task_follows_the_setting(articles, settings):
    settings.KEEP_TEXT_DAYS = 30
    assert daily_trim.call_local() == 2
    assert daily_trim.call_local() == 0
    runs = [hour * 60 + minute for hour in range(24) for minute in range(60)
            if daily_trim.task_class().validate_datetime(datetime(2026, 12, 1, hour, minute))]
    assert len(runs) == 1


def test_a_negative_number_of_days_is_refused():
    setting = next(s for s in SETTINGS if s.name == "BROADSHEET_KEEP_TEXT_DAYS")
    assert setting.read({}) == 0
    with pytest.raises(SettingError, match="BROADSHEET_KEEP_TEXT_DAYS"):
        setting.read({"BROADSHEET_KEEP_TEXT_DAYS": "-1"})


def _body(page: str) -> str:
    return re.search(r'<div class="body[^"]*">(.*?)</div>', page, re.S).group(1)


_paragraph = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                              max_size=12), min_size=1, max_size=120).map(" ".join)


@given(st.lists(_paragraph, min_size=1, max_size=5), st.booleans())
@hypothesis_settings(max_examples=200, deadline=None)
def test_the_teaser_of_a_trimmed_body_is_the_same_teaser(paragraphs, formatted):
    """What a visitor sees of a trimmed article is what they saw of the whole one."""
    text = "\n\n".join(paragraphs)
    html = "".join(f"<p>{p}</p>" for p in paragraphs) if formatted else f"<div>{text}</div>"
    whole = SimpleNamespace(html=html, text=text)
    kept = teaser(whole)
    assert teaser(SimpleNamespace(html=kept[0], text=kept[1])) == kept


def test_member_sees_the_opening_and_where_to_read_the_rest(client, articles, settings):
    settings.KEEP_TEXT_DAYS = 30
    old = articles["old"]
    trim_old_text()
    client.force_login(make_reader())
    for address in (article_path(old), reverse("article_print", args=[old.pk])):
        page = client.get(address).content.decode()
        assert PARAGRAPHS[0] in page and SECRET not in page
        assert NOTICE in page
        assert f'href="{old.url}"' in page
        assert "Sign up to read this article" not in page
    whole = client.get(article_path(articles["new"])).content.decode()
    assert "The new timetable has a late boat." in whole and NOTICE not in whole


def test_visitor_sees_what_they_saw_before(client, articles, settings):
    settings.KEEP_TEXT_DAYS = 30
    old = articles["old"]
    before_body = visible_body(None, old)
    before = client.get(article_path(old)).content.decode()
    trim_old_text()
    cache.clear()  # visitors' pages are cached for a minute
    old.refresh_from_db()
    after = client.get(article_path(old)).content.decode()
    assert visible_body(None, old) == before_body
    assert _body(after) == _body(before)
    assert "Sign up to read this article" in after and NOTICE not in after


def test_api_says_the_text_was_trimmed(client, articles):
    old = articles["old"]
    visitor_before = client.get(f"/api/v1/articles/{old.pk}").json()
    trim_old_text(days=30)
    visitor = client.get(f"/api/v1/articles/{old.pk}").json()
    assert visitor == visitor_before and visitor["text_trimmed"] is False
    client.force_login(make_reader())
    member = client.get(f"/api/v1/articles/{old.pk}").json()
    assert member["full"] is True and member["text_trimmed"] is True
    assert member["text"] == teaser(old)[1] and SECRET not in member["html"]
    assert member["source_url"] == old.canonical_url
    assert member["word_count"] == old.word_count and member["title"] == old.title
    assert client.get(f"/api/v1/articles/{articles['new'].pk}").json()["text_trimmed"] is False


def test_reading_history_survives_and_a_trimmed_reading_is_the_opening_only(client, articles):
    old, new = articles["old"], articles["new"]
    earlier, later = make_reader("early@example.com"), make_reader("late@example.com")
    client.force_login(earlier)
    client.get(article_path(old))
    trim_old_text(days=30)
    assert ReadingHistory.objects.get(user=earlier, article=old).full is True
    client.force_login(later)
    client.get(article_path(old))
    client.get(article_path(new))
    assert ReadingHistory.objects.get(user=later, article=old).full is False
    assert ReadingHistory.objects.get(user=later, article=new).full is True


def test_a_feed_update_keeps_a_trimmed_article_trimmed(db):
    publisher = make_publisher()
    data = ArticleRecord(
        publisher_id=publisher.pk, source_id=None, url="https://example.com/wall",
        canonical_url="https://example.com/wall", guid="", title="Council backs the wall",
        published_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        html="".join(f"<p>{p}</p>" for p in PARAGRAPHS), text="\n\n".join(PARAGRAPHS))
    _, pk = upsert_article(data)
    assert trim_old_text(now=datetime(2026, 3, 1, tzinfo=UTC), days=30) == 1
    trimmed = Article.objects.get(pk=pk)
    assert upsert_article(data) == ("unchanged", pk)
    assert Article.objects.get(pk=pk).text == trimmed.text
    corrected = [PARAGRAPHS[0].replace("last night", "on Tuesday"), *PARAGRAPHS[1:]]
    outcome, _ = upsert_article(ArticleRecord(**{
        **data.__dict__, "content_hash": "", "text": "\n\n".join(corrected),
        "html": "".join(f"<p>{p}</p>" for p in corrected)}))
    article = Article.objects.get(pk=pk)
    assert outcome == "updated" and article.text_trimmed
    assert "on Tuesday" in article.text and SECRET not in article.text + article.html
    assert search(SECRET).total == 0


def test_the_command_trims_now_with_the_days_it_is_given(articles, settings, capsys):
    from broadsheet.cli import main

    settings.KEEP_TEXT_DAYS = 0
    assert main(["articles", "trim-text"]) == 2  # kept forever: nothing to do, and it says so
    assert "kept forever" in capsys.readouterr().err
    assert main(["articles", "trim-text", "--days", "-3"]) == 2  # never "trim everything"
    assert "--days must be 1 or more" in capsys.readouterr().err
    assert Article.objects.filter(text_trimmed_at__isnull=False).count() == 0
    assert main(["articles", "trim-text", "--days", "30"]) == 0
    assert "Trimmed the text of 2 articles older than 30 days" in capsys.readouterr().out
    assert Article.objects.filter(text_trimmed_at__isnull=False).count() == 2
