"""The story page ("Full coverage"): every outlet's article on one story, grouped by outlet and
ordered in time, who reported first, copies folded under their original, and the paywall."""

from __future__ import annotations

import re

import pytest
from api_support import make_article, make_publisher, make_reader, marker
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from story_support import T0, Wire, make_story

from broadsheet.stories.models import Story
from broadsheet.web.links import article_path


@pytest.fixture
def wire(db) -> Wire:
    return Wire()


def page(client, story: Story) -> str:
    response = client.get(reverse("story", args=[story.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_story_url_is_story_slash_id(wire):
    assert reverse("story", args=[wire.story.pk]) == f"/story/{wire.story.pk}/"


def test_headline_first_reporter_times_and_counts(client, wire):
    body = page(client, wire.story)
    assert "Full coverage" in body
    assert f"<h1 id=\"headline\">{wire.story.headline}</h1>" in body
    first = body[body.index("First reported by"):body.index("Last updated")]
    assert f'href="{reverse("publication", args=[wire.gazette.slug])}"' in first
    assert wire.gazette.name in first and wire.first.published_at.isoformat()[:10] in first
    assert "5 articles from 4 outlets" in body
    assert 'href="/section/world/"' in body  # its sections, linked


def test_outlets_grouped_in_order_of_first_report_articles_in_time(client, wire):
    body = page(client, wire.story)
    outlets = re.findall(r'<section class="outlet" aria-labelledby="outlet-(\d+)"', body)
    assert outlets == [str(p.pk) for p in (wire.gazette, wire.ledger, wire.meridian)]
    ledger = body[body.index(f'id="outlet-{wire.ledger.pk}"'):
                  body.index(f'id="outlet-{wire.meridian.pk}"')]
    assert ledger.index(wire.ledger_piece.title) < ledger.index(wire.follow_up.title)


def test_a_copy_is_folded_under_its_original_never_its_own_entry(client, wire):
    body = page(client, wire.story)
    assert wire.copy.title not in body
    assert f'id="outlet-{wire.courier.pk}"' not in body
    gazette = body[body.index(f'id="outlet-{wire.gazette.pk}"'):
                   body.index(f'id="outlet-{wire.ledger.pk}"')]
    carried = re.search(r"Also carried by: (.*?)</p>", gazette).group(1)
    assert f'href="{article_path(wire.copy)}"' in carried and wire.courier.name in carried
    assert body.count(f'href="{article_path(wire.copy)}"') == 1


def test_visitor_sees_teasers_and_one_signup_box_never_deep_text(client, wire):
    body = page(client, wire.story)
    for original in wire.originals:
        assert f"Opening paragraph {original.canonical_url.rsplit('/', 1)[1]}" in body
    for sentence in wire.markers():
        assert sentence not in body
    assert body.count('class="paywall"') == 1
    assert "Start your 14-day free trial" in body and "Sign in" in body
    assert f"next=%2Fstory%2F{wire.story.pk}%2F" in body  # back here after signing up


def test_expired_member_gets_teasers_too(client, wire):
    client.force_login(make_reader("expired"))
    body = page(client, wire.story)
    assert not any(sentence in body for sentence in wire.markers())
    assert 'class="paywall"' in body


def test_member_reads_every_outlets_article_in_full(client, wire):
    client.force_login(make_reader("trial"))
    body = page(client, wire.story)
    for original in wire.originals:
        assert marker(int(original.canonical_url.rsplit("/", 1)[1])) in body
    assert 'class="paywall"' not in body
    # The copy repeats its original: it is linked, not printed a second time.
    assert marker(int(wire.copy.canonical_url.rsplit("/", 1)[1])) not in body


def test_merged_story_redirects_permanently_to_the_survivor(client, wire):
    gone = Story.objects.create(first_published_at=T0, last_published_at=T0,
                                merged_into=wire.story)
    older = Story.objects.create(first_published_at=T0, last_published_at=T0, merged_into=gone)
    for story in (gone, older):
        response = client.get(reverse("story", args=[story.pk]))
        assert response.status_code == 301
        assert response["Location"] == reverse("story", args=[wire.story.pk])


def test_unknown_and_empty_stories_are_404(client, db):
    assert client.get("/story/987654/").status_code == 404
    empty = Story.objects.create(first_published_at=T0, last_published_at=T0)
    assert client.get(reverse("story", args=[empty.pk])).status_code == 404


def test_cached_for_visitors_private_for_members(client, wire):
    response = client.get(reverse("story", args=[wire.story.pk]))
    assert "public" in response["Cache-Control"]
    client.force_login(make_reader("trial"))
    response = client.get(reverse("story", args=[wire.story.pk]))
    assert "private" in response["Cache-Control"]


def test_queries_do_not_grow_with_the_story(client, db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    small = Wire(200)
    outlets = [make_publisher(f"Extra outlet {n}") for n in range(8)]
    big = Wire(300)
    extra = [make_article(p, 400 + n, published_at=T0) for n, p in enumerate(outlets)]
    copies = [make_article(outlets[n], 500 + n, published_at=T0) for n in range(4)]
    big = make_story(big.articles + extra + copies,
                     copies={c: extra[n] for n, c in enumerate(copies)})
    counts = []
    for story in (small.story, big):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("story", args=[story.pk])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert counts[1] <= 6


def test_article_page_links_full_coverage_and_names_the_original(client, wire):
    body = client.get(article_path(wire.copy)).content.decode()
    assert "Also published by" in body
    note = body[body.index("Also published by"):]
    assert f'href="{article_path(wire.first)}"' in note[:400] and wire.gazette.name in note[:400]
    assert f'href="{reverse("story", args=[wire.story.pk])}"' in body
    assert "Full coverage: 4 outlets" in body


def test_article_page_related_stories_same_story_first(client, wire):
    other = make_article(make_publisher("Elsewhere"), 900, published_at=T0,
                         title="Unrelated ferry timetable changes")
    make_story([other])
    body = client.get(article_path(wire.first)).content.decode()
    related = body[body.index("Related Stories"):]
    same = related[:related.index("More stories")]
    for piece in (wire.ledger_piece, wire.meridian_piece, wire.follow_up):
        assert piece.title in same
    assert wire.first.title not in related  # not itself
    assert wire.copy.title not in related  # nor its own copy
    assert other.title in related[related.index("More stories"):]
    assert f"Also carried by: <a href=\"{article_path(wire.copy)}\"" in body
    # On Ledger's piece, Ledger's own follow-up is not "from other outlets".
    body = client.get(article_path(wire.ledger_piece)).content.decode()
    related = body[body.index("Related Stories"):]
    same = related[:related.index("More stories")]
    assert wire.first.title in same and wire.meridian_piece.title in same
    assert wire.follow_up.title not in same
