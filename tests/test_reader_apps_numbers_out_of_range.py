"""A Reader API client that sends a number no article, time or key can be (an item id of 23
digits, a time of 30 or 40) gets a clear 400 and nothing changes, on either database."""

from __future__ import annotations

import pytest
from api_support import PASSWORD, make_article, make_publisher, make_reader

from broadsheet.readers.models import ReadingHistory, SavedArticle

READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
HUGE_ID = "9" * 23


@pytest.fixture
def auth(client, db) -> dict:
    make_article(make_publisher("The Harbour Gazette", "World"), 1)
    make_reader("trial", "reeder@example.com")
    answer = client.post("/accounts/ClientLogin",
                         {"Email": "reeder@example.com", "Passwd": PASSWORD})
    token = dict(line.split("=", 1) for line in answer.content.decode().split())["Auth"]
    return {"HTTP_AUTHORIZATION": f"GoogleLogin auth={token}"}


@pytest.mark.parametrize(("method", "path", "data"), [
    ("post", "/reader/api/0/edit-tag", {"i": HUGE_ID, "a": READ}),
    ("post", "/reader/api/0/edit-tag", {"i": "tag:google.com,2005:reader/item/" + "f" * 20,
                                        "a": "user/-/state/com.google/starred"}),
    ("post", "/reader/api/0/stream/items/contents", {"i": HUGE_ID}),
    ("get", "/reader/api/0/stream/contents/" + READING_LIST, {"ot": "9" * 30}),
    ("get", "/reader/api/0/stream/contents/" + READING_LIST, {"nt": "9" * 30}),
    ("get", "/reader/api/0/stream/items/ids", {"s": READING_LIST, "ot": "9" * 30}),
    ("get", "/api/greader/reader/atom/" + READING_LIST, {"nt": "9" * 30}),
    ("post", "/reader/api/0/mark-all-as-read", {"s": READING_LIST, "ts": "9" * 40}),
])
def test_numbers_out_of_range_are_a_clear_400(client, auth, method, path, data):
    answer = getattr(client, method)(path, data, **auth)
    assert answer.status_code == 400, answer.content[:300]
    assert answer.content.strip(), "the 400 says what was wrong"
    assert not ReadingHistory.objects.exists() and not SavedArticle.objects.exists()
