"""The JSON API: articles, publishers, sections, search, the reader and personal tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from api_support import PASSWORD, make_article, make_publisher, make_reader, marker
from django.test import Client
from django.utils import timezone

from broadsheet.api.api import snippet
from broadsheet.api.auth import hash_secret, issue_token, user_for_token
from broadsheet.api.models import ApiToken


def test_snippet_marks_the_match_and_escapes_html():
    text = "One two <b>three</b> four harbour five six"
    result = snippet(text, "harbour")
    assert "<mark>harbour</mark>" in result
    assert "<b>" not in result and "&lt;b&gt;" in result


def test_snippet_of_empty_text_is_empty():
    assert snippet("", "anything") == ""


@pytest.fixture
def articles(db):
    gazette = make_publisher("The Harbour Gazette", "World")
    courier = make_publisher("Valley Courier", "Sport")
    made = [make_article(gazette, n) for n in range(1, 4)]
    made.append(make_article(courier, 4, section="Sport",
                             title="Valley rowing club wins the regatta"))
    return made


def bearer(user, **kwargs) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user, **kwargs).secret}"}


def test_list_is_newest_first_with_summaries(client, articles):
    response = client.get("/api/v1/articles")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == [a.pk for a in reversed(articles)]
    first = items[0]
    assert first["publisher"]["name"] == "Valley Courier"
    assert first["url"].endswith(f"/article/{articles[3].pk}/valley-rowing-club-wins-the-regatta/")
    assert first["full"] is False
    assert first["summary"].startswith("Opening paragraph 4")


def test_filters_by_publisher_section_since_and_words(client, articles):
    by_publisher = client.get("/api/v1/articles", {"publisher": "valley-courier"}).json()
    assert [i["id"] for i in by_publisher["items"]] == [articles[3].pk]
    by_section = client.get("/api/v1/articles", {"section": "sport"}).json()
    assert [i["id"] for i in by_section["items"]] == [articles[3].pk]
    since = articles[2].published_at.isoformat()
    recent = client.get("/api/v1/articles", {"since": since}).json()
    assert {i["id"] for i in recent["items"]} == {articles[2].pk, articles[3].pk}
    words = client.get("/api/v1/articles", {"q": "regatta"}).json()
    assert [i["id"] for i in words["items"]] == [articles[3].pk]


def test_cursor_walks_every_article_once(client, articles):
    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/articles", params).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert "cursor=" in page["next"]
    assert seen == [a.pk for a in reversed(articles)]


def test_same_time_articles_are_not_skipped_by_the_cursor(client, db):
    publisher = make_publisher()
    moment = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    made = [make_article(publisher, n, published_at=moment) for n in range(5)]
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/articles", {"limit": 2} | ({"cursor": cursor} if cursor
                                                                else {})).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(a.pk for a in made) and len(seen) == 5


def test_a_broken_cursor_is_a_clear_400(client, articles):
    response = client.get("/api/v1/articles", {"cursor": "not-a-cursor!"})
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


def test_unknown_publisher_is_404_with_a_message(client, articles):
    response = client.get("/api/v1/articles", {"publisher": "nobody"})
    assert response.status_code == 404
    assert "nobody" in response.json()["detail"]


def test_bad_parameters_are_422_in_words(client, articles):
    response = client.get("/api/v1/articles", {"limit": 1000})
    assert response.status_code == 422
    assert "limit" in response.json()["detail"]


def test_visitor_gets_the_teaser_and_a_signup_link(client, articles):
    article = articles[0]
    data = client.get(f"/api/v1/articles/{article.pk}").json()
    assert data["full"] is False
    assert data["text"].startswith("Opening paragraph 1")
    assert marker(1) not in data["text"] and marker(1) not in data["html"]
    assert "/account/signup/" in data["signup_url"]
    next_page = parse_qs(urlsplit(data["signup_url"]).query)["next"][0]
    assert next_page.startswith(f"/article/{article.pk}/")


def test_trial_member_with_a_token_reads_in_full(client, articles):
    reader = make_reader("trial")
    data = client.get(f"/api/v1/articles/{articles[0].pk}", **bearer(reader)).json()
    assert data["full"] is True
    assert marker(1) in data["text"] and marker(1) in data["html"]
    assert data["signup_url"] is None


def test_signed_in_member_reads_in_full_through_the_session(client, articles):
    reader = make_reader("active")
    client.force_login(reader)
    data = client.get(f"/api/v1/articles/{articles[0].pk}").json()
    assert data["full"] is True and marker(1) in data["text"]


def test_missing_article_is_404(client, articles):
    response = client.get("/api/v1/articles/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "No article with id 999999."}


def test_publishers_and_sections(client, articles):
    publishers = client.get("/api/v1/publishers").json()
    assert [p["slug"] for p in publishers] == ["the-harbour-gazette", "valley-courier"]
    assert publishers[0]["feed_url"].endswith("/feeds/publication/the-harbour-gazette.xml")
    one = client.get("/api/v1/publishers/the-harbour-gazette").json()
    assert one["article_count"] == 3
    by_id = client.get(f"/api/v1/publishers/{one['id']}").json()
    assert by_id["slug"] == "the-harbour-gazette"
    assert client.get("/api/v1/publishers/nobody").status_code == 404
    sections = client.get("/api/v1/sections").json()
    assert [s["name"] for s in sections][:3] == ["World", "Politics", "Business"]
    assert sections[0]["feed_url"].endswith("/feeds/section/world.xml")


def test_search_finds_and_highlights(client, articles):
    data = client.get("/api/v1/search", {"q": "regatta"}).json()
    assert [i["id"] for i in data["items"]] == [articles[3].pk]
    assert data["total"] == 1 and data["has_next"] is False


def test_search_filters_by_publisher_and_section(client, articles):
    everything = client.get("/api/v1/search", {"q": "tide"}).json()
    assert everything["total"] == 4
    courier = client.get("/api/v1/search", {"q": "tide", "publisher": "valley-courier"}).json()
    assert [i["id"] for i in courier["items"]] == [articles[3].pk]
    world = client.get("/api/v1/search", {"q": "tide", "section": "world"}).json()
    assert {i["id"] for i in world["items"]} == {a.pk for a in articles[:3]}
    paged = client.get("/api/v1/search", {"q": "tide", "per_page": 3}).json()
    assert paged["has_next"] is True and len(paged["items"]) == 3


def test_member_search_snippet_comes_from_the_whole_article(client, articles):
    reader = make_reader("trial")
    data = client.get("/api/v1/search", {"q": "ledger"}, **bearer(reader)).json()
    assert data["total"] == 4
    assert all("<mark>ledger</mark>" in item["snippet"] for item in data["items"])


def test_search_needs_words(client, articles):
    assert client.get("/api/v1/search").status_code == 422


def test_me_needs_credentials(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert "Bearer" in response["WWW-Authenticate"]
    assert "token" in response.json()["detail"]


def test_me_describes_the_membership(client, db):
    reader = make_reader("trial")
    data = client.get("/api/v1/me", **bearer(reader)).json()
    assert data["email"] == reader.email
    assert data["membership"]["state"] == "trialing"
    assert data["membership"]["full_access"] is True
    assert data["membership"]["description"].startswith("Free trial:")


def test_me_survives_an_unknown_time_zone(client, db):
    reader = make_reader("trial")
    reader.time_zone = "Mars/Olympus_Mons"
    reader.save()
    assert client.get("/api/v1/me", **bearer(reader)).status_code == 200


def test_me_for_an_expired_member(client, db):
    reader = make_reader("expired")
    data = client.get("/api/v1/me", **bearer(reader)).json()
    assert data["membership"]["full_access"] is False
    assert data["membership"]["state"] == "expired"


def test_a_wrong_token_is_401_not_a_visitor(client, articles):
    response = client.get("/api/v1/articles", HTTP_AUTHORIZATION="Bearer bs_nope")
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]
    other_scheme = client.get("/api/v1/articles", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert other_scheme.status_code == 401


def test_an_expired_token_stops_working(client, db):
    reader = make_reader("active")
    headers = bearer(reader, expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me", **headers).status_code == 401


def test_a_deactivated_account_token_stops_working(client, db):
    reader = make_reader("active")
    headers = bearer(reader)
    reader.is_active = False
    reader.save()
    assert client.get("/api/v1/me", **headers).status_code == 401


def test_tokens_are_stored_hashed(db):
    reader = make_reader("trial")
    issued = issue_token(reader, name="phone")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert stored.key_hash == hash_secret(issued.secret)
    assert issued.secret not in (stored.key_hash, stored.prefix, stored.name)
    assert user_for_token(issued.secret, ApiToken.Kind.API) == reader
    assert user_for_token(issued.secret, ApiToken.Kind.FEED) is None


def test_creating_a_token_from_the_session_needs_csrf(db):
    reader = make_reader("trial")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader)
    refused = browser.post("/api/v1/tokens", {"name": "phone"}, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    browser.get("/api/v1/me")  # any page; then take the cookie the way a page's script does
    browser.cookies.load({"csrftoken": "a" * 32})
    made = browser.post("/api/v1/tokens", {"name": "phone"}, content_type="application/json",
                        HTTP_X_CSRFTOKEN="a" * 32)
    assert made.status_code == 201, made.content
    secret = made.json()["token"]
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").json()["email"] \
        == reader.email


def test_tokens_cannot_mint_tokens(client, db):
    reader = make_reader("trial")
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json",
                           **bearer(reader))
    assert response.status_code == 403


def test_list_and_revoke_tokens(client, db):
    reader = make_reader("trial")
    issued = issue_token(reader, name="tablet")
    client.force_login(reader)
    listed = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["tablet"]
    assert "token" not in listed[0]
    assert client.delete(f"/api/v1/tokens/{issued.token.pk}").status_code == 204
    assert user_for_token(issued.secret, ApiToken.Kind.API) is None
    assert client.delete(f"/api/v1/tokens/{issued.token.pk}").status_code == 404


def test_someone_elses_token_cannot_be_revoked(client, db):
    owner, other = make_reader("trial"), make_reader("trial")
    issued = issue_token(owner)
    client.force_login(other)
    assert client.delete(f"/api/v1/tokens/{issued.token.pk}").status_code == 404
    assert user_for_token(issued.secret, ApiToken.Kind.API) == owner


def test_a_feed_token_gives_a_private_feed_address(client, db):
    reader = make_reader("trial")
    client.force_login(reader)
    made = client.post("/api/v1/tokens", {"kind": "feed"}, content_type="application/json")
    assert made.status_code == 201
    assert "/feeds/private/" in made.json()["feed_url"]
    assert client.get(urlsplit(made.json()["feed_url"]).path).status_code == 200


def test_openapi_document_and_docs_page(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/articles" in schema["paths"]
    assert "/api/v1/articles/{article_id}" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_password_is_not_an_api_credential(client, db):
    make_reader("trial")
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {PASSWORD}")
    assert response.status_code == 401
