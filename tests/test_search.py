"""Search: ranked full text on SQLite FTS5 and PostgreSQL, filters, safe snippets, hostile input."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pages_fixtures import make_article, make_publisher, make_reader

from broadsheet.articles.search import parse_query, search

SECRET = "zephyrion"  # a word only found deep in a body, beyond any teaser

HOSTILE = [
    '"', '""', '"unclosed phrase', "*", "-", "--", "-only", "NEAR(", "NEAR(a b, 3)",
    "a NOT", "OR", "AND AND", "title:storm", "^storm", "storm*", "{storm}", "(storm",
    "storm)", "'; DROP TABLE articles_article; --", "\\", "%", "_", "\x00", "storm\x00rain",
    "<script>alert(1)</script>", "a" * 5000, "storm " * 500, "!!!", "&&", "||", ":*",
    "storm & rain | !sun", "😀", "ＮＥＡＲ(", "\u202e", "null", "-storm -rain",
]


@pytest.fixture
def newsroom(db):
    daily = make_publisher("The Daily Example")
    weekly = make_publisher("Weekly Planet")
    storm = make_article(daily, title="Storm batters the coast", section="World",
                         paragraphs=["A storm hit the coast overnight, residents said.",
                                     "Rain fell for hours across the region.",
                                     "Officials promised a full review of the response.",
                                     f"Deep in the report, engineers named the {SECRET} valve."],
                         age=timedelta(hours=2))
    mention = make_article(weekly, title="Markets steady as weather turns",
                           section="Business",
                           paragraphs=["Traders shrugged off news of the storm.",
                                       "Shares rose modestly.", "Bonds were flat."],
                           age=timedelta(days=3))
    unrelated = make_article(weekly, title="Football final tonight", section="Sport",
                             age=timedelta(hours=5))
    return {"daily": daily, "weekly": weekly, "storm": storm, "mention": mention,
            "unrelated": unrelated}


def test_parse_query_keeps_words_and_phrases_and_drops_syntax():
    parsed = parse_query('Storm "coast guard" -rain NEAR( OR *')
    assert parsed.words == ("storm",)
    assert parsed.phrases == (("coast", "guard"),)
    assert parsed.excluded == ("rain",)
    assert parsed.fts5() == '"storm" AND "coast guard" NOT "rain"'
    assert parse_query('-rain').empty
    assert parse_query('"" * - NEAR(').empty


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_query_parses_into_quoted_words_only(raw):
    expression = parse_query(raw).fts5()
    # Only quoted strings and the operators we put there ourselves.
    unquoted = "".join(expression.split('"')[0::2])
    assert set(unquoted.split()) <= {"AND", "NOT"}


def test_ranked_title_match_first(newsroom):
    page = search("storm")
    assert page.total == 2
    assert [r.article for r in page.results] == [newsroom["storm"], newsroom["mention"]]
    assert page.results[0].rank > page.results[1].rank
    assert "<mark>Storm</mark>" in page.results[0].title_html


def test_stemmed_words_match(newsroom):
    assert search("storms").total == 2


def test_phrase_and_exclusion(newsroom):
    assert [r.article for r in search('"the coast"').results] == [newsroom["storm"]]
    assert [r.article for r in search("storm -traders").results] == [newsroom["storm"]]


def test_filters_by_publisher_section_and_date(newsroom):
    assert [r.article for r in search("storm", publisher="weekly-planet").results] == [
        newsroom["mention"]]
    assert [r.article for r in search("storm", publisher=newsroom["daily"]).results] == [
        newsroom["storm"]]
    assert [r.article for r in search("storm", section="business").results] == [
        newsroom["mention"]]
    today = timezone.localdate()
    assert [r.article for r in search("storm", since=today - timedelta(days=1)).results] == [
        newsroom["storm"]]
    assert [r.article for r in search("storm", until=today - timedelta(days=2)).results] == [
        newsroom["mention"]]
    assert search("storm", publisher="no-such-publisher").total == 0


def test_pagination(db):
    publisher = make_publisher()
    for n in range(25):
        make_article(publisher, title=f"Budget story {n}", age=timedelta(minutes=n))
    first = search("budget", per_page=10)
    third = search("budget", per_page=10, page=3)
    assert (first.total, first.num_pages, len(first.results)) == (25, 3, 10)
    assert len(third.results) == 5 and not third.has_next and third.has_previous
    seen = {r.article.pk for p in (1, 2, 3) for r in search("budget", per_page=10, page=p).results}
    assert len(seen) == 25
    assert search("budget", per_page=10, page=99).results == []


def test_newest_order(db):
    publisher = make_publisher()
    old = make_article(publisher, title="Budget budget budget", age=timedelta(days=2))
    new = make_article(publisher, title="Budget news", age=timedelta(hours=1))
    assert [r.article for r in search("budget", order="newest").results] == [new, old]


def test_index_follows_updates_and_deletes(newsroom):
    storm = newsroom["storm"]
    storm.title = "Hurricane batters the coast"
    storm.save()
    assert [r.article for r in search("hurricane").results] == [storm]
    storm.delete()
    assert search("hurricane").total == 0


def test_visitor_snippet_never_shows_words_beyond_the_teaser(newsroom):
    page = search(SECRET)
    # The article is found (the index holds the whole body) ...
    assert [r.article for r in page.results] == [newsroom["storm"]]
    snippet = page.results[0].snippet
    # ... but the snippet comes only from the summary and the teaser.
    assert SECRET not in snippet.lower()
    assert "engineers" not in snippet
    assert "officials" not in snippet.lower()


def test_member_snippet_shows_the_matching_passage(newsroom):
    member = make_reader()
    snippet = search(SECRET, user=member).results[0].snippet
    assert f"<mark>{SECRET}</mark>" in snippet


def test_expired_reader_gets_the_visitor_snippet(newsroom):
    lapsed = make_reader(member=False)
    snippet = search(SECRET, user=lapsed).results[0].snippet
    assert SECRET not in snippet.lower()


def test_snippet_is_escaped(db):
    make_article(title="<b>Bold</b> claims about tariffs",
                 paragraphs=["Tariffs <script>alert(1)</script> rose & fell."])
    result = search("tariffs").results[0]
    assert "<script>" not in result.snippet and "&lt;script&gt;" in result.snippet
    assert "<b>" not in result.title_html and "<mark>tariffs</mark>" in result.title_html


@pytest.mark.parametrize("raw", HOSTILE)
def test_hostile_queries_never_raise(newsroom, raw):
    page = search(raw, publisher="weekly-planet", section="business",
                  since=timezone.localdate() - timedelta(days=30))
    # Only the business article of the Weekly Planet passes the filters, found or not.
    assert [r.article.pk for r in page.results] in ([], [newsroom["mention"].pk])
    assert page.total == len(page.results)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80))
def test_any_text_is_a_safe_query(newsroom, raw):
    page = search(raw)
    newsroom_ids = {newsroom[key].pk for key in ("storm", "mention", "unrelated")}
    assert {r.article.pk for r in page.results} <= newsroom_ids
    assert page.total == len(page.results)



@pytest.mark.django_db
def test_a_stop_word_with_an_exclusion_finds_nothing(newsroom):
    # found by the generated queries below: on PostgreSQL "or" is a stop word, which left
    # "everything except near"
    assert search('-"NEAR""OR').results == []

@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(['"', "-", "*", "NEAR", "(", ")", "OR", "AND", "NOT", ":",
                                 "^", "storm", "coast", " ", "+", "{", "}"]), max_size=20))
def test_any_mix_of_operators_is_a_safe_query(newsroom, parts):
    page = search("".join(parts))
    # Only two articles say "storm" or "coast"; the third matches none of these words.
    found = {r.article.pk for r in page.results}
    assert found <= {newsroom["storm"].pk, newsroom["mention"].pk}
    assert page.total == len(page.results)


# --- The search page ---------------------------------------------------------------------------

def test_search_page_lists_highlighted_results(client, newsroom):
    response = client.get(reverse("search"), {"q": "storm"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 results" in body
    assert "<mark>Storm</mark> batters the coast" in body
    assert 'href="/article/' in body


def test_search_page_filters(client, newsroom):
    body = client.get(reverse("search"), {"q": "storm", "publication": "weekly-planet"}
                      ).content.decode()
    assert "Markets steady" in body and "batters the coast" not in body
    body = client.get(reverse("search"), {"q": "storm", "section": "world"}).content.decode()
    assert "batters the coast" in body and "Markets steady" not in body
    # The day the storm story was published (yesterday, when the tests run just after midnight).
    day = timezone.localdate(newsroom["storm"].published_at)
    body = client.get(reverse("search"), {"q": "storm", "from": str(day)}).content.decode()
    assert "batters the coast" in body and "Markets steady" not in body
    body = client.get(reverse("search"), {"q": "storm", "from": "not-a-date"}).content.decode()
    assert "batters the coast" in body


def test_search_page_visitor_snippet_does_not_leak(client, newsroom):
    body = client.get(reverse("search"), {"q": SECRET}).content.decode()
    assert "batters the coast" in body
    results = body[body.index('<ol class="result-list"'):body.index("</ol>")]
    snippets = re.findall(r'<p class="snippet">(.*?)</p>', results, re.S)
    assert len(snippets) == 1 and snippets[0].startswith("Summary of story")
    assert SECRET not in results.lower()
    assert "engineers" not in results


def test_search_page_paginates(client, db):
    publisher = make_publisher()
    for n in range(25):
        make_article(publisher, title=f"Budget story {n}", age=timedelta(minutes=n))
    body = client.get(reverse("search"), {"q": "budget"}).content.decode()
    assert "25 results" in body and "page=2" in body
    body = client.get(reverse("search"), {"q": "budget", "page": "2"}).content.decode()
    assert "</mark> story 20<" in body and "</mark> story 0<" not in body
    assert client.get(reverse("search"), {"q": "budget", "page": "x"}).status_code == 200


@pytest.mark.parametrize("raw", HOSTILE)
def test_search_page_survives_hostile_queries(client, newsroom, raw):
    response = client.get(reverse("search"), {"q": raw, "page": "-1"})
    # A NUL character is refused with a clear 400 before any page sees it (web/malformed.py).
    assert response.status_code == (400 if "\x00" in raw else 200)
    assert b"<script>alert(1)" not in response.content


def test_empty_search_page(client, db):
    response = client.get(reverse("search"))
    assert response.status_code == 200
    assert b"Search" in response.content


def test_lost_index_triggers_are_repaired(db):
    """A table rebuild by a later migration can drop the triggers; post_migrate puts them back."""
    from django.db import connection

    from broadsheet.articles.search_index import ensure_index

    before = make_article(title="Indexed before the rebuild")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in ("insert", "update", "delete"):
                cursor.execute(f"DROP TRIGGER articles_article_fts_{name}")
        else:
            cursor.execute("DROP TRIGGER articles_article_search_vector ON articles_article")
    make_article(title="Written while the triggers were missing")
    assert ensure_index() is True
    assert ensure_index() is False
    assert [r.article for r in search("rebuild").results] == [before]
    assert search("triggers missing").total == 1
    make_article(title="Written after the repair")
    assert search("repair").total == 1
