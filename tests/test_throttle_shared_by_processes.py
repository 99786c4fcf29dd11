"""The sign-in throttle is one count for every web process: attempts are counted in the database
and booked before the password is checked, so neither two workers nor a parallel burst get more
than five guesses at an account from one address, or more than the address's ceiling across
accounts. The page cache, without Redis, is shared the same way."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from broadsheet.readers.models import ThrottleAttempt, User
from broadsheet.readers.throttle import Throttle, prune, signin_throttle

PASSWORD = "correct horse battery staple"
SRC = Path(__file__).resolve().parent.parent / "src"



@pytest.fixture
def reader(db) -> User:
    return User.objects.create_user("reader@example.org", PASSWORD)


def sign_in(client, password="wrong password!"):
    return client.post(reverse("signin"), {"email": "reader@example.org", "password": password})


def test_two_workers_share_one_count_per_address(reader):
    # Like two gunicorn workers serving the same guesser: each alone stays under the limit,
    # together they do not.
    first, second = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.1")
    codes = [sign_in(first if n % 2 else second).status_code for n in range(8)]
    assert codes == [400] * 5 + [429] * 3
    assert sign_in(first, PASSWORD).status_code == 429
    assert sign_in(Client(REMOTE_ADDR="10.0.0.2"), PASSWORD).status_code == 302


def test_a_booked_attempt_counts_before_its_password_is_checked(db):
    throttle = Throttle("burst", free_failures=5, max_delay=900, per_address=100)
    # Six guesses in flight at once from one address: all booked before any finishes.
    attempts = [throttle.attempt("a@example.org", "10.0.0.1", now=1000.0) for _ in range(6)]
    assert [a.allowed for a in attempts] == [True] * 5 + [False]
    assert attempts[-1].verdict.retry_after == 2
    # The same burst from other addresses is another count each.
    assert all(throttle.attempt("a@example.org", f"10.0.1.{n}", now=1000.0).allowed
               for n in range(6))


def test_released_and_successful_attempts_do_not_count(db):
    throttle = Throttle("release", free_failures=2, max_delay=900, per_address=100)
    throttle.attempt("a@example.org", "10.0.0.1", now=1000.0).release()
    throttle.attempt("a@example.org", "10.0.0.1", now=1000.0).failed()
    throttle.attempt("a@example.org", "10.0.0.1", now=1000.0).succeeded()  # clears the pair
    assert throttle.check("a@example.org", "10.0.0.1", now=1001.0).allowed
    assert ThrottleAttempt.objects.filter(key__startswith="release:pair:").count() == 0
    # The client's failed guess stays: a good password for one account resets only that one.
    assert ThrottleAttempt.objects.filter(key__startswith="release:client:").count() == 1


def test_old_attempts_are_pruned(db):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(tz=UTC)
    ThrottleAttempt.objects.create(key="signin:client:old", at=now - timedelta(days=2))
    ThrottleAttempt.objects.create(key="signin:client:new", at=now - timedelta(minutes=1))
    assert prune(now) == 1
    assert list(ThrottleAttempt.objects.values_list("key", flat=True)) == ["signin:client:new"]


WORKER = """
import sys, time
import django
django.setup()
from broadsheet.readers.throttle import signin_throttle
start, worker = float(sys.argv[1]), int(sys.argv[2])
while time.time() < start:
    time.sleep(0.005)

def guess(email, client):
    # Every guess at the same moment, as if all were in flight at once: only counting decides.
    attempt = signin_throttle.attempt(email, client, now=start)
    if attempt.allowed:
        attempt.failed()
    return attempt.allowed

one_account = sum(guess("victim@example.org", "10.0.0.1") for n in range(5))
many_accounts = sum(guess(f"victim{worker}-{n}@example.org", "10.0.0.2") for n in range(10))
print(one_account, many_accounts)
"""


def _environ(home: Path) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "broadsheet.config.settings",
            "BROADSHEET_HOME": str(home), "DATABASE_URL": f"sqlite:///{home}/shared.sqlite3",
            "REDIS_URL": "", "PYTHONPATH": str(SRC)}


@pytest.mark.slow  # four processes
def test_four_processes_guessing_at_once_get_the_limits_in_all(tmp_path):
    environ = _environ(tmp_path)
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v", "0"], env=environ,
                   check=True, capture_output=True)
    start = time.time() + 3  # all four begin together, once Django is loaded in each
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(start), str(n)], env=environ,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for n in range(4)]
    one_account, many_accounts = [], []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        first, second = out.split()
        one_account.append(int(first))
        many_accounts.append(int(second))
    # 20 guesses at one account from one address: the free failures, no more.
    assert sum(one_account) == signin_throttle.free_failures, one_account
    # 40 guesses at different accounts from another address: the address's ceiling, no more.
    assert sum(many_accounts) == signin_throttle.per_address, many_accounts


def test_the_page_cache_is_shared_by_processes(db):
    """Files under $BROADSHEET_HOME without Redis, Redis with it: either way, shared."""
    from broadsheet.freshness import generation

    backend = django_settings.CACHES["default"]
    if django_settings.REDIS_URL:
        assert backend["BACKEND"].endswith("RedisCache")
    else:
        assert backend["BACKEND"].endswith("FileBasedCache")
        assert Path(backend["LOCATION"]) == django_settings.HOME / "cache"
    before = generation()
    code = ("import django; django.setup(); from broadsheet.freshness import bump_generation; "
            "bump_generation()")
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "broadsheet.config.settings",
               "BROADSHEET_HOME": str(django_settings.HOME), "PYTHONPATH": str(SRC)}
    subprocess.run([sys.executable, "-c", code], env=environ, check=True, capture_output=True)
    assert generation() > before  # an edit saved by the worker is seen by this web process
