"""Syndicated copies are shown once in every list: the original stands for them and names the
outlets that carried them. Only the copying outlet's own page and feed list its copy, marked.

Surfaces: home, section and publication pages, search (page and API), feeds out, the JSON API
article list and the Google Reader API. Lists cost a fixed number of queries however many
copies their articles have.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from api_support import PASSWORD, make_article, make_publisher, make_reader
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from story_support import T0, Wire

from broadsheet.api.greader import READING_LIST
from broadsheet.readers.models import Follow
from broadsheet.web.links import article_path


@pytest.fixture
def wire(db) -> Wire:
    """Gazette's report, copied word for word by Courier and by Post."""
    wire = Wire(100, "World")
    wire.post = make_publisher("Post 100")
    wire.second_copy = make_article(wire.post, 150, section="World",
                                    published_at=wire.first.published_at + timedelta(hours=4),
                                    title="Harbour wall 100 gives way (agency copy)")
    wire.second_copy.duplicate_of = wire.first
    wire.second_copy.story = wire.story
    wire.second_copy.save()
    return wire


def copies(wire: Wire):
    return [wire.copy, wire.second_copy]


def assert_shown_once(body: str, wire: Wire) -> None:
    """The original is listed, with "Also in" linking both copies; no copy has its own entry."""
    assert wire.first.title in body
    for copy in copies(wire):
        assert copy.title not in body
    also = re.search(r"Also in: (.*?)</p>", body, re.S).group(1)
    for copy in copies(wire):
        assert f'href="{article_path(copy)}"' in also and copy.publisher.name in also


def test_home_page(client, wire):
    assert_shown_once(client.get(reverse("home")).content.decode(), wire)


def test_section_page(client, wire):
    assert_shown_once(client.get(reverse("section", args=["world"])).content.decode(), wire)


def test_a_copy_filed_under_another_section_brings_its_original_there(client, wire):
    wire.copy.section = "Business"
    wire.copy.save(update_fields=["section"])
    page = client.get(reverse("section", args=["business"])).content.decode()
    feed = client.get(reverse("feed_section", kwargs={"slug": "business"})).content.decode()
    for body in (page, feed):
        assert wire.first.title in body
        assert wire.copy.title not in body
    items = client.get("/api/v1/articles", {"section": "business"}).json()["items"]
    assert [item["id"] for item in items] == [wire.first.pk]


def test_copying_outlets_page_lists_its_copy_marked_syndicated(client, wire):
    body = client.get(reverse("publication", args=[wire.courier.slug])).content.decode()
    assert wire.copy.title in body
    marked = re.search(r"Syndicated from (.*?)</p>", body).group(1)
    assert f'href="{article_path(wire.first)}"' in marked and wire.gazette.name in marked
    original_page = client.get(reverse("publication", args=[wire.gazette.slug]))
    assert_shown_once(original_page.content.decode(), wire)


def test_search_page_shows_the_original_in_place_of_a_copy(client, wire):
    # "agency" is only in the second copy's headline: its original stands in its place.
    body = client.get(reverse("search"), {"q": "agency"}).content.decode()
    results = body[body.index("results-heading"):]
    assert wire.second_copy.title not in results
    assert f'href="{article_path(wire.first)}"' in results
    # A word every article shares: the original once, the copies not at all.
    results = client.get(reverse("search"), {"q": "tide"}).content.decode()
    results = results[results.index("results-heading"):]
    assert results.count(f'<a href="{article_path(wire.first)}">') == 1
    for copy in copies(wire):
        assert f'<a href="{article_path(copy)}">' not in results.split("Also in:")[0]
        assert copy.title not in results


def test_searching_one_publication_lists_its_copies(client, wire):
    body = client.get(reverse("search"), {"q": "tide", "publication": wire.courier.slug})
    assert wire.copy.title in body.content.decode()


def test_feeds_out(client, wire):
    for name, kwargs in (("feed_latest_rss", {}), ("feed_latest_atom", {}),
                         ("feed_section", {"slug": "world"})):
        body = client.get(reverse(name, kwargs=kwargs)).content.decode()
        assert wire.first.title in body
        for copy in copies(wire):
            assert copy.title not in body
            assert article_path(copy) in body  # linked from the original's "Also in"
    own = client.get(reverse("feed_publication", args=[wire.courier.slug])).content.decode()
    assert wire.copy.title in own


def test_json_api_article_list(client, wire):
    items = client.get("/api/v1/articles", {"limit": 100}).json()["items"]
    ids = [item["id"] for item in items]
    assert wire.first.pk in ids
    assert not {c.pk for c in copies(wire)} & set(ids)
    original = next(item for item in items if item["id"] == wire.first.pk)
    assert [c["article_id"] for c in original["also_in"]] == [c.pk for c in copies(wire)]
    assert original["story_id"] == wire.story.pk and original["duplicate_of"] is None
    own = client.get("/api/v1/articles", {"publisher": wire.courier.slug}).json()["items"]
    assert [(i["id"], i["duplicate_of"]) for i in own] == [(wire.copy.pk, wire.first.pk)]
    detail = client.get(f"/api/v1/articles/{wire.copy.pk}").json()
    assert detail["duplicate_of"] == wire.first.pk and detail["story_id"] == wire.story.pk


def test_json_api_search(client, wire):
    items = client.get("/api/v1/search", {"q": "tide", "per_page": 100}).json()["items"]
    ids = [item["id"] for item in items]
    assert ids.count(wire.first.pk) == 1
    assert not {c.pk for c in copies(wire)} & set(ids)


def test_search_pages_list_each_original_once_and_count_it_once(client, wire):
    # One result a page: a copy on a later page must not bring its original back.
    seen, page = [], 1
    while True:
        found = client.get("/api/v1/search", {"q": "tide", "per_page": 1, "page": page}).json()
        seen += [item["id"] for item in found["items"]]
        if not found["has_next"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == found["total"]
    assert wire.first.pk in seen
    assert not {c.pk for c in copies(wire)} & set(seen)


def greader_auth(client, reader) -> dict:
    response = client.post("/accounts/ClientLogin", {"Email": reader.email, "Passwd": PASSWORD})
    lines = dict(line.split("=", 1) for line in response.content.decode().split())
    return {"HTTP_AUTHORIZATION": f"GoogleLogin auth={lines['Auth']}"}


def stream_titles(client, auth, stream: str) -> list[str]:
    data = client.get(f"/reader/api/0/stream/contents/{stream}", {"n": 100}, **auth).json()
    return [item["title"] for item in data["items"]]


def test_google_reader_reading_list(client, wire):
    reader = make_reader("trial")
    auth = greader_auth(client, reader)
    # Subscribed to everything (no follows): the original alone.
    titles = stream_titles(client, auth, READING_LIST)
    assert wire.first.title in titles and wire.copy.title not in titles
    assert wire.second_copy.title not in titles
    # The copying outlet's own feed keeps its copy.
    assert wire.copy.title in stream_titles(client, auth, f"feed/{wire.courier.pk}")
    # Subscribed only to Courier: its copy is the reader's one way to the story.
    Follow.objects.create(user=reader, kind=Follow.Kind.PUBLISHER, publisher=wire.courier)
    titles = stream_titles(client, auth, READING_LIST)
    assert wire.copy.title in titles and wire.first.title not in titles


def test_list_queries_do_not_grow_with_copies(client, db):
    counts = []
    carriers = [make_publisher(f"Carrier {m}") for m in range(3)]
    for size in (1, 5):
        for n in range(size):
            original = make_article(make_publisher(f"Original {size}-{n}"), 1000 * size + n,
                                    section="Science", published_at=T0)
            for m, carrier in enumerate(carriers):
                copy = make_article(carrier, 1000 * size + 100 + 10 * n + m,
                                    section="Science", published_at=T0)
                copy.duplicate_of = original
                copy.save()
        cache.clear()
        run = []
        for path in (reverse("section", args=["science"]), "/api/v1/articles?limit=50",
                     reverse("feed_latest_rss")):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200
            run.append(len(captured))
        counts.append(run)
    assert counts[0] == counts[1], counts
