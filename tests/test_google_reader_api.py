"""Google Reader API: an app signs in, lists subscriptions, syncs items, marks read and starred.

Requests follow the order FreshRSS-compatible apps use: ClientLogin, token, tag/list,
subscription/list, stream/items/ids, stream/items/contents, edit-tag.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from api_support import PASSWORD, expire, make_article, make_publisher, make_reader, marker
from django.core.cache import cache

from broadsheet.api.greader import BadRequest, long_item_id, parse_item_id, streams
from broadsheet.readers.models import Follow, ReadingHistory, SavedArticle

READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"


def test_item_ids_long_short_and_hex():
    assert long_item_id(255) == "tag:google.com,2005:reader/item/00000000000000ff"
    assert parse_item_id("tag:google.com,2005:reader/item/00000000000000ff") == 255
    assert parse_item_id("255") == 255
    assert parse_item_id("00000000000000ff") == 255
    with pytest.raises(BadRequest):
        parse_item_id("tag:google.com,2005:reader/item/zz")


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    gazette = make_publisher("The Harbour Gazette", "World")
    courier = make_publisher("Valley Courier", "Sport")
    articles = [make_article(gazette, n) for n in range(1, 4)]
    articles.append(make_article(courier, 4, section="Sport"))
    reader = make_reader("trial", "reeder@example.com")
    return {"gazette": gazette, "courier": courier, "articles": articles, "reader": reader}


def login(client, email="reeder@example.com", password=PASSWORD) -> dict:
    response = client.post("/accounts/ClientLogin", {"Email": email, "Passwd": password})
    assert response.status_code == 200, response.content
    lines = dict(line.split("=", 1) for line in response.content.decode().split())
    return {"HTTP_AUTHORIZATION": f"GoogleLogin auth={lines['Auth']}"}


def test_client_login_answers_sid_lsid_auth(client, world):
    response = client.post("/accounts/ClientLogin", {"Email": "reeder@example.com",
                                                     "Passwd": PASSWORD})
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    assert body.startswith("SID=") and "\nLSID=" in body and "\nAuth=" in body


def test_client_login_json_output(client, world):
    response = client.post("/accounts/ClientLogin", {"Email": "reeder@example.com",
                                                     "Passwd": PASSWORD, "output": "json"})
    assert set(response.json()) == {"SID", "LSID", "Auth"}


def test_wrong_password_is_bad_authentication(client, world):
    response = client.post("/accounts/ClientLogin", {"Email": "reeder@example.com",
                                                     "Passwd": "wrong"})
    assert response.status_code == 401
    assert response.content.decode() == "Error=BadAuthentication"


def test_client_login_takes_the_password_only_in_a_post_body(client, world):
    response = client.get("/accounts/ClientLogin", {"Email": "reeder@example.com",
                                                    "Passwd": PASSWORD})
    assert response.status_code == 405
    assert "Auth=" not in response.content.decode()


def test_client_login_email_is_case_insensitive(client, world):
    assert login(client, email="Reeder@Example.COM")


def test_client_login_is_throttled_like_sign_in(client, world):
    for _ in range(5):
        client.post("/accounts/ClientLogin", {"Email": "reeder@example.com", "Passwd": "no"})
    response = client.post("/accounts/ClientLogin", {"Email": "reeder@example.com",
                                                     "Passwd": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


def test_every_endpoint_needs_the_auth_header(client, world):
    for path in ("/reader/api/0/token", "/reader/api/0/user-info",
                 "/reader/api/0/subscription/list", "/reader/api/0/tag/list",
                 "/reader/api/0/unread-count", f"/reader/api/0/stream/contents/{READING_LIST}",
                 "/reader/api/0/stream/items/ids?s=" + READING_LIST):
        assert client.get(path).status_code == 401, path
        bad = client.get(path, HTTP_AUTHORIZATION="GoogleLogin auth=bs_nope")
        assert bad.status_code == 401, path
    assert client.post("/reader/api/0/edit-tag", {"i": "1", "a": READ}).status_code == 401


def test_token_and_user_info(client, world):
    auth = login(client)
    assert client.get("/reader/api/0/token", **auth).content
    info = client.get("/reader/api/0/user-info", **auth).json()
    assert info["userEmail"] == "reeder@example.com"
    assert info["userId"] == str(world["reader"].pk)


def test_subscriptions_are_followed_publishers_with_section_categories(client, world):
    Follow.objects.create(user=world["reader"], kind=Follow.Kind.PUBLISHER,
                          publisher=world["courier"])
    auth = login(client)
    subscriptions = client.get("/reader/api/0/subscription/list?output=json", **auth).json()
    [only] = subscriptions["subscriptions"]
    assert only["id"] == f"feed/{world['courier'].pk}"
    assert only["title"] == "Valley Courier"
    assert only["categories"] == [{"id": "user/-/label/Sport", "label": "Sport"}]
    assert only["url"].endswith("/feeds/publication/valley-courier.xml")
    tags = client.get("/reader/api/0/tag/list?output=json", **auth).json()["tags"]
    assert {"id": STARRED} in tags
    assert {"id": "user/-/label/Sport", "type": "folder"} in tags


def test_following_nothing_subscribes_to_every_publisher(client, world):
    auth = login(client)
    subscriptions = client.get("/reader/api/0/subscription/list", **auth).json()
    assert [s["title"] for s in subscriptions["subscriptions"]] == ["The Harbour Gazette",
                                                                     "Valley Courier"]


def test_subscribe_and_unsubscribe_from_an_app(client, world):
    auth = login(client)
    stream = f"feed/{world['gazette'].pk}"
    assert client.post("/reader/api/0/subscription/edit", {"ac": "subscribe", "s": stream},
                       **auth).content == b"OK"
    assert Follow.objects.filter(user=world["reader"], publisher=world["gazette"]).exists()
    client.post("/reader/api/0/subscription/edit", {"ac": "unsubscribe", "s": stream}, **auth)
    assert not Follow.objects.filter(user=world["reader"]).exists()


def test_reading_list_items_in_google_reader_form(client, world):
    auth = login(client)
    data = client.get(f"/reader/api/0/stream/contents/{READING_LIST}?n=2", **auth).json()
    assert data["id"] == READING_LIST
    newest = world["articles"][3]
    first = data["items"][0]
    assert first["id"] == long_item_id(newest.pk)
    assert first["title"] == newest.title
    assert first["origin"]["streamId"] == f"feed/{world['courier'].pk}"
    assert first["timestampUsec"] == str(int(newest.published_at.timestamp() * 1_000_000))
    assert "user/-/label/Sport" in first["categories"]
    assert first["alternate"][0]["href"].endswith(f"/article/{newest.pk}/"
                                                 "record-tide-number-4-floods-the-harbour/")
    assert marker(4) in first["summary"]["content"]  # a trial member reads in full
    assert "continuation" in data
    rest = client.get(f"/reader/api/0/stream/contents/{READING_LIST}",
                      {"n": 10, "c": data["continuation"]}, **auth).json()
    assert [i["id"] for i in rest["items"]] == [long_item_id(a.pk)
                                                for a in reversed(world["articles"][:2])]
    assert "continuation" not in rest


def test_oldest_first_and_time_window(client, world):
    auth = login(client)
    articles = world["articles"]
    oldest = client.get("/reader/api/0/stream/contents/" + READING_LIST, {"r": "o", "n": 1},
                        **auth).json()
    assert oldest["items"][0]["id"] == long_item_id(articles[0].pk)
    since = int(articles[2].published_at.timestamp())
    recent = client.get("/reader/api/0/stream/contents/" + READING_LIST, {"ot": since},
                        **auth).json()
    assert {i["id"] for i in recent["items"]} == {long_item_id(a.pk) for a in articles[2:]}


def test_feed_and_label_streams(client, world):
    auth = login(client)
    feed = client.get(f"/reader/api/0/stream/contents/feed/{world['courier'].pk}",
                      **auth).json()
    assert [i["title"] for i in feed["items"]] == [world["articles"][3].title]
    label = client.get("/reader/api/0/stream/contents/user/-/label/World", **auth).json()
    assert len(label["items"]) == 3
    by_user_id = client.get(f"/reader/api/0/stream/contents/user/{world['reader'].pk}"
                            "/label/World", **auth).json()
    assert len(by_user_id["items"]) == 3


def test_unknown_stream_is_a_clear_error(client, world):
    auth = login(client)
    response = client.get("/reader/api/0/stream/contents/user/-/state/com.google/nope", **auth)
    assert response.status_code == 400
    assert "Unknown stream" in response.content.decode()


def test_sync_ids_then_contents_then_mark_read(client, world):
    auth = login(client)
    ids = client.get("/reader/api/0/stream/items/ids",
                     {"s": READING_LIST, "xt": READ, "n": 1000}, **auth).json()["itemRefs"]
    assert len(ids) == 4 and ids[0]["id"] == str(world["articles"][3].pk)
    contents = client.post("/reader/api/0/stream/items/contents",
                           {"i": [ids[0]["id"], long_item_id(world["articles"][0].pk)]},
                           **auth).json()["items"]
    assert [c["id"] for c in contents] == [long_item_id(world["articles"][3].pk),
                                           long_item_id(world["articles"][0].pk)]
    marked = client.post("/reader/api/0/edit-tag", {"i": ids[0]["id"], "a": READ}, **auth)
    assert marked.content == b"OK"
    history = ReadingHistory.objects.get(user=world["reader"])
    assert history.article_id == world["articles"][3].pk and history.full is True
    unread = client.get("/reader/api/0/stream/items/ids",
                        {"s": READING_LIST, "xt": READ}, **auth).json()["itemRefs"]
    assert len(unread) == 3
    again = client.post("/reader/api/0/stream/items/contents", {"i": ids[0]["id"]},
                        **auth).json()["items"][0]
    assert READ in again["categories"]


def test_an_article_an_editor_hid_leaves_apps_too(client, world):
    from broadsheet.curation import desk
    from broadsheet.readers.models import User

    auth = login(client)
    hidden = world["articles"][0]
    editor = User.objects.create_user("desk@example.com", "x", is_staff=True)
    desk.set_article_hidden(editor, hidden, True)
    contents = client.post("/reader/api/0/stream/items/contents",
                           {"i": [str(hidden.pk), str(world["articles"][1].pk)]},
                           **auth).json()["items"]
    assert [c["id"] for c in contents] == [long_item_id(world["articles"][1].pk)]
    ids = client.get("/reader/api/0/stream/items/ids", {"s": READING_LIST}, **auth).json()
    assert str(hidden.pk) not in {ref["id"] for ref in ids["itemRefs"]}


def test_mark_unread_removes_the_reading(client, world):
    auth = login(client)
    item = long_item_id(world["articles"][0].pk)
    client.post("/reader/api/0/edit-tag", {"i": item, "a": READ}, **auth)
    client.post("/reader/api/0/edit-tag", {"i": item, "r": READ}, **auth)
    assert not ReadingHistory.objects.filter(user=world["reader"]).exists()


def test_star_is_save(client, world):
    auth = login(client)
    article = world["articles"][1]
    client.post("/reader/api/0/edit-tag", {"i": str(article.pk), "a": STARRED}, **auth)
    assert SavedArticle.objects.filter(user=world["reader"], article=article).exists()
    starred = client.get(f"/reader/api/0/stream/contents/{STARRED}", **auth).json()["items"]
    assert [s["id"] for s in starred] == [long_item_id(article.pk)]
    assert STARRED in starred[0]["categories"]
    client.post("/reader/api/0/edit-tag", {"i": str(article.pk), "r": STARRED}, **auth)
    assert not SavedArticle.objects.filter(user=world["reader"]).exists()


def test_edit_tag_needs_post(client, world):
    auth = login(client)
    response = client.get("/reader/api/0/edit-tag", {"i": "1", "a": READ}, **auth)
    assert response.status_code == 405


def test_unread_counts_and_mark_all_as_read(client, world):
    auth = login(client)
    counts = {c["id"]: c["count"] for c in
              client.get("/reader/api/0/unread-count", **auth).json()["unreadcounts"]}
    assert counts[READING_LIST] == 4
    assert counts[f"feed/{world['gazette'].pk}"] == 3
    assert counts["user/-/label/Sport"] == 1
    cutoff = int(world["articles"][1].published_at.timestamp() * 1_000_000)
    response = client.post("/reader/api/0/mark-all-as-read",
                           {"s": f"feed/{world['gazette'].pk}", "ts": cutoff}, **auth)
    assert response.content == b"OK"
    marked = ReadingHistory.objects.filter(user=world["reader"])
    assert {h.article_id for h in marked} == {a.pk for a in world["articles"][:2]}
    assert not any(h.full for h in marked)  # catching up is not reading
    counts = {c["id"]: c["count"] for c in
              client.get("/reader/api/0/unread-count", **auth).json()["unreadcounts"]}
    assert counts[READING_LIST] == 2


def test_expired_member_app_gets_teasers(client, world):
    auth = login(client)
    expire(world["reader"])
    items = client.get(f"/reader/api/0/stream/contents/{READING_LIST}", **auth).json()["items"]
    content = " ".join(i["summary"]["content"] + i["content"]["content"] for i in items)
    assert all(marker(n) not in content for n in range(1, 5))
    assert "Sign up to read this article" in items[0]["summary"]["content"]
    # Marking read while expired records a teaser reading, not a full one.
    client.post("/reader/api/0/edit-tag", {"i": str(world["articles"][0].pk), "a": READ},
                **auth)
    assert ReadingHistory.objects.get(user=world["reader"]).full is False


def test_old_app_logins_are_pruned(client, world):
    from broadsheet.api.models import ApiToken

    for _ in range(12):
        login(client)
    assert ApiToken.objects.filter(user=world["reader"], kind="greader").count() == 10


def test_items_use_publication_time_for_timestamps(client, db):
    publisher = make_publisher()
    make_reader("active", "reeder@example.com")
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    make_article(publisher, 9, published_at=moment)
    auth = login(client)
    [only] = client.get(f"/reader/api/0/stream/contents/{READING_LIST}", **auth).json()["items"]
    assert only["published"] == int(moment.timestamp())


@pytest.mark.parametrize("few_marks", [1000, 1])
def test_saved_and_read_streams_for_few_marks_and_many(client, world, monkeypatch, few_marks):
    """A reader's few marks are read from their own table, many by asking each article; the
    streams hold the same items either way."""
    monkeypatch.setattr(streams, "FEW_MARKS", few_marks)
    auth = login(client)
    first, second, third, fourth = world["articles"]
    for article in (first, third):
        client.post("/reader/api/0/edit-tag", {"i": str(article.pk), "a": STARRED}, **auth)
    for article in (second, third):
        client.post("/reader/api/0/edit-tag", {"i": str(article.pk), "a": READ}, **auth)

    def ids(stream: str, **query) -> list[int]:
        refs = client.get("/reader/api/0/stream/items/ids", {"s": stream, **query},
                          **auth).json()["itemRefs"]
        return [int(ref["id"]) for ref in refs]

    assert ids(STARRED) == [third.pk, first.pk]
    assert ids(READ) == [third.pk, second.pk]
    assert ids(READING_LIST, it=STARRED, xt=READ) == [first.pk]
    assert ids(READING_LIST, xt=READ) == [fourth.pk, first.pk]


def test_unread_counts_cover_the_newest_unread_and_leave_hidden_ones_out(client, world,
                                                                         monkeypatch):
    """Counted over the reader's newest unread articles (10,000; two here), as apps show
    them: an article an editor hid is not among them."""
    from broadsheet.api.greader import subscriptions
    from broadsheet.curation import desk
    from broadsheet.readers.models import User

    monkeypatch.setattr(subscriptions, "MAX_ID_ITEMS", 2)
    auth = login(client)
    editor = User.objects.create_user("desk@example.com", "x", is_staff=True)
    desk.set_article_hidden(editor, world["articles"][3], True)  # the newest, the only Sport
    counts = {c["id"]: c["count"] for c in
              client.get("/reader/api/0/unread-count", **auth).json()["unreadcounts"]}
    assert counts == {READING_LIST: 2, f"feed/{world['gazette'].pk}": 2,
                      "user/-/label/World": 2}
