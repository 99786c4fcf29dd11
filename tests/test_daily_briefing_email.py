"""The daily briefing email as it arrives over SMTP: Top stories, For you with its reasons and
Our Picks, each a headline, outlet, one line and a link to our own article page (where the
paywall stands); a text and an HTML part; one-click unsubscribe headers; no story twice."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from api_support import marker
from briefing_support import SITE, follow_sport, news, opt_in, reader, site  # noqa: F401
from smtpfixture import smtp_server, smtp_settings  # noqa: F401 - fixtures, used by name

from broadsheet.curation.models import BriefingDelivery
from broadsheet.web.briefing import one_line, send_due
from broadsheet.web.links import article_path

pytestmark = pytest.mark.django_db

# Monday 7 December 2026, 07:00 in London.
MONDAY_7AM = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


@pytest.fixture
def delivered(news, site, smtp_settings):  # noqa: F811
    """One follower of Harbour Sport Weekly, opted in for 07:00 London; their email."""
    fan = reader("fan@example.org")
    follow_sport(fan, news)
    opt_in(fan, 7, "Europe/London")
    report = send_due(now=MONDAY_7AM)
    assert (report.sent, report.failed) == (1, 0), report.errors
    [message] = smtp_settings.wait_for(1)
    return message


def section_of(text: str, title: str) -> str:
    """The part of the text body under one heading (TOP STORIES, FOR YOU, OUR PICKS)."""
    text = text.replace("\r\n", "\n")
    found = re.search(rf"^{title}$(.*?)(?=^(?:[A-Z][A-Z ]+|--)$)", text, re.M | re.S)
    assert found, f"no {title} in:\n{text}"
    return found.group(1)


def test_the_email_has_a_subject_a_text_and_an_html_part(delivered):
    assert delivered.recipients == ["fan@example.org"]
    assert delivered.subject == "Your Broadsheet briefing for Monday 7 December"
    assert delivered.message.is_multipart()
    kinds = [part.get_content_type() for part in delivered.message.walk()
             if not part.is_multipart()]
    assert kinds == ["text/plain", "text/html"]
    assert "TOP STORIES" in delivered.body and "<h2" in delivered.html
    assert "World story number 1 leads the day" in delivered.body
    assert "World story number 1 leads the day" in delivered.html


def test_three_parts_each_line_a_headline_outlet_summary_and_link(delivered, news):  # noqa: F811
    text = delivered.body
    top = section_of(text, "TOP STORIES")
    for article in news.top_articles:
        assert article.title in top
        assert f"{SITE}{article_path(article)}" in top
        assert article.publisher.name in top
    # The one-line summary: the teaser's first sentence.
    assert "Opening paragraph 1: the tide rose higher than anyone in town remembered." in top
    picked = section_of(text, "OUR PICKS")
    assert news.picked.title in picked and "Culture Review" in picked
    assert f"{SITE}{article_path(news.picked_article)}" in picked


def test_for_you_items_carry_their_reason(delivered, news):  # noqa: F811
    mine = section_of(delivered.body, "FOR YOU")
    assert news.sport_article.title in mine
    assert "Harbour Sport Weekly · Because you follow Harbour Sport Weekly" in mine
    assert "Because you follow Harbour Sport Weekly" in delivered.html


def test_no_story_appears_twice(delivered, news):  # noqa: F811
    for article in news.articles:
        link = f"{SITE}{article_path(article)}"
        assert delivered.body.count(link) == 1, article.title
        assert delivered.html.count(f'href="{link}"') == 1, article.title
    # The picked story leads Our Picks, not Top stories (the editors' pick stands).
    assert news.picked.title not in section_of(delivered.body, "TOP STORIES")


def test_links_go_to_our_article_pages_and_show_no_more_than_the_teaser(news, site,  # noqa: F811
                                                                        smtp_settings):  # noqa: F811
    visitor = reader("lapsed@example.org", state="expired")
    opt_in(visitor, 7, "Europe/London")
    send_due(now=MONDAY_7AM)
    [message] = smtp_settings.wait_for(1)
    links = set(re.findall(r"https?://\S+", message.body))
    article_links = {link for link in links if "/article/" in link}
    assert article_links == {f"{SITE}{article_path(a)}" for a in news.articles}
    assert not any("gazette.example" in link for link in links)  # never the publisher's page
    for n in (1, 2, 3, 4, 5, 20, 30):
        assert marker(n) not in message.body and marker(n) not in message.html
    assert "Fishermen moved their boats" not in message.body  # the teaser's second sentence


def test_unsubscribe_headers_are_one_click(delivered):
    unsubscribe = delivered.message["List-Unsubscribe"].strip()  # folded: it is long
    assert re.fullmatch(rf"<{re.escape(SITE)}/briefing/unsubscribe/[^/>]+/>", unsubscribe)
    assert delivered.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe[1:-1]
    assert f"Unsubscribe (no need to sign in): {link}" in delivered.body
    assert f'href="{link}"' in delivered.html


def test_the_delivery_is_recorded_with_its_local_date(delivered):
    [row] = BriefingDelivery.objects.all()
    assert str(row.local_date) == "2026-12-07"
    assert row.sent_at is not None and row.handed_at is not None and row.items == 7


@pytest.mark.parametrize(("text", "line"), [
    ("First sentence here. Second one.", "First sentence here."),
    ("Is it over? Yes.", "Is it over?"),
    ("  Spaces   collapse.\n\nNext paragraph.", "Spaces collapse."),
    ("No full stop at all", "No full stop at all"),
    ("", ""),
])
def test_one_line_is_the_first_sentence(text, line):
    assert one_line(text) == line


def test_one_line_is_cut_at_a_word_within_200_characters():
    long = "word " * 100 + "end."
    cut = one_line(long)
    assert len(cut) <= 200 and cut.endswith("word\u2026")
