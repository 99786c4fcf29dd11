"""The JSON API answers a client that asks too often with 429, Retry-After and a JSON error: per
address without a token, per token, per signed-in reader; 0 turns a limit off; behind a proxy
the address is the one the proxy saw; with Redis, every process counts against one budget."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from api_support import make_reader
from django.test import Client

from broadsheet.api.auth import issue_token
from broadsheet.api.ratelimit import hit

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parent.parent / "src"
PATH = "/api/v1/sections"


@pytest.fixture
def limits(settings):
    settings.RATE_LIMIT_ANONYMOUS = 3
    settings.RATE_LIMIT_TOKEN = 5
    return settings


def statuses(client: Client, n: int, path: str = PATH, **extra) -> list[int]:
    return [client.get(path, **extra).status_code for _ in range(n)]


def test_an_address_without_a_token_gets_its_limit_then_429(limits):
    client = Client(REMOTE_ADDR="203.0.113.7")
    answers = [client.get(PATH) for _ in range(3)]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert all(a["RateLimit-Limit"] == "3" for a in answers)
    refused = client.get(PATH)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 120
    assert refused.json() == {
        "detail": f"Too many requests: at most 3 a minute from one address without a token. "
                  f"Try again in {wait} second{'' if wait == 1 else 's'}.",
        "retry_after": wait}
    # Every path under /api/v1/ counts, the document included; another address has its own.
    assert client.get("/api/v1/openapi.json").status_code == 429
    assert statuses(Client(REMOTE_ADDR="203.0.113.8"), 3) == [200] * 3


def test_a_token_has_its_own_budget_wherever_it_comes_from(limits):
    reader = make_reader("active")
    token, other = issue_token(reader).secret, issue_token(reader).secret
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    codes = [Client(REMOTE_ADDR=f"198.51.100.{n}").get("/api/v1/me", **header).status_code
             for n in range(6)]
    assert codes == [200] * 5 + [429]
    refused = Client().get("/api/v1/me", **header)
    assert "at most 5 a minute for one token" in refused.json()["detail"]
    # The reader's other token, and visitors from the same address, are not held back.
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 200
    assert statuses(Client(REMOTE_ADDR="198.51.100.1"), 3) == [200] * 3


def test_a_token_that_is_not_valid_counts_against_its_address(limits):
    client = Client(REMOTE_ADDR="192.0.2.44", HTTP_AUTHORIZATION="Bearer bs_made-up")
    assert statuses(client, 4, "/api/v1/articles") == [401, 401, 401, 429]
    assert Client(REMOTE_ADDR="192.0.2.44").get(PATH).status_code == 429


def test_a_signed_in_session_counts_per_reader_with_the_token_limit(limits):
    reader = make_reader("active")
    first, second = Client(REMOTE_ADDR="192.0.2.1"), Client(REMOTE_ADDR="192.0.2.2")
    first.force_login(reader)
    second.force_login(reader)
    codes = statuses(first, 3, "/api/v1/me") + statuses(second, 3, "/api/v1/me")
    assert codes == [200] * 5 + [429]
    assert "for one signed-in reader" in second.get("/api/v1/me").json()["detail"]


def test_zero_turns_a_limit_off(settings):
    settings.RATE_LIMIT_ANONYMOUS = 0
    settings.RATE_LIMIT_TOKEN = 0
    reader = make_reader("active")
    token = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(reader).secret}")
    answers = [Client().get(PATH) for _ in range(130)] + [token.get(PATH) for _ in range(130)]
    assert {a.status_code for a in answers} == {200}
    assert "RateLimit-Limit" not in answers[-1]


def test_the_default_limits(settings):
    assert (settings.RATE_LIMIT_ANONYMOUS, settings.RATE_LIMIT_TOKEN) == (120, 600)
    client = Client(REMOTE_ADDR="192.0.2.120")
    assert statuses(client, 121) == [200] * 120 + [429]


def test_feeds_and_the_reader_api_are_not_counted(limits):
    client = Client(REMOTE_ADDR="192.0.2.9")
    assert statuses(client, 3) == [200] * 3
    assert set(statuses(client, 5, "/feeds/latest.xml")) == {200}
    assert set(statuses(client, 5, "/reader/api/0/user-info")) == {401}


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(limits):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    limits.BEHIND_PROXY = True
    # A client's own X-Forwarded-For entries come first; the proxy appends the real address.
    one = Client(**proxy, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.50")
    other = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.51")
    assert statuses(one, 4) == [200, 200, 200, 429]
    assert statuses(other, 1) == [200]
    spoofing = Client(**proxy, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.50")
    assert statuses(spoofing, 1) == [429]
    # Not behind a proxy: the header is the client's own words, and ignored.
    limits.BEHIND_PROXY = False
    direct = [Client(REMOTE_ADDR="192.0.2.77", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
              for n in range(4)]
    assert [c.get(PATH).status_code for c in direct] == [200, 200, 200, 429]


def test_retry_after_is_when_a_request_goes_through_again():
    start = 1_000_040.0  # 20 seconds into a minute

    def refused_once() -> tuple[str, int]:
        """A fresh budget of 3 spent at once, then a refusal: its key and Retry-After."""
        key = f"test:{secrets.token_hex(4)}"
        assert [hit(key, 3, now=start + n).allowed for n in range(4)] == [True] * 3 + [False]
        return key, hit(key, 3, now=start + 4).retry_after

    key, wait = refused_once()
    assert wait == 72  # the 5 counted fade below the limit 36 seconds into the next minute
    assert hit(key, 3, now=start + 4 + wait).allowed
    key, wait = refused_once()
    assert not hit(key, 3, now=start + 4 + wait - 2).allowed
    # The previous minute weighs in as it fades: no fresh allowance at the minute's turn.
    busy = f"test:{secrets.token_hex(4)}"
    assert all(hit(busy, 10, now=1_000_055.0 + n * 0.1).allowed for n in range(10))
    assert not hit(busy, 10, now=1_000_081.0).allowed


WORKER = """
import sys, time
import django
django.setup()
from django.test import Client
start, address, token = float(sys.argv[1]), sys.argv[2], sys.argv[3]
visitor = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=address)
app = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR=address, HTTP_AUTHORIZATION="Bearer " + token)
visitor.get("/api/v1/sections")  # warm: the first request loads the URLs and the API
while time.time() < start:
    time.sleep(0.005)
codes = [visitor.get("/api/v1/sections").status_code for _ in range(8)]
codes += [app.get("/api/v1/me").status_code for _ in range(8)]
print(" ".join(map(str, codes)))
"""
MAKE_TOKEN = """
import django
django.setup()
from broadsheet.api.auth import issue_token
from broadsheet.readers.models import User
print(issue_token(User.objects.create_user("app@example.org", "pw-not-used-here")).secret)
"""


def test_two_processes_share_one_budget_through_redis(tmp_path):
    redis_url = os.environ.get("BROADSHEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "broadsheet.config.settings",
               "BROADSHEET_HOME": str(tmp_path), "PYTHONPATH": str(SRC),
               "DATABASE_URL": f"sqlite:///{tmp_path}/shared.sqlite3", "REDIS_URL": redis_url,
               "BROADSHEET_RATE_LIMIT_ANONYMOUS": "10", "BROADSHEET_RATE_LIMIT_TOKEN": "12"}
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"], env=environ,
                   check=True, capture_output=True)
    token = subprocess.run([sys.executable, "-c", MAKE_TOKEN], env=environ, check=True,
                           capture_output=True, text=True).stdout.strip()
    # A fresh address each run: its counts in Redis are this test's alone.
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    start = time.time() + 4  # both begin together, once Django is loaded in each
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(start), address, token],
                                env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    codes = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        codes.append([int(code) for code in out.split()])
    visitor = [c for worker in codes for c in worker[:8]]
    app = [c for worker in codes for c in worker[8:]]
    # Each process alone stays under the limits; together they spend one budget.
    assert visitor.count(200) == 10 - 2 and visitor.count(429) == 8, codes  # 2 warm-ups
    assert app.count(200) == 12 and app.count(429) == 4, codes
    # The counts were in Redis (a missing Redis fails above, loudly).
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    assert redis.Redis.from_url(redis_url).keys(f"*ratelimit:address:{digest}:*")


def test_when_the_cache_is_down_the_api_still_answers(limits, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(cache, "incr", down)
    assert statuses(Client(REMOTE_ADDR="192.0.2.200"), 5) == [200] * 5
