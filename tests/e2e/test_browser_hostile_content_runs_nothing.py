"""A script that reached the store past the sanitiser does not run, and the product's own pages
run under the Content-Security-Policy without a single violation.

The hostile body is written with raw SQL, as a path that skipped the model would write it; the
browser must refuse both the ``<script>`` and the ``onerror=`` handler (the policy's second wall).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browsing import article_path, close_quietly, sign_in, without_reading_reports
from django.db import connection
from django.utils import timezone
from newsroom import PASSWORD, make_member
from playwright.sync_api import Browser, Page, expect

from broadsheet.articles.models import Article
from broadsheet.readers.models import User
from broadsheet.stories.assign import refresh_stories
from broadsheet.stories.models import Story

# Violations are kept from the page's first moment (an init script runs before any of the page's
# own, and is not itself subject to the policy).
WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""
HOSTILE = ('<p>Harbour news.</p><script>window.__owned = "script"; document.title = "owned";'
           '</script><p><img src="/static/missing-picture.png" alt="" '
           'onerror="window.__owned = &quot;onerror&quot;"></p>')


def watched(browser: Browser, site: str) -> Page:
    ctx = without_reading_reports(browser.new_context(base_url=site, locale="en-GB",
                                                      timezone_id="Europe/London"))
    ctx.set_default_timeout(15_000)
    ctx.add_init_script(WATCH_VIOLATIONS)
    page = ctx.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error"
            and page.console_errors.append(message.text))
    return page


@pytest.fixture
def open_pages(browser: Browser, site: str) -> Iterator[list[Page]]:
    pages: list[Page] = []
    yield pages
    for page in pages:
        close_quietly(page.context)


def violations(page: Page) -> list[str]:
    return page.evaluate("() => window.__violations")


def store_past_the_model(article: Article, html: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE articles_article SET html = %s WHERE id = %s", [html, article.pk])


def make_story(*articles: Article) -> Story:
    now = timezone.now()
    story = Story.objects.create(first_published_at=now, last_published_at=now, language="en")
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(story=story)
    refresh_stories([story.pk])
    return story


def test_a_stored_script_and_handler_do_not_run(browser: Browser, site: str, newsroom,
                                                open_pages):
    lead = newsroom.lead
    story = make_story(lead, newsroom.articles[1])
    store_past_the_model(lead, HOSTILE)
    page = watched(browser, site)
    open_pages.append(page)
    sign_in(page, make_member().email)

    for path in (article_path(lead), f"/article/{lead.pk}/print/", f"/story/{story.pk}/"):
        page.goto(path)
        expect(page.locator(".body", has_text="Harbour news.")).to_be_visible()
        page.wait_for_function("() => window.__violations.length >= 2")
        assert page.evaluate("() => window.__owned") is None, path
        assert page.title() != "owned", path
        blocked = violations(page)
        assert any(v.startswith("script-src") for v in blocked), (path, blocked)
        assert sum(v.startswith("script-src") for v in blocked) >= 2, (path, blocked)
        assert any("Content Security Policy" in text for text in page.console_errors), path


def test_every_page_runs_without_a_violation(browser: Browser, site: str, newsroom,
                                             open_pages):
    story = make_story(newsroom.lead, newsroom.articles[1])
    editor = User.objects.create_user("editor@example.com", PASSWORD, is_staff=True,
                                      is_superuser=True)
    visitor, member, desk = (watched(browser, site) for _ in range(3))
    open_pages.extend([visitor, member, desk])
    sign_in(member, make_member().email)
    sign_in(desk, editor.email)
    article = article_path(newsroom.lead)
    checks = {
        visitor: ["/", article, f"/story/{story.pk}/", "/search?q=turbines",
                  "/account/signup/", "/account/signin/", "/api/v1/docs"],
        member: ["/", article, f"/article/{newsroom.lead.pk}/print/", f"/story/{story.pk}/",
                 "/search?q=turbines", "/account/", "/for-you/", "/following/", "/saved/",
                 "/history/", "/for-you/learned/"],
        desk: ["/", article, f"/story/{story.pk}/", "/desk/log/", "/admin/",
               f"/admin/articles/article/{newsroom.lead.pk}/change/"],
    }
    found = {}
    for page, paths in checks.items():
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.ok, path
            page.wait_for_load_state("load")
            if violations(page):
                found[path] = violations(page)
    # htmx works under the policy: saving swaps the button in place.
    member.goto(article)
    member.get_by_role("button", name=re.compile("^Save")).first.click()
    expect(member.get_by_role("button", name=re.compile("^Saved"))).to_be_visible()
    if violations(member):
        found["save (htmx)"] = violations(member)
    errors = {id(p): p.console_errors for p in checks if p.console_errors}
    assert not found, found
    assert not errors, errors
