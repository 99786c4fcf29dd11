"""Lists read from their indexes give what the plain conditions give, and say when they stop.

A section's list is read from two indexes and merged (``latest_in_section``); search ranks only
its newest matches and says so; the Reader stream reads windows of time ending now or at its
continuation. All must agree with the straightforward query they replace.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from api_support import make_reader
from django.utils import timezone
from pages_fixtures import make_article, make_publisher

from broadsheet.api.auth import issue_token
from broadsheet.api.models import ApiToken
from broadsheet.articles import search as search_module
from broadsheet.articles.models import Article
from broadsheet.readers.models import Follow, ReadingHistory
from broadsheet.stories.queries import filed_under, latest_in_section, originals_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed_sections():
    """Originals in three sections, and copies, some filed where their original is not."""
    rng = random.Random(7)
    outlets = [make_publisher(f"Outlet {n}") for n in range(4)]
    ages = [timedelta(minutes=10 * n + 30) for n in range(40)]
    originals = [make_article(rng.choice(outlets), age=age,
                              section=rng.choice(["Sport", "sport", "World", "Business"]))
                 for age in ages]
    for index in rng.sample(range(len(originals)), 15):  # a copy is never older than its original
        make_article(rng.choice(outlets), section=rng.choice(["Sport", "World"]),
                     duplicate_of=originals[index],
                     age=ages[index] - timedelta(minutes=rng.randint(1, 25)))
    return originals


def _expected(section: str) -> list[int]:
    return list(Article.objects.filter(originals_only(), filed_under(section))
                .order_by("-published_at", "-id").values_list("id", flat=True))


@pytest.mark.parametrize("section", ["Sport", "world", "Business", "Culture"])
def test_every_page_of_a_section_is_what_the_condition_gives(mixed_sections, section):
    expected = _expected(section)
    for size in (1, 3, 7):
        pages = [latest_in_section(section, size, offset)
                 for offset in range(0, len(expected) + size, size)]
        assert [pk for page in pages for pk in page] == expected


def test_keyset_pages_follow_on_from_the_last_article(mixed_sections):
    expected = _expected("Sport")
    walked, before = [], None
    while True:
        page = latest_in_section("Sport", 4, before=before)
        if not page:
            break
        walked += page
        last = Article.objects.get(pk=page[-1])
        before = (last.published_at, last.pk)
    assert walked == expected and len(expected) > 8


def test_search_ranks_its_newest_matches_and_says_there_are_more(monkeypatch):
    publisher = make_publisher()
    for n in reversed(range(8)):  # stored as they are published, oldest first
        make_article(publisher, title=f"Harbour report {n}", age=timedelta(hours=n + 1))
    everything = search_module.search("harbour", per_page=20)
    assert everything.total == 8 and not everything.more
    monkeypatch.setattr(search_module, "MAX_CANDIDATES", 5)
    bounded = search_module.search("harbour", per_page=20)
    assert bounded.more and bounded.total == 5
    titles = {r.article.title for r in bounded.results}
    assert titles == {f"Harbour report {n}" for n in range(5)}  # the newest five


def test_the_api_says_the_total_is_a_lower_bound(client, monkeypatch):
    publisher = make_publisher()
    for n in reversed(range(4)):
        make_article(publisher, title=f"Lighthouse {n}", age=timedelta(hours=n + 1))
    monkeypatch.setattr(search_module, "MAX_CANDIDATES", 2)
    answer = client.get("/api/v1/search", {"q": "lighthouse"}).json()
    assert answer["total"] == 2 and answer["total_is_lower_bound"] is True
    page = client.get("/search", {"q": "lighthouse"}).content.decode()
    assert "2+ results" in page


def test_search_reads_recent_matches_first_and_says_when_the_count_is_a_lower_bound(monkeypatch):
    """Both engines read no more than the newest matches the page needs (PostgreSQL from the
    newest window of time that holds them, SQLite from its index newest first) and say the
    count is then a lower bound. The page is the same as from every match; a deeper page reads
    further."""
    publisher = make_publisher()
    ages = [timedelta(hours=n + 1) for n in range(6)] + [timedelta(days=20 + n) for n in range(4)]
    for age in reversed(ages):
        make_article(publisher, title="Quay works", age=age)
    monkeypatch.setattr(search_module, "RECENT_WINDOWS", (timedelta(days=2),))
    monkeypatch.setattr(search_module, "RANKED_MATCHES", 2)
    newest = list(Article.objects.order_by("-published_at", "-id").values_list("id", flat=True))
    first = search_module.search("quay", per_page=1)
    assert [r.article.pk for r in first.results] == newest[:1]
    assert (first.total, first.more) == (4, True)
    last = search_module.search("quay", per_page=3, page=4)
    assert [r.article.pk for r in last.results] == newest[9:]
    assert (last.total, last.more) == (10, False)


def test_the_reader_stream_pages_through_windows_of_time_as_one_list(client):
    """A stream of followed publications is read from widening windows of time; its pages,
    continuation after continuation, are the plain query's list, read items left out."""
    rng = random.Random(3)
    followed = [make_publisher(f"Followed {n}") for n in range(3)]
    other = make_publisher("Not followed")
    reader = make_reader("active")
    for publisher in followed:
        Follow.objects.create(user=reader, kind=Follow.Kind.PUBLISHER, publisher=publisher)
    ages = [timedelta(hours=n) for n in range(1, 6)] + [timedelta(days=d) for d in
                                                          (3, 5, 9, 12, 20, 40, 41, 90)]
    for age in ages:
        make_article(rng.choice(followed), age=age)
        make_article(other, age=age)
    read = Article.objects.filter(publisher__in=followed).order_by("?")[:3]
    for article in read:
        ReadingHistory.objects.create(user=reader, article=article, read_at=timezone.now())
    expected = list(Article.objects.filter(publisher__in=followed)
                    .exclude(pk__in=[a.pk for a in read])
                    .order_by("-published_at", "-id").values_list("pk", flat=True))
    auth = {"HTTP_AUTHORIZATION": "GoogleLogin auth="
            + issue_token(reader, ApiToken.Kind.GREADER).secret}
    path = "/reader/api/0/stream/items/ids"
    seen: list[int] = []
    query = {"s": "user/-/state/com.google/reading-list", "n": 3,
             "xt": "user/-/state/com.google/read"}
    for _ in range(len(expected)):
        answer = client.get(path, query, **auth).json()
        seen += [int(ref["id"]) for ref in answer["itemRefs"]]
        if "continuation" not in answer:
            break
        query["c"] = answer["continuation"]
    assert seen == expected
