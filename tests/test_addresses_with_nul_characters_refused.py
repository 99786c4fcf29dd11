"""An address with a NUL character (%00) is answered 400 with a clear message everywhere, on
both databases: PostgreSQL would refuse it inside a query and the answer would be a 500."""

from __future__ import annotations

import pytest
from api_support import make_article, make_publisher

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("address", [
    "/api/v1/publishers?country=%00&language=en",
    "/api/v1/search?q=harbour%00",
    "/api/v1/articles?publisher=%00",
    "/search?q=%00",
    "/feeds/search.xml?q=tide%00",
    "/reader/api/0/stream/contents/feed%2F1%00",
])
def test_a_nul_character_in_an_address_is_a_clear_400(client, address):
    make_article(make_publisher(), 1)
    answer = client.get(address)
    assert answer.status_code == 400, answer.content[:300]
    assert b"NUL character" in answer.content


def test_ordinary_addresses_are_untouched(client):
    make_article(make_publisher(), 1)
    assert client.get("/api/v1/publishers?country=gb").status_code == 200
    assert client.get("/search?q=harbour%20tide").status_code == 200
