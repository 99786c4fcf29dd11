"""The paywall holds on every machine surface: the JSON API, feeds out, the Google Reader API.

Three articles each hide a marker sentence deep in the body. A visitor, an expired member (whose
tokens were issued while they were still a member) and a member whose trial ran out without the
state being updated try every door: list, detail and search endpoints, with and without
credentials, with ``?full=1``-style parameters, other Accept headers, HEAD requests and format
variations. None of them may receive a marker. A trial member receives them where a member
should.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from api_support import expire, make_article, make_publisher, make_reader, marker
from django.test import Client

from broadsheet.api.auth import issue_token, private_feed_url
from broadsheet.api.greader import long_item_id

FRAGMENT = "ledger number 700"  # part of every marker sentence
BYPASS_PARAMS = [{}, {"full": "1"}, {"full": "true"}, {"paywall": "0"}, {"teaser": "false"},
                 {"format": "json"}, {"output": "json"}, {"preview": "1"}]
ACCEPTS = ["application/json", "text/html", "application/xml", "*/*"]
READING_LIST = "user/-/state/com.google/reading-list"


@dataclass
class Reader:
    name: str
    user: object | None
    bearer: str | None = None
    greader: str | None = None
    feed_path: str | None = None

    def client(self, session: bool) -> Client:
        client = Client()
        if session and self.user is not None:
            client.force_login(self.user)
        return client

    def doors(self) -> list[tuple[str, Client, dict]]:
        """Every way this reader can ask the JSON API: no credentials, session, token."""
        doors = [("no credentials", Client(), {})]
        if self.user is not None:
            doors.append(("session", self.client(True), {}))
            doors.append(("token", Client(), {"HTTP_AUTHORIZATION": f"Bearer {self.bearer}"}))
        return doors


@pytest.fixture
def world(db):
    publisher = make_publisher("The Harbour Gazette", "World")
    articles = [make_article(publisher, n) for n in range(1, 4)]

    def reader(name: str, state: str) -> Reader:
        user = make_reader("trial" if state == "expired" else state)
        made = Reader(name, user, issue_token(user).secret,
                      issue_token(user, "greader").secret,
                      urlsplit(private_feed_url(user)).path)
        if state == "expired":
            expire(user)  # the tokens were issued while the membership still gave access
        return made

    return {
        "publisher": publisher,
        "articles": articles,
        "visitor": Reader("visitor", None),
        "expired": reader("expired", "expired"),
        "lapsed": reader("lapsed trial", "lapsed_trial"),
        "trial": reader("trial", "trial"),
    }


def leaked(response) -> bool:
    body = response.content.decode("utf-8", "replace")
    return FRAGMENT in body or any(marker(n) in body for n in (1, 2, 3))


def api_requests(world) -> list[tuple[str, str, dict, dict]]:
    """(method, path, query, headers) for every JSON API endpoint that carries article text,
    with parameter, Accept and format variations."""
    pk = world["articles"][0].pk
    paths = [("/api/v1/articles", {}), (f"/api/v1/articles/{pk}", {}),
             ("/api/v1/search", {"q": "ledger lighthouse"}),
             ("/api/v1/search", {"q": '"harbour master kept ledger"'}),
             ("/api/v1/articles", {"q": "ledger"}),
             ("/api/v1/publishers/the-harbour-gazette", {})]
    requests = []
    for path, query in paths:
        for extra in BYPASS_PARAMS:
            requests.append(("GET", path, query | extra, {}))
        for accept in ACCEPTS:
            requests.append(("GET", path, query, {"HTTP_ACCEPT": accept}))
        requests.append(("HEAD", path, query, {}))
    requests.append(("GET", f"/api/v1/articles/{pk}/", {}, {}))  # trailing slash
    requests.append(("GET", f"/api/v1/articles/{pk}.json", {}, {}))
    return requests


def send(client: Client, method: str, path: str, query: dict, **headers):
    if method == "HEAD":
        return client.head(path, query, **headers)
    return client.get(path, query, **headers)


@pytest.mark.parametrize("who", ["visitor", "expired", "lapsed"])
def test_json_api_never_gives_more_than_the_teaser(world, who):
    reader = world[who]
    attempts = 0
    for door, client, credentials in reader.doors():
        for method, path, query, headers in api_requests(world):
            response = send(client, method, path, query, **headers, **credentials)
            assert response.status_code in (200, 404, 405), (door, path, response.status_code)
            assert not leaked(response), (who, door, method, path, query, headers)
            attempts += 1
    assert attempts >= 80


def test_wrong_or_foreign_credentials_get_nothing_on_the_api(world):
    pk = world["articles"][0].pk
    trial = world["trial"]
    for header in (f"Bearer {trial.greader}",  # a Google Reader token is not an API token
                   f"Bearer {trial.feed_path.split('/')[3]}",  # nor is a feed secret
                   f"GoogleLogin auth={trial.greader}", f"Token {trial.bearer}",
                   "Bearer ", f"Bearer {trial.bearer}x"):
        response = Client().get(f"/api/v1/articles/{pk}", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert not leaked(response), header


def test_trial_member_reads_in_full_on_the_api(world):
    trial = world["trial"]
    pk = world["articles"][0].pk
    by_token = Client().get(f"/api/v1/articles/{pk}",
                            HTTP_AUTHORIZATION=f"Bearer {trial.bearer}")
    assert marker(1) in by_token.json()["text"]
    by_session = trial.client(True).get(f"/api/v1/articles/{pk}")
    assert marker(1) in by_session.json()["html"]
    found = Client().get("/api/v1/search", {"q": "ledger lighthouse"},
                         HTTP_AUTHORIZATION=f"Bearer {trial.bearer}").json()
    assert found["total"] == 3
    assert all("ledger" in item["snippet"] for item in found["items"])


def test_visitor_search_still_finds_the_article_but_not_the_sentence(world):
    found = Client().get("/api/v1/search", {"q": "ledger lighthouse"}).json()
    assert found["total"] == 3
    assert all(item["full"] is False for item in found["items"])


def feed_paths(world) -> list[str]:
    return ["/feeds/latest.xml", "/feeds/latest.atom", "/feeds/latest.json",
            "/feeds/section/world.xml", "/feeds/section/world.json",
            "/feeds/publication/the-harbour-gazette.xml",
            "/feeds/publication/the-harbour-gazette.json"]


@pytest.mark.parametrize("who", ["visitor", "expired", "lapsed", "trial"])
def test_public_feeds_carry_only_teasers_for_everyone(world, who):
    reader = world[who]
    variations = [(extra, {}) for extra in BYPASS_PARAMS]
    variations += [({}, {"HTTP_ACCEPT": accept}) for accept in ACCEPTS]
    for door, client, credentials in reader.doors():
        for path in feed_paths(world):
            for extra, headers in variations:
                response = client.get(path, extra, **headers, **credentials)
                assert response.status_code == 200
                assert not leaked(response), (who, door, path, extra, headers)
            assert not leaked(client.head(path, **credentials))


@pytest.mark.parametrize("who", ["expired", "lapsed"])
def test_private_feed_of_a_lapsed_membership_gives_teasers(world, who):
    reader = world[who]
    for path in (reader.feed_path, reader.feed_path.replace("latest.xml", "latest.atom"),
                 reader.feed_path.replace("latest.xml", "latest.json")):
        for extra in BYPASS_PARAMS:
            response = Client().get(path, extra)
            assert response.status_code == 200
            assert not leaked(response), (who, path, extra)
            assert "Sign up to read this article" in response.content.decode()
        assert not leaked(Client().head(path))


def test_private_feed_of_a_trial_member_is_full_text(world):
    response = Client().get(world["trial"].feed_path)
    assert all(marker(n) in response.content.decode() for n in (1, 2, 3))


def test_made_up_private_feed_addresses_give_nothing(world):
    trial = world["trial"]
    for token in (trial.bearer, trial.greader, "bs_" + "A" * 43, trial.feed_path.split("/")[3]
                  + "x"):
        response = Client().get(f"/feeds/private/{token}/latest.xml")
        assert response.status_code == 404
        assert not leaked(response)


def greader_requests(world) -> list[tuple[str, str, dict]]:
    ids = [a.pk for a in world["articles"]]
    requests = []
    for stream in (READING_LIST, f"feed/{world['publisher'].pk}", "user/-/label/World",
                   "user/1/state/com.google/reading-list"):
        for extra in BYPASS_PARAMS:
            requests.append(("GET", f"/reader/api/0/stream/contents/{stream}", {"n": 50} | extra))
        requests.append(("HEAD", f"/reader/api/0/stream/contents/{stream}", {}))
        requests.append(("GET", "/reader/api/0/stream/contents", {"s": stream}))
        for extra in BYPASS_PARAMS:  # the Atom stream, at the site root and at an app's base
            requests.append(("GET", f"/reader/atom/{stream}", {"n": 50} | extra))
        requests.append(("GET", f"/api/greader.php/reader/atom/{stream}", {}))
    for forms in ([long_item_id(pk) for pk in ids], [str(pk) for pk in ids],
                  [f"{pk:016x}" for pk in ids]):
        requests.append(("POST", "/reader/api/0/stream/items/contents", {"i": forms}))
        requests.append(("POST", "/reader/api/0/stream/items/contents",
                         {"i": forms, "full": "1", "output": "json"}))
        requests.append(("GET", "/reader/api/0/stream/items/contents", {"i": forms}))
    return requests


def greader_send(client: Client, method: str, path: str, data: dict, **headers):
    if method == "POST":
        return client.post(path, data, **headers)
    if method == "HEAD":
        return client.head(path, data, **headers)
    return client.get(path, data, **headers)


@pytest.mark.parametrize("who", ["visitor", "expired", "lapsed"])
def test_google_reader_api_never_gives_more_than_the_teaser(world, who):
    reader = world[who]
    app = {"HTTP_AUTHORIZATION": f"GoogleLogin auth={reader.greader}"} if reader.greader else None
    for door, client, credentials in reader.doors():
        for method, path, data in greader_requests(world):
            # Neither cookies nor API tokens open the Google Reader API.
            refused = greader_send(client, method, path, data, **credentials)
            assert refused.status_code == 401 and not leaked(refused), (door, path)
    if app is None:
        return
    client = Client()
    for method, path, data in greader_requests(world):
        for accept in ACCEPTS[:2]:
            response = greader_send(client, method, path, data, HTTP_ACCEPT=accept, **app)
            assert response.status_code == 200, (path, response.content[:200])
            assert not leaked(response), (who, method, path, data, accept)


def test_trial_member_reads_in_full_in_reader_apps(world):
    auth = {"HTTP_AUTHORIZATION": f"GoogleLogin auth={world['trial'].greader}"}
    stream = Client().get(f"/reader/api/0/stream/contents/{READING_LIST}", **auth)
    assert all(marker(n) in stream.content.decode() for n in (1, 2, 3))
    items = Client().post("/reader/api/0/stream/items/contents",
                          {"i": [str(a.pk) for a in world["articles"]]}, **auth)
    assert all(marker(n) in items.content.decode() for n in (1, 2, 3))


def test_a_member_whose_membership_ends_mid_session_drops_to_teasers(world):
    trial = world["trial"]
    pk = world["articles"][0].pk
    api = {"HTTP_AUTHORIZATION": f"Bearer {trial.bearer}"}
    greader = {"HTTP_AUTHORIZATION": f"GoogleLogin auth={trial.greader}"}
    assert leaked(Client().get(f"/api/v1/articles/{pk}", **api))
    expire(trial.user)
    assert not leaked(Client().get(f"/api/v1/articles/{pk}", **api))
    assert not leaked(Client().get(f"/reader/api/0/stream/contents/{READING_LIST}", **greader))
    assert not leaked(Client().get(trial.feed_path))
