"""An app built from /api/v1/openapi.json can trust it: every operation the document lists is
called against a small seeded store (successes and the errors a client can provoke: 400, 401,
403, 404, 410, 422, 429, 301), and every answer is checked against the document with
openapi-core: its status is declared, and its body matches the declared schema. An operation
added to the API without being walked here fails the test."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from api_support import make_article, make_publisher, make_reader
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.testing import MockRequest, MockResponse
from story_support import make_story

from broadsheet.api.auth import issue_token
from broadsheet.articles.models import Takedown
from broadsheet.curation import picks
from broadsheet.readers.models import Follow, ReadingHistory, SavedArticle
from broadsheet.stories.models import Story, StoryTopic, Topic

pytestmark = pytest.mark.django_db
BAD_TOKEN = "bs_not-a-token-anyone-was-given"


@dataclass
class Call:
    method: str
    template: str  # the path as the document names it
    status: int
    path: str = ""  # the concrete path, when it has parameters
    who: str = ""  # "" visitor, member, editor, session (the member signed in), bad (a token
    # that is not valid)
    query: dict = field(default_factory=dict)
    body: dict | None = None
    raw: tuple[str, bytes] | None = None  # (content type, body) for a body that is not JSON

    @property
    def operation(self) -> tuple[str, str]:
        return self.method, self.template


@dataclass
class Store:
    member_token: str
    editor_token: str
    member: object
    calls: list[Call]


def seed() -> Store:
    """A publisher with articles in a story with a topic, a merged story and topic, a pick, a
    taken-down article, a member with a saved article, a read and a follow, and an editor."""
    publisher = make_publisher()
    now = timezone.now()
    articles = [make_article(publisher, n, published_at=now - timedelta(hours=n))
                for n in range(1, 4)]
    story = make_story(articles[:2], score=2.0)
    gone = make_story([articles[2]])
    Story.objects.filter(pk=gone.pk).update(merged_into=story)
    topic = Topic.objects.create(slug="harbour", name="Harbour", kind="subject")
    Topic.objects.create(slug="the-harbour", name="The harbour", kind="subject",
                         merged_into=topic)
    StoryTopic.objects.create(story=story, topic=topic, weight=1.0,
                              last_published_at=story.last_published_at)
    removed = make_article(publisher, 9)
    Takedown.objects.create(article_id=removed.pk, canonical_url=removed.canonical_url,
                            title=removed.title, reason="legal")
    removed_id = removed.pk
    removed.delete()
    member, editor = make_reader("active"), make_reader("active")
    editor.is_staff = True
    editor.save(update_fields=["is_staff"])
    pick = picks.create(editor, story=story, note="The harbour")
    spare_pick = picks.create(editor, article=articles[1])
    SavedArticle.objects.create(user=member, article=articles[0])
    SavedArticle.objects.create(user=member, article=articles[1])
    ReadingHistory.objects.create(user=member, article=articles[0], read_at=now, full=True)
    ReadingHistory.objects.create(user=member, article=articles[1], read_at=now, full=False)
    follow = Follow.objects.create(user=member, kind="publisher", publisher=publisher)
    Follow.objects.create(user=member, kind="topic", topic="harbour")
    spare_token = issue_token(member, name="old laptop").token
    ids = {"a": articles[0].pk, "b": articles[1].pk, "c": articles[2].pk, "follow": follow.pk,
           "removed": removed_id, "story": story.pk,
           "gone": gone.pk, "pick": pick.pk, "spare_pick": spare_pick.pk,
           "token": spare_token.pk, "publisher": publisher.slug}
    return Store(issue_token(member, name="app").secret, issue_token(editor, name="desk").secret,
                 member, walk(ids))


def walk(ids: dict) -> list[Call]:
    """Every operation, in an order that leaves each call the state it needs."""
    a, b, gone_id = ids["a"], ids["b"], ids["removed"]
    return [
        Call("GET", "/api/v1/articles", 200),
        Call("GET", "/api/v1/articles", 200, who="member", query={"limit": 1}),
        Call("GET", "/api/v1/articles", 400, query={"cursor": "not a cursor"}),
        Call("GET", "/api/v1/articles", 401, who="bad"),
        Call("GET", "/api/v1/articles", 422, query={"limit": 0}),
        Call("GET", "/api/v1/articles", 404, query={"publisher": "nobody"}),
        Call("GET", "/api/v1/articles/{article_id}", 200, f"/api/v1/articles/{a}"),
        Call("GET", "/api/v1/articles/{article_id}", 200, f"/api/v1/articles/{a}", "member"),
        Call("GET", "/api/v1/articles/{article_id}", 404, "/api/v1/articles/999999"),
        Call("GET", "/api/v1/articles/{article_id}", 410, f"/api/v1/articles/{gone_id}"),
        Call("GET", "/api/v1/publishers", 200),
        Call("GET", "/api/v1/publishers/{key}", 200, f"/api/v1/publishers/{ids['publisher']}"),
        Call("GET", "/api/v1/publishers/{key}", 404, "/api/v1/publishers/nobody"),
        Call("GET", "/api/v1/sections", 200),
        Call("GET", "/api/v1/search", 200, query={"q": "tide"}),
        Call("GET", "/api/v1/search", 200, who="member", query={"q": "harbour"}),
        Call("GET", "/api/v1/search", 422),
        Call("GET", "/api/v1/search", 404, query={"q": "tide", "publisher": "nobody"}),
        Call("GET", "/api/v1/me", 200, who="member"),
        Call("GET", "/api/v1/me", 401),
        Call("PATCH", "/api/v1/me", 200, who="member",
             body={"briefing": {"enabled": True, "hour": 7, "time_zone": "Europe/London"}}),
        Call("PATCH", "/api/v1/me", 422, who="member", body={"briefing": {"hour": 25}}),
        Call("PATCH", "/api/v1/me", 401, body={}),
        Call("POST", "/api/v1/me/membership/resume", 409, who="member"),
        Call("POST", "/api/v1/me/membership/cancel", 200, who="member"),
        Call("POST", "/api/v1/me/membership/cancel", 409, who="member"),
        Call("POST", "/api/v1/me/membership/resume", 200, who="member"),
        Call("POST", "/api/v1/me/membership/cancel", 401),
        Call("POST", "/api/v1/tokens", 201, who="session", body={"name": "phone"}),
        Call("POST", "/api/v1/tokens", 403, who="member", body={"name": "phone"}),
        Call("POST", "/api/v1/tokens", 422, who="session", body={"kind": "nonsense"}),
        Call("POST", "/api/v1/tokens", 401, body={}),
        Call("GET", "/api/v1/tokens", 200, who="member"),
        Call("GET", "/api/v1/tokens", 401),
        Call("DELETE", "/api/v1/tokens/{token_id}", 403, f"/api/v1/tokens/{ids['token']}",
             "member"),
        Call("DELETE", "/api/v1/tokens/{token_id}", 204, f"/api/v1/tokens/{ids['token']}",
             "session"),
        Call("DELETE", "/api/v1/tokens/{token_id}", 404, f"/api/v1/tokens/{ids['token']}",
             "session"),
        Call("GET", "/api/v1/stories/top", 200),
        Call("GET", "/api/v1/stories/top", 422, query={"limit": 0}),
        Call("GET", "/api/v1/stories/{story_id}", 200, f"/api/v1/stories/{ids['story']}"),
        Call("GET", "/api/v1/stories/{story_id}", 301, f"/api/v1/stories/{ids['gone']}"),
        Call("GET", "/api/v1/stories/{story_id}", 404, "/api/v1/stories/999999"),
        Call("GET", "/api/v1/topics/{slug}", 200, "/api/v1/topics/harbour", "member"),
        Call("GET", "/api/v1/topics/{slug}", 301, "/api/v1/topics/the-harbour"),
        Call("GET", "/api/v1/topics/{slug}", 404, "/api/v1/topics/nothing"),
        Call("GET", "/api/v1/picks", 200),
        Call("GET", "/api/v1/picks", 422, query={"section": "no-such-section"}),
        Call("POST", "/api/v1/picks", 201, who="editor", body={"article_id": a}),
        Call("POST", "/api/v1/picks", 403, who="member", body={"article_id": a}),
        Call("POST", "/api/v1/picks", 422, who="editor", body={}),
        Call("POST", "/api/v1/picks", 401, body={"article_id": a}),
        Call("PATCH", "/api/v1/picks/{pick_id}", 200, f"/api/v1/picks/{ids['pick']}", "editor",
             body={"note": "Every outlet on the storm"}),
        Call("PATCH", "/api/v1/picks/{pick_id}", 422, f"/api/v1/picks/{ids['pick']}", "editor",
             body={"position": 0}),
        Call("PATCH", "/api/v1/picks/{pick_id}", 404, "/api/v1/picks/999999", "editor",
             body={}),
        Call("DELETE", "/api/v1/picks/{pick_id}", 403, f"/api/v1/picks/{ids['spare_pick']}",
             "member"),
        Call("DELETE", "/api/v1/picks/{pick_id}", 204, f"/api/v1/picks/{ids['spare_pick']}",
             "editor"),
        Call("DELETE", "/api/v1/picks/{pick_id}", 404, f"/api/v1/picks/{ids['spare_pick']}",
             "editor"),
        Call("POST", "/api/v1/reads", 201, who="member", body={"article_id": a, "seconds": 40}),
        Call("POST", "/api/v1/reads", 200, who="member", body={"article_id": a, "seconds": 90}),
        Call("POST", "/api/v1/reads", 404, who="member", body={"article_id": 999999,
                                                               "seconds": 5}),
        Call("POST", "/api/v1/reads", 410, who="member", body={"article_id": gone_id,
                                                               "seconds": 5}),
        Call("POST", "/api/v1/reads", 422, who="member", body={"article_id": a, "seconds": -1}),
        Call("POST", "/api/v1/reads", 401, body={"article_id": a, "seconds": 5}),
        Call("GET", "/api/v1/for-you", 200, who="member"),
        Call("GET", "/api/v1/for-you", 422, who="member", query={"limit": 0}),
        Call("GET", "/api/v1/for-you", 401),
        Call("POST", "/api/v1/for-you/fewer", 200, who="member", body={"section": "world"}),
        Call("POST", "/api/v1/for-you/fewer", 422, who="member", body={}),
        Call("GET", "/api/v1/for-you/profile", 200, who="member"),
        Call("DELETE", "/api/v1/for-you/profile/{kind}/{slug}", 204,
             "/api/v1/for-you/profile/section/world", "member"),
        Call("DELETE", "/api/v1/for-you/profile/{kind}/{slug}", 404,
             "/api/v1/for-you/profile/section/world", "member"),
        Call("DELETE", "/api/v1/for-you/profile", 204, who="member"),
        Call("GET", "/api/v1/saved", 200, who="member", query={"limit": 1}),
        Call("GET", "/api/v1/saved", 400, who="member", query={"cursor": "x"}),
        Call("GET", "/api/v1/saved", 401),
        Call("PUT", "/api/v1/saved/{article_id}", 200, f"/api/v1/saved/{a}", "member"),
        Call("PUT", "/api/v1/saved/{article_id}", 201, f"/api/v1/saved/{ids['c']}",
             "member"),
        Call("PUT", "/api/v1/saved/{article_id}", 404, "/api/v1/saved/999999", "member"),
        Call("PUT", "/api/v1/saved/{article_id}", 410, f"/api/v1/saved/{gone_id}", "member"),
        Call("DELETE", "/api/v1/saved/{article_id}", 204, f"/api/v1/saved/{a}", "member"),
        Call("DELETE", "/api/v1/saved/{article_id}", 404, f"/api/v1/saved/{a}", "member"),
        Call("GET", "/api/v1/history", 200, who="member", query={"limit": 1}),
        Call("GET", "/api/v1/history", 400, who="member", query={"cursor": "x"}),
        Call("DELETE", "/api/v1/history/{article_id}", 204, f"/api/v1/history/{b}", "member"),
        Call("DELETE", "/api/v1/history/{article_id}", 404, f"/api/v1/history/{b}", "member"),
        Call("DELETE", "/api/v1/history", 204, who="member"),
        Call("DELETE", "/api/v1/history", 401),
        Call("GET", "/api/v1/follows", 200, who="member", query={"limit": 1}),
        Call("GET", "/api/v1/follows", 200, who="member", query={"kind": "topic"}),
        Call("GET", "/api/v1/follows", 400, who="member", query={"cursor": "x"}),
        Call("GET", "/api/v1/follows", 422, who="member", query={"kind": "person"}),
        Call("POST", "/api/v1/follows", 201, who="member", body={"section": "world"}),
        Call("POST", "/api/v1/follows", 200, who="member", body={"section": "world"}),
        Call("POST", "/api/v1/follows", 201, who="member", body={"topic": "sea walls"}),
        Call("POST", "/api/v1/follows", 422, who="member", body={"publisher": "nobody"}),
        Call("POST", "/api/v1/follows", 401, body={"section": "world"}),
        Call("GET", "/api/v1/follows/latest", 200, who="member"),
        Call("GET", "/api/v1/follows/latest", 401),
        Call("DELETE", "/api/v1/follows/{follow_id}", 204, f"/api/v1/follows/{ids['follow']}",
             "member"),
        Call("DELETE", "/api/v1/follows/{follow_id}", 404, f"/api/v1/follows/{ids['follow']}",
             "member"),
        Call("GET", "/api/v1/opml", 200, who="member"),
        Call("GET", "/api/v1/opml", 401),
        Call("POST", "/api/v1/opml", 200, who="member", raw=("text/x-opml", OPML)),
        Call("POST", "/api/v1/opml", 400, who="member", raw=("text/x-opml", b"<not opml")),
        Call("POST", "/api/v1/opml", 401, raw=("text/x-opml", OPML)),
    ]


OPML = (b'<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>'
        b'<outline text="Harbour" title="Harbour" type="rss" '
        b'xmlUrl="https://elsewhere.example/harbour.xml"/></body></opml>')


def document(client: Client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def checker(doc: dict) -> OpenAPI:
    """openapi-core for this document; an OPML body is text to check against its schema."""
    def text(data: bytes | str, **_params: str) -> str:
        return data.decode("utf-8") if isinstance(data, bytes) else data

    opml_as_text = {"text/x-opml": text}
    return OpenAPI.from_dict(doc, config=Config(extra_media_type_deserializers=opml_as_text))


def send(client: Client, store: Store, call: Call):
    headers = {}
    if call.who in ("member", "editor", "bad"):
        secret = {"member": store.member_token, "editor": store.editor_token,
                  "bad": BAD_TOKEN}[call.who]
        headers["Authorization"] = f"Bearer {secret}"
    if call.who == "session":
        client.force_login(store.member)
    path = call.path or call.template
    try:
        query = {"QUERY_STRING": urlencode(call.query)}
        if call.raw is not None:
            return client.generic(call.method, path, data=call.raw[1],
                                  content_type=call.raw[0], headers=headers, **query)
        if call.body is None:
            return client.generic(call.method, path, headers=headers, **query)
        return client.generic(call.method, path, data=json.dumps(call.body),
                              content_type="application/json", headers=headers, **query)
    finally:
        if call.who == "session":
            client.logout()


def problem(openapi: OpenAPI, call: Call, response) -> str | None:
    """What is wrong with this answer, or None: the status expected, declared, body as said."""
    where = f"{call.method} {call.path or call.template} as {call.who or 'visitor'}"
    if response.status_code != call.status:
        return f"{where}: {response.status_code}, not {call.status}: {response.content[:300]}"
    try:
        match = response.wsgi_request.resolver_match  # None: answered by a middleware
        if match is None or match.route.startswith("api/v1/"):
            openapi.validate_response(DjangoOpenAPIRequest(response.wsgi_request),
                                      DjangoOpenAPIResponse(response))
        else:  # an address no operation of the API took: found by the document's templates
            request = MockRequest("http://testserver", call.method.lower(), response.request[
                "PATH_INFO"])
            openapi.validate_response(request, MockResponse(
                response.content, response.status_code, content_type=response["Content-Type"]))
    except Exception as error:  # every validation error names what did not match
        causes = getattr(error, "schema_errors", None) or [getattr(error, "__cause__", None)]
        return f"{where} {response.status_code}: {error!r} {[str(c)[:300] for c in causes]}"
    return None


def test_every_operation_answers_as_the_document_says(client, settings):
    settings.RATE_LIMIT_ANONYMOUS = settings.RATE_LIMIT_TOKEN = 0
    store = seed()
    doc = document(client)
    openapi = checker(doc)  # the document itself is checked as valid OpenAPI too
    listed = {(method.upper(), path) for path, operations in doc["paths"].items()
              for method in operations}
    walked = {call.operation for call in store.calls}
    assert walked == listed, {"not walked": listed - walked, "not in the document":
                              walked - listed}
    problems = [problem(openapi, call, send(client, store, call)) for call in store.calls]
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def test_every_operation_answers_429_as_the_document_says(client, settings):
    store = seed()
    openapi = checker(document(client))
    settings.RATE_LIMIT_ANONYMOUS = settings.RATE_LIMIT_TOKEN = 1
    cache.clear()
    first: dict[tuple[str, str], Call] = {}
    for call in store.calls:
        first.setdefault(call.operation, call)
    spent, problems = set(), []
    for call in first.values():
        budget = call.who if call.who != "bad" else ""
        if budget not in spent:  # the first request of each budget is still allowed
            send(client, store, call)
            spent.add(budget)
        limited = Call(call.method, call.template, 429, call.path, call.who, call.query,
                       call.body)
        problems.append(problem(openapi, limited, send(client, store, limited)))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def first_calls(store: Store) -> dict[tuple[str, str], Call]:
    """Each operation's first call in the walk, whose path and credentials are good."""
    first: dict[tuple[str, str], Call] = {}
    for call in store.calls:
        if call.who != "bad":
            first.setdefault(call.operation, call)
    return first


def test_malformed_requests_are_answered_as_the_document_says(client, settings):
    """What any client can send by mistake to any operation: a NUL character in the address
    (400), a path parameter that is not of its type (404, in JSON like every error of the API)
    and a JSON body that is not an object (422); each answer declared, with its body as said."""
    settings.RATE_LIMIT_ANONYMOUS = settings.RATE_LIMIT_TOKEN = 0
    store = seed()
    doc = document(client)
    openapi = checker(doc)
    problems, tried = [], Counter()
    for call in first_calls(store).values():
        with_nul = Call(call.method, call.template, 400, call.path, call.who,
                        {**call.query, "q": "tide\x00"}, call.body, call.raw)
        problems.append(problem(openapi, with_nul, send(client, store, with_nul)))
        if "{" in call.template:
            wrong_type = Call(call.method, call.template, 404,
                              re.sub(r"\{[^}]+\}", "not-a-number", call.template), call.who,
                              body=call.body)
            # CSRF checked as on a real server (an operation's token request needs none).
            answer = send(Client(enforce_csrf_checks=True), store, wrong_type)
            problems.append(problem(openapi, wrong_type, answer))
            tried["path"] += 1
        if call.body is not None:
            for body in ([None, None], "x", 3):
                not_an_object = Call(call.method, call.template, 422, call.path, call.who,
                                     body=body)  # type: ignore[arg-type]
                problems.append(problem(openapi, not_an_object,
                                        send(client, store, not_an_object)))
            tried["body"] += 1
    operations = [(path, operation) for path, methods in doc["paths"].items()
                  for operation in methods.values()]
    assert tried == {"path": sum("{" in path for path, _ in operations),
                     "body": sum("application/json" in o.get("requestBody", {}).get("content", {})
                                 for _, o in operations)}
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


def test_the_document_says_which_operations_visitors_may_call(client, settings):
    """An operation that answers a visitor (teasers) lists the empty security requirement
    beside the token's, so a client knows the token is optional; one that answers a visitor
    401 does not."""
    settings.RATE_LIMIT_ANONYMOUS = settings.RATE_LIMIT_TOKEN = 0
    store = seed()
    doc = document(client)
    optional = {(method.upper(), path) for path, operations in doc["paths"].items()
                for method, operation in operations.items()
                if {} in operation.get("security", [{}])}
    answered, refused = set(), set()
    for call in store.calls:
        if call.who == "" and call.status in (200, 401):
            (answered if call.status == 200 else refused).add(call.operation)
    assert ("GET", "/api/v1/articles") in answered and ("GET", "/api/v1/me") in refused
    assert answered <= optional, answered - optional
    assert not refused & optional, refused & optional
