"""Guessing a reader's password from elsewhere never locks the reader out: failures count per
client address and per account-and-address, with waits that double after a few failures (up to
a cap), and a ceiling per address across all accounts for credential stuffing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from broadsheet.readers.models import ThrottleAttempt, User
from broadsheet.readers.throttle import Throttle, client_address

PASSWORD = "correct horse battery staple"
ATTACKER, OWNER = "203.0.113.7", "198.51.100.1"


@pytest.fixture
def reader(db) -> User:
    return User.objects.create_user("reader@example.org", PASSWORD)


def sign_in(client, email="reader@example.org", password=PASSWORD):
    return client.post(reverse("signin"), {"email": email, "password": password})


def test_the_owner_signs_in_while_an_attacker_is_throttled(reader):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    codes = [sign_in(attacker, password=f"guess {n}").status_code for n in range(12)]
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}
    refused = sign_in(attacker)  # even the right password waits, from the attacker's address
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Too many attempts; try again in" in refused.content.decode()
    owner = Client(REMOTE_ADDR=OWNER)
    assert sign_in(owner).status_code == 302
    assert "_auth_user_id" in owner.session
    assert sign_in(attacker, password="one more guess").status_code == 429  # still waiting


def test_the_owners_own_mistakes_then_the_right_password(reader):
    owner = Client(REMOTE_ADDR=OWNER)
    for n in range(4):
        assert sign_in(owner, password=f"typo {n}").status_code == 400
    assert sign_in(owner).status_code == 302
    assert not ThrottleAttempt.objects.filter(key__contains=":pair:").exists()


def test_waits_double_after_the_free_failures_up_to_the_cap(db):
    throttle = Throttle("t", free_failures=5, max_delay=900, per_address=1000)
    now = 1000.0
    for _ in range(5):
        attempt = throttle.attempt("a@example.org", ATTACKER, now=now)
        assert attempt.allowed
    waits = []
    for _ in range(12):
        refused = throttle.attempt("a@example.org", ATTACKER, now=now)
        assert not refused.allowed
        waits.append(refused.verdict.retry_after)
        now += refused.verdict.retry_after  # come back exactly when told
        assert throttle.attempt("a@example.org", ATTACKER, now=now).allowed
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    # Another address, or another account from the same address, is not held up at all.
    assert throttle.check("a@example.org", OWNER, now=now).allowed
    assert throttle.check("b@example.org", ATTACKER, now=now).allowed


def test_the_wait_is_said_in_seconds_minutes_or_hours(db):
    throttle = Throttle("words", free_failures=1, max_delay=900, per_address=1000)
    throttle.failed("a@example.org", ATTACKER, now=1000.0)
    assert throttle.check("a@example.org", ATTACKER, now=1000.0).message \
        == "Too many attempts; try again in 2 seconds."
    for _ in range(12):
        throttle.failed("a@example.org", ATTACKER, now=1000.0)
    assert throttle.check("a@example.org", ATTACKER, now=1000.0).message \
        == "Too many attempts; try again in 15 minutes."


def test_one_address_guessing_many_accounts_hits_a_ceiling(reader):
    stuffer = Client(REMOTE_ADDR=ATTACKER)
    for n in range(20):
        assert sign_in(stuffer, email=f"victim{n}@example.org").status_code == 400
    response = sign_in(stuffer)  # a real account, the right password, the same address
    assert response.status_code == 429
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    assert sign_in(Client(REMOTE_ADDR=OWNER)).status_code == 302


def test_the_ceiling_opens_after_fifteen_minutes(db):
    throttle = Throttle("ceiling", free_failures=5, max_delay=900, per_address=20)
    for n in range(20):
        throttle.failed(f"victim{n}@example.org", ATTACKER, now=1000.0 + n)
    verdict = throttle.check("new@example.org", ATTACKER, now=1020.0)
    assert not verdict.allowed and verdict.minutes == 15
    assert throttle.check("new@example.org", ATTACKER, now=1000.0 + 900).allowed


def test_limits_come_from_the_settings(reader, settings):
    settings.SIGNIN_LIMITS = {**settings.SIGNIN_LIMITS, "free_failures": 2}
    attacker = Client(REMOTE_ADDR=ATTACKER)
    assert [sign_in(attacker, password=f"g{n}").status_code for n in range(3)] == [400, 400, 429]


def test_behind_a_proxy_the_address_is_the_one_the_proxy_appended(reader, settings, rf):
    settings.BEHIND_PROXY = True
    request = rf.get("/", REMOTE_ADDR="10.0.0.1",
                     HTTP_X_FORWARDED_FOR="1.2.3.4, " + ATTACKER)  # the first is the client's say
    assert client_address(request) == ATTACKER
    # Two clients behind the same proxy are told apart, so one cannot slow the other down.
    attacker = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=ATTACKER)
    for n in range(8):
        sign_in(attacker, password=f"guess {n}")
    assert sign_in(attacker).status_code == 429
    owner = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"{ATTACKER}, {OWNER}")
    assert sign_in(owner).status_code == 302


def test_forwarded_addresses_are_ignored_unless_behind_a_proxy(reader, settings, rf):
    assert not settings.BEHIND_PROXY
    assert client_address(rf.get("/", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=OWNER)) \
        == ATTACKER
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for n in range(8):
        # A made-up X-Forwarded-For does not give the attacker a fresh count.
        sign_in(Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}"),
                password=f"guess {n}")
    assert sign_in(attacker).status_code == 429


def test_ipv6_addresses_count_by_their_network(rf):
    first = rf.get("/", REMOTE_ADDR="2001:db8:1:2::1")
    second = rf.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert client_address(first) == client_address(second) == "2001:db8:1:2::/64"
    assert client_address(rf.get("/", REMOTE_ADDR="::ffff:192.0.2.5")) == "192.0.2.5"
    assert client_address(rf.get("/", REMOTE_ADDR="")) == "unknown"
