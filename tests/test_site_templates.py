"""Broadsheet learns each publisher's repeated blocks from its other pages and removes them from
new pages' text: boilerplate gone, article kept, a one-page site unchanged. Generated sites
(``demo.templated``) and the demo network; the pipeline over real HTTP on 127.0.0.1."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from polite_support import HTML, RSS

from broadsheet.articles.models import Article
from broadsheet.cli import main
from broadsheet.demo.site import Site
from broadsheet.demo.templated import GeneratedPage, boilerplate, generated_site
from broadsheet.ingest import templates
from broadsheet.ingest.offline import extract_lines
from broadsheet.ingest.plaintext import html_to_text
from broadsheet.ingest.prepare import prepare_page, summary_of
from broadsheet.ingest.record import ArticleRecord
from broadsheet.ingest.templates import SiteTemplate, without_template
from broadsheet.publishers import site_templates
from broadsheet.publishers.models import SiteBlock
from broadsheet.publishers.models import SiteTemplate as StoredTemplate
from broadsheet.sources.models import Publisher

NAME = "Harbour Light"


def prepared(page: GeneratedPage):
    return prepare_page(page.html.encode(), page.url)


def has_boilerplate(text: str, name: str = NAME) -> list[str]:
    return [key for key, block in boilerplate(name).items() if block[:40] in text]


def test_a_sites_repeated_blocks_leave_its_new_pages_and_every_article_paragraph_stays():
    learner = SiteTemplate()
    for number, page in enumerate(generated_site(NAME, 8)):
        article = prepared(page)
        # the general trimming keeps these blocks: they read as prose
        assert has_boilerplate(article.text) == ["appeal", "corrections", "credits", "podcast"]
        cleaned = without_template(article, learner.template())
        if number < templates.MIN_PAGES:
            assert cleaned == article  # too few pages seen yet: nothing is known
        else:
            assert has_boilerplate(cleaned.text) == []
            assert cleaned.word_count < article.word_count
        assert all(paragraph in cleaned.text for paragraph in page.paragraphs)
        learner.learn(article.html)


def test_a_one_page_site_is_unchanged():
    page = generated_site("Lone Island Post", 1)[0]
    article = prepared(page)
    learner = SiteTemplate()
    assert without_template(article, learner.template()) is article
    learner.learn(article.html)
    assert learner.clean(article.html) == article.html  # even against itself


def test_another_sites_template_is_not_this_sites():
    other = SiteTemplate()
    for page in generated_site("Valley Courier", 6):
        other.learn(prepared(page).html)
    article = prepared(generated_site(NAME, 1)[0])
    assert without_template(article, other.template()) is article


def test_a_page_made_only_of_template_blocks_is_left_whole():
    blocks = list(boilerplate(NAME).values())
    html = "".join(f"<p>{block}</p>" for block in blocks)
    learner = SiteTemplate()
    for _ in range(5):
        learner.learn(html)
    assert learner.clean(html) == html
    tiny_article = "<p>The ferry runs again.</p>" + html  # removal would take most of the words
    assert learner.clean(tiny_article) == tiny_article


def test_a_block_a_few_pages_of_a_large_site_share_stays():
    """A background paragraph reused by three articles of one story is reporting, not template."""
    background = "<p>The bridge was closed in March after inspectors found cracks in a pier.</p>"
    learner = SiteTemplate()
    for number in range(100):
        learner.learn(f"<p>Report number {number} has words of its own, {'x' * number}.</p>"
                      + (background if number < 4 else ""))
    page = "<p>A new report with several sentences of its own reporting in it.</p>" + background
    assert learner.clean(page) == page
    assert templates.repeated_blocks({"a": 4, "b": 5}, 100) == {"b"}


def test_list_items_and_numbers_in_blocks():
    """A sign-up item in a list goes and an empty list with it; "© 2025" and "© 2026" are one
    block; other items stay."""
    learner = SiteTemplate()
    for year in range(2020, 2025):
        learner.learn(f"<p>Story {year} text here.</p><ul><li>Get the app for your phone</li>"
                      f"<li>Story item {year}</li></ul><p>Harbour Light {year}, Quay Street</p>")
    page = ("<p>A new story with a good many words of its own in it, enough to stay.</p>"
            "<ul><li>Get the app for your phone</li></ul><ul><li>Get the app for your phone</li>"
            "<li>A fact of this story</li></ul><p>Harbour Light 2026, Quay Street</p>")
    cleaned = learner.clean(page)
    assert "Get the app" not in cleaned and "Quay Street" not in cleaned
    assert "<ul><li>A fact of this story</li></ul>" in cleaned
    assert "A new story with a good many words" in cleaned
    assert cleaned.count("<ul>") == 1


def test_forgetting_rare_blocks_keeps_the_template():
    learner = SiteTemplate()
    for page in generated_site(NAME, 6):
        learner.learn(prepared(page).html)
    template = learner.template()
    learned = len(learner.blocks)
    learner.forget_rare()
    assert learner.template() == template and template
    assert len(learner.blocks) < learned  # each article's own paragraphs are gone


def test_unreadable_or_empty_bodies_are_left_as_they_are():
    assert templates.page_fingerprints("") == set()
    assert templates.strip_blocks("", {"abc"}) == ""
    assert templates.strip_blocks("plain words", {templates.fingerprint("plain words")}) \
        == "plain words"


def test_the_demo_networks_articles_are_all_kept():
    """The demo network's furniture is removed by the general rules already; learning each
    publisher's pages takes nothing of its articles, wire copies included."""
    site = Site("http://127.0.0.1:9")
    for publisher in site.publishers:
        learner = SiteTemplate()
        for article in site.articles_of(publisher.slug):
            resource = site.resolve(article.path)
            assert resource is not None
            page = prepare_page(resource.body, article.url)
            cleaned = without_template(page, learner.template())
            assert all(" ".join(p.split())[:60] in cleaned.text for p in article.paragraphs)
            learner.learn(page.html)


# ---- in the pipeline, with the database ------------------------------------------------------


def jsonl(pages: list[GeneratedPage]) -> list[str]:
    return [json.dumps({"id": page.url, "url": page.url, "html": page.html}) for page in pages]


def extracted(lines: list[str], **options) -> list[dict]:
    out = io.StringIO()
    assert extract_lines(lines, out, **options) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.mark.parametrize("workers", [1, 2])
def test_extract_jsonl_cleans_each_hosts_later_pages_as_the_pipeline_stores_them(workers):
    pages = generated_site(NAME, 6)
    # the same template on another host is another site's, learnt apart
    elsewhere = generated_site(NAME, 2, base_url="https://mirror.example", start=6)
    first = jsonl(pages[:1])
    lines = first * 3 + jsonl(pages[1:3] + elsewhere[:1] + pages[3:] + elsewhere[1:])
    got = extracted(lines, workers=workers)
    assert [row["id"] for row in got] == [json.loads(line)["id"] for line in lines]
    text = {row["id"]: row["text"] for row in got}
    # a page given three times is learnt once, so the template is known from the fourth page
    assert [bool(has_boilerplate(text[page.url])) for page in pages] == [True] * 3 + [False] * 3
    assert all(has_boilerplate(text[page.url]) for page in elsewhere)
    for page in pages + elsewhere:
        assert all(paragraph in text[page.url] for paragraph in page.paragraphs)


def test_extract_jsonl_without_site_templates_prepares_every_page_on_its_own(monkeypatch, capsys):
    pages = generated_site(NAME, 5)
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(jsonl(pages)) + "\n"))
    assert main(["extract", "--jsonl", "--no-site-templates"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["text"] for row in rows] == [prepared(page).text for page in pages]
    assert all(has_boilerplate(row["text"]) for row in rows)


@pytest.fixture(autouse=True)
def local_fetching(settings):
    settings.FETCH = {**settings.FETCH, "allow_private": True, "host_delay": 0.0,
                      "total_timeout": 5.0}
    settings.EXTRACT_WORKERS = 1


def serve(server, pages: list[GeneratedPage]) -> str:
    """Serve ``pages`` and a feed of them; returns the feed's URL."""
    items = []
    for page in pages:
        path = urlsplit(page.url).path
        server.route(path, body=page.html.encode(), headers=HTML)
        items.append(f"<item><title>{page.headline}</title><link>{page.url}</link>"
                     f"<guid>{path}</guid><description>Teaser.</description></item>")
    feed = f"<?xml version='1.0'?><rss version='2.0'><channel><title>{NAME}</title>"
    return server.route("/feed.xml", body=(feed + "".join(items) + "</channel></rss>").encode(),
                        headers=RSS)


@pytest.mark.django_db
def test_the_pipeline_learns_each_new_page_once_and_cleans_the_pages_after(http_server):
    base = http_server.url("").rstrip("/")
    first = generated_site(NAME, 6, base_url=base)
    url = serve(http_server, first)
    assert main(["sources", "add", url, "--publisher", NAME]) == 0
    assert main(["fetch"]) == 0
    articles = list(Article.objects.order_by("id"))
    assert len(articles) == 6
    dirty = [a for a in articles if has_boilerplate(a.text)]
    assert len(dirty) == templates.MIN_PAGES  # stored before the template was known
    for page in first:
        stored = Article.objects.get(url=page.url)
        assert all(paragraph in stored.text for paragraph in page.paragraphs)
    site = StoredTemplate.objects.get()
    assert site.pages == 6 and site.host == "127.0.0.1"
    appeal = templates.fingerprint(boilerplate(NAME)["appeal"])
    assert SiteBlock.objects.get(template=site, fingerprint=appeal).pages == 6

    assert main(["fetch"]) == 0  # again: nothing new to learn
    site.refresh_from_db()
    assert site.pages == 6

    later = generated_site(NAME, 2, base_url=base, start=6)
    serve(http_server, first + later)
    assert main(["fetch"]) == 0
    for page in later:
        stored = Article.objects.get(url=page.url)
        assert has_boilerplate(stored.text) == []
        assert all(paragraph in stored.text for paragraph in page.paragraphs)
        assert stored.summary and stored.summary.split()[0] in page.paragraphs[0]


@pytest.mark.django_db
def test_each_publisher_has_its_own_template_on_a_shared_host():
    ours, theirs = (Publisher.objects.create(name=n) for n in ("Ours", "Theirs"))
    pages = generated_site(NAME, 5)
    for page in pages[:4]:
        site_templates.learn(ours.pk, page.url, prepared(page).html)
    article = prepared(pages[4])
    assert site_templates.clean(theirs.pk, article) is article
    assert has_boilerplate(site_templates.clean(ours.pk, article).text) == []


@pytest.mark.django_db
def test_blocks_that_never_repeat_are_forgotten_after_a_month_and_templates_stay():
    publisher = Publisher.objects.create(name="Ours")
    pages = generated_site(NAME, 4)
    for page in pages:
        site_templates.learn(publisher.pk, page.url, prepared(page).html)
    appeal = templates.fingerprint(boilerplate(NAME)["appeal"])
    rare = SiteBlock.objects.filter(pages=1).count()
    assert rare > 0
    assert site_templates.forget_rare() == 0  # all seen just now
    later = timezone.now() + site_templates.FORGET_AFTER + timedelta(days=1)
    assert site_templates.forget_rare(later) == rare
    assert SiteBlock.objects.filter(fingerprint=appeal, pages=4).exists()
    assert not SiteBlock.objects.filter(pages__lt=templates.MIN_PAGES).exists()


def test_a_summary_from_a_removed_first_paragraph_is_made_again_and_a_description_stays():
    learner = SiteTemplate()
    notice = "<p>Listen to this article on the Harbour Light app, read by our reporters.</p>"
    for number in range(4):
        learner.learn(notice + f"<p>Story {number} has words of its own, many of them here.</p>"
                      f"<p>And a second paragraph of story {number}, with more words in it.</p>")
    html = (notice + "<p>The ferry runs again after a week of storms, the harbour master said.</p>"
            "<p>Crews worked through the night to repair the ramp at the island pier.</p>")
    text = html_to_text(html)
    from_text = ArticleRecord(title="Ferry", html=html, text=text, canonical_url="https://a.example/1",
                                summary=summary_of(text))
    cleaned = without_template(from_text, learner.template())
    assert cleaned.summary.startswith("The ferry runs again")
    described = replace(from_text, summary="The island's ferry is back.")
    assert without_template(described, learner.template()).summary == "The island's ferry is back."
