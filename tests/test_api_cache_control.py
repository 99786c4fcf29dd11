"""API answers that carry full text (or anything personal) are never kept by shared caches."""

from __future__ import annotations

import pytest
from pages_fixtures import make_article, make_reader

from broadsheet.api.auth import issue_token

pytestmark = pytest.mark.django_db

MEMBERS_ONLY = "The third paragraph is only for members"



def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def test_full_text_over_a_session_is_private_no_store(client):
    article = make_article()
    client.force_login(make_reader())
    response = client.get(f"/api/v1/articles/{article.pk}")
    assert MEMBERS_ONLY in response.json()["text"]
    assert {"private", "no-store"} <= directives(response)


def test_full_text_over_a_token_is_private_no_store(client):
    article = make_article()
    secret = issue_token(make_reader()).secret
    auth = {"Authorization": f"Bearer {secret}"}
    for path in (f"/api/v1/articles/{article.pk}", "/api/v1/articles",
                 "/api/v1/search?q=paragraph", "/api/v1/me"):
        response = client.get(path, headers=auth)
        assert response.status_code == 200, path
        assert {"private", "no-store"} <= directives(response), path
        assert "public" not in directives(response), path
    assert MEMBERS_ONLY in client.get(f"/api/v1/articles/{article.pk}", headers=auth).json()["text"]


def test_a_visitors_teaser_is_not_marked_no_store(client):
    article = make_article()
    response = client.get(f"/api/v1/articles/{article.pk}")
    assert MEMBERS_ONLY not in response.json()["text"]
    assert "no-store" not in directives(response)


def test_a_refused_token_is_not_stored_either(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer bs_not-a-token"})
    assert response.status_code == 401
    assert "no-store" in directives(response)
