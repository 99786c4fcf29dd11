"""The editors' desk, tried as a new editor would: picking for Our Picks, ordering and scheduling
the picks, retitling and merging stories, taking an article down; readers see the result and
never the controls."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from browsing import article_path, close_quietly, sign_in, without_reading_reports
from django.utils import timezone
from newsroom import PASSWORD, make_member
from playwright.sync_api import Browser, Locator, Page, expect

from broadsheet.articles.models import Article
from broadsheet.curation.models import Pick
from broadsheet.readers.models import User
from broadsheet.stories.assign import refresh_stories
from broadsheet.stories.models import Story

EDITOR = "editor@example.com"
TIMEOUT_MS = 15_000  # as the contexts conftest makes


def make_editor(email: str = EDITOR) -> User:
    return User.objects.create_user(email, PASSWORD, is_staff=True)


def open_page(browser: Browser, site: str, **options) -> Page:
    """A page in a browser context of its own (its own cookies): another person's browser."""
    ctx = without_reading_reports(browser.new_context(
        base_url=site, locale="en-GB", timezone_id="Europe/London", **options))
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx.new_page()


@pytest.fixture
def visit(browser: Browser, site: str) -> Iterator[Callable[[str], Page]]:
    """``visit(path)``: a visitor opens ``path`` in a browser of their own, beside the editor's.

    Each visit is a new browser (an empty HTTP cache): visitors' pages may be kept by their
    browsers for a minute by design, so only the server's pages are under test.
    """
    opened: list[Page] = []

    def go(path: str) -> Page:
        opened.append(open_page(browser, site))
        opened[-1].goto(path)
        return opened[-1]

    yield go
    for page in opened:
        close_quietly(page.context)


def desk(page: Page) -> Locator:
    return page.get_by_role("complementary", name="Editors' desk")


def desk_box(page: Page) -> Locator:
    return page.get_by_role("region", name=re.compile("^Our Picks: editors' desk"))


def readers_box(page: Page) -> Locator:
    return page.get_by_role("region", name="Our Picks", exact=True)


def readers_titles(page: Page) -> Locator:
    """The titles of the picks readers see, in order."""
    return readers_box(page).get_by_role("heading", level=3)


def desk_titles(page: Page) -> Locator:
    """The titles of the picks in the desk box, in order."""
    return desk_box(page).get_by_role("list").get_by_role("listitem").get_by_role("link")


def desk_button(page: Page, action: str, article: Article) -> Locator:
    """A desk box button such as "Move up: <title>" (the title is there for screen readers;
    being absolutely positioned, it is named after a space: "Move up : <title>")."""
    name = re.compile(rf"^{action}\s*:\s*{re.escape(article.title)}$")
    return desk_box(page).get_by_role("button", name=name)


def local_input(delta: timedelta) -> str:
    """A ``datetime-local`` value that far from now (days off, so no time zone matters)."""
    return (timezone.localtime() + delta).strftime("%Y-%m-%dT%H:%M")


def open_part(panel: Locator, summary: str) -> None:
    """Open one of the desk's folded parts (a ``details`` element) by its summary."""
    panel.locator("summary").filter(has_text=re.compile(f"^{re.escape(summary)}$")).click()


def pick(page: Page, where: str = "Home page", note: str = "", starts: str = "",
         ends: str = "") -> None:
    """Fill in "Pick for Our Picks" on the article or story page shown, and pick."""
    panel = desk(page)
    open_part(panel, "Pick for Our Picks")
    panel.get_by_label("Where").select_option(label=where)
    panel.get_by_label("Note").fill(note)
    panel.get_by_label("Starts").fill(starts)
    panel.get_by_label("Ends").fill(ends)
    panel.get_by_role("button", name="Pick", exact=True).click()
    place = "the home page" if where == "Home page" else where
    expect(page.get_by_role("status")).to_contain_text(f"Picked for {place}.")


def pick_article(page: Page, article: Article, **fields) -> None:
    page.goto(article_path(article))
    pick(page, **fields)


def make_story(*articles: Article) -> Story:
    now = timezone.now()
    story = Story.objects.create(first_published_at=now, last_published_at=now, language="en")
    Article.objects.filter(pk__in=[a.pk for a in articles]).update(story=story)
    refresh_stories([story.pk])
    story.refresh_from_db()
    return story


def post_form(page: Page, url: str, form: dict):
    """POST a form from this browser, with its CSRF token, as a desk form would."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    return page.request.post(url, form=form, headers={"X-CSRFToken": token}, max_redirects=0)


def test_a_pick_with_a_note_reaches_readers_on_the_home_page(page: Page, visit, newsroom):
    article = newsroom.articles[2]
    before = visit("/")
    expect(before.get_by_role("heading", name="Top stories")).to_be_visible()
    expect(before.locator("body")).not_to_contain_text("Our Picks")

    sign_in(page, make_editor().email)
    pick_article(page, article, note="Libraries doing more than lending books.")

    box = readers_box(visit("/"))
    expect(box.get_by_role("link", name=article.title)).to_be_visible()
    expect(box).to_contain_text("Libraries doing more than lending books.")
    before.reload()  # the visitor from before, asking again
    expect(readers_box(before).get_by_role("link", name=article.title)).to_be_visible()
    member = visit("/")
    sign_in(member, make_member().email)
    expect(readers_box(member).get_by_role("link", name=article.title)).to_be_visible()
    expect(readers_box(member)).to_contain_text("Libraries doing more than lending books.")


def reorder_on_the_home_page(page: Page, visit, first: Article, second: Article,
                             *, javascript: bool) -> None:
    """Pick two articles, swap them from the desk box and back, checking both boxes' order."""
    pick_article(page, first)
    pick_article(page, second)
    page.goto("/")
    expect(desk_titles(page)).to_have_text([first.title, second.title])
    expect(readers_titles(visit("/"))).to_have_text([first.title, second.title])
    if javascript:  # a mark that lasts as long as the document: htmx swaps, never reloads
        page.evaluate("() => { window.notReloaded = true; }")

    desk_button(page, "Move down", first).click()
    expect(desk_titles(page)).to_have_text([second.title, first.title])
    if javascript:
        assert page.evaluate("() => window.notReloaded === true"), "the page was reloaded"
    else:
        expect(page.get_by_role("status")).to_contain_text("Pick moved.")
    expect(readers_titles(visit("/"))).to_have_text([second.title, first.title])

    desk_button(page, "Move up", first).click()
    expect(desk_titles(page)).to_have_text([first.title, second.title])
    expect(readers_titles(visit("/"))).to_have_text([first.title, second.title])
    page.reload()
    expect(readers_titles(page)).to_have_text([first.title, second.title])


def test_reorder_picks_with_javascript(page: Page, visit, newsroom):
    sign_in(page, make_editor().email)
    reorder_on_the_home_page(page, visit, newsroom.articles[0], newsroom.articles[1],
                             javascript=True)


def test_reorder_picks_without_javascript(browser: Browser, site: str, visit, newsroom):
    page = open_page(browser, site, java_script_enabled=False)
    try:
        sign_in(page, make_editor().email)
        reorder_on_the_home_page(page, visit, newsroom.articles[0], newsroom.articles[1],
                                 javascript=False)
    finally:
        close_quietly(page.context)


def test_scheduled_and_ended_picks_are_not_shown_to_readers(page: Page, visit, newsroom):
    later, ended, live = newsroom.articles[:3]
    sign_in(page, make_editor().email)
    pick_article(page, later, note="Tomorrow's pick.", starts=local_input(timedelta(days=2)))
    pick_article(page, ended, note="Yesterday's pick.", ends=local_input(-timedelta(days=2)))
    pick_article(page, live, note="Today's pick.")

    page.goto("/")
    picked = desk_box(page).get_by_role("listitem")
    expect(picked.filter(has_text=later.title)).to_contain_text("scheduled from")
    expect(picked.filter(has_text=live.title)).not_to_contain_text("scheduled")
    expect(desk_titles(page)).to_have_text([later.title, live.title])

    reader = visit("/")
    expect(readers_titles(reader)).to_have_text([live.title])
    expect(readers_box(reader)).to_contain_text("Today's pick.")
    expect(reader.locator("body")).not_to_contain_text("Tomorrow's pick.")
    expect(reader.locator("body")).not_to_contain_text("Yesterday's pick.")


def test_a_section_pick_shows_on_its_section_only(page: Page, visit, newsroom):
    article = newsroom.articles[0]  # in Science
    sign_in(page, make_editor().email)
    pick_article(page, article, where="Science", note="The estuary's winter.")

    page.goto("/section/science/")
    expect(desk_titles(page)).to_have_text([article.title])
    page.goto("/")
    expect(desk_box(page)).to_contain_text("Nothing picked for the home page")

    box = readers_box(visit("/section/science/"))
    expect(box.get_by_role("link", name=article.title)).to_be_visible()
    expect(box).to_contain_text("The estuary's winter.")
    for elsewhere in ("/", "/section/business/"):
        reader = visit(elsewhere)
        expect(reader.get_by_role("heading", level=1)).to_have_count(1)
        expect(reader.locator("body")).not_to_contain_text("Our Picks")


def test_retitle_and_merge_stories(page: Page, visit, newsroom):
    a = make_story(newsroom.articles[0], newsroom.articles[2])
    b = make_story(newsroom.articles[1], newsroom.articles[3])
    automatic, edited = a.headline, "The estuary's winter of tidal power"
    assert automatic
    expect(visit(f"/story/{a.pk}/").get_by_role("heading", level=1)).to_have_text(automatic)

    sign_in(page, make_editor().email)
    page.goto(f"/story/{a.pk}/")
    desk(page).get_by_label("Title").fill(edited)
    desk(page).get_by_role("button", name="Retitle").click()
    expect(page.get_by_role("status")).to_contain_text("Story retitled.")
    expect(page.get_by_role("heading", level=1)).to_have_text(edited)
    expect(visit(f"/story/{a.pk}/").get_by_role("heading", level=1)).to_have_text(edited)

    desk(page).get_by_label("Title").fill("")
    desk(page).get_by_role("button", name="Retitle").click()
    expect(page.get_by_role("status")).to_contain_text("automatic title again")
    expect(page.get_by_role("heading", level=1)).to_have_text(automatic)
    expect(visit(f"/story/{a.pk}/").get_by_role("heading", level=1)).to_have_text(automatic)

    panel = desk(page)
    open_part(panel, "Merge into another story")
    address = page.url.replace(f"/story/{a.pk}/", f"/story/{b.pk}/")  # pasted from B's page
    panel.get_by_label("Story number or address").fill(address)
    panel.get_by_role("button", name="Merge").click()
    expect(page).to_have_url(re.compile(f"/story/{b.pk}/$"))
    for article in newsroom.articles:
        expect(page.get_by_role("heading", level=3, name=article.title)).to_be_visible()

    reader = visit(f"/story/{a.pk}/")
    expect(reader).to_have_url(re.compile(f"/story/{b.pk}/$"))
    for article in newsroom.articles:
        expect(reader.get_by_role("heading", level=3, name=article.title)).to_be_visible()


def test_take_down_an_article(page: Page, visit, newsroom):
    article = newsroom.articles[0]
    reason = "Published in error: the wrong town was named."
    expect(visit("/search?q=turbines").get_by_role("link", name=article.title)).to_be_visible()
    expect(visit("/").get_by_role("link", name=article.title).first).to_be_visible()

    sign_in(page, make_editor().email)
    page.goto(article_path(article))
    panel = desk(page)
    open_part(panel, "Take down")
    panel.get_by_label("Reason").fill(reason)
    panel.get_by_role("button", name="Take down").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Editorial log")
    entry = page.get_by_role("row").filter(has_text="article.takedown")
    expect(entry).to_contain_text(article.title)
    expect(entry).to_contain_text(f"Reason: {reason}")

    gone = visit("/")
    response = gone.goto(article_path(article))
    assert response is not None and response.status == 410, response and response.status
    expect(gone.get_by_role("heading", level=1)).to_have_text("This article has been removed")
    home = visit("/")
    expect(home.get_by_role("heading", name="Top stories")).to_be_visible()
    expect(home.get_by_role("link", name=newsroom.articles[1].title).first).to_be_visible()
    expect(home.get_by_role("link", name=article.title)).to_have_count(0)
    found = visit("/search?q=turbines")
    expect(found.get_by_role("heading", level=1)).to_have_count(1)
    expect(found.get_by_role("link", name=article.title)).to_have_count(0)
    api = found.request.get(f"/api/v1/articles/{article.pk}")
    assert api.status == 410, api.status


def test_readers_see_no_desk_and_may_not_post_to_it(page: Page, newsroom):
    article = newsroom.articles[0]
    story = make_story(newsroom.articles[0], newsroom.articles[2])
    sign_in(page, make_member().email)
    for path in (article_path(article), f"/story/{story.pk}/", "/", "/section/science/"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        expect(desk(page)).to_have_count(0)
        expect(page.locator("body")).not_to_contain_text("Editors' desk")
        expect(page.locator("body")).not_to_contain_text("Our Picks")
        expect(page.get_by_role("button", name=re.compile("^(Pick|Take down|Retitle|Merge)$"))
               ).to_have_count(0)

    posts = [("/desk/picks/", {"article_id": str(article.pk), "note": "A reader's pick."}),
             (f"/desk/story/{story.pk}/title/", {"title": "A reader's title"}),
             (f"/desk/article/{article.pk}/takedown/", {"reason": "A reader's reason"})]
    for url, form in posts:
        response = post_form(page, url, form)
        assert response.status == 403, (url, response.status)
        assert "CSRF" not in response.text(), "refused for want of a token, not for the role"
    assert not Pick.objects.exists()
    assert Article.objects.filter(pk=article.pk).exists()
    assert Story.objects.get(pk=story.pk).edited_headline == ""

    # The same request from an editor's browser is done: the 403s above are the role's.
    page.context.clear_cookies()
    sign_in(page, make_editor().email)
    assert post_form(page, *posts[0]).status == 302
    assert Pick.objects.filter(article=article).exists()

