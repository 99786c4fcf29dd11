"""An operator's probes ask /healthz whether a process is alive and /readyz whether it can
serve: database, migrations, Redis when configured, and a recent worker heartbeat."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import Client

from broadsheet.ops import health, heartbeat

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True)
def fresh_checks():  # Huey's queue file, not the database
    """Each test sees the migrations as they are now, and no heartbeat of an earlier test."""
    health.migration_memo.forget()
    heartbeat._huey().delete(heartbeat.KEY)
    yield
    health.migration_memo.forget()
    heartbeat._huey().delete(heartbeat.KEY)


def ready(client: Client | None = None):
    answer = (client or Client()).get("/readyz")
    assert answer["Content-Type"] == "application/json"
    assert answer["Cache-Control"] == "no-store"
    return answer.status_code, answer.json()


def test_alive_is_answered_without_the_database():
    # No database access is allowed in this test: a query would raise here.
    answer = Client().get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    assert answer["Cache-Control"] == "no-store"


def test_probes_answer_whatever_host_name_they_call(db):
    # A load balancer or orchestrator often calls by address, not by the site's name.
    heartbeat.beat()
    client = Client(HTTP_HOST="10.1.2.3:8000")
    assert client.get("/healthz").status_code == 200
    assert ready(client)[0] == 200


@pytest.mark.django_db
def test_ready_when_every_check_passes():
    heartbeat.beat()
    status, body = ready()
    assert status == 200, body
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == {"database", "migrations", "worker"}
    assert body["checks"]["migrations"]["pending"] == 0
    assert body["checks"]["worker"]["age_seconds"] < 5


@pytest.mark.django_db
def test_not_ready_before_any_worker_has_run():
    status, body = ready()
    assert status == 503
    assert body["failed"] == ["worker"]
    assert "broadsheet worker" in body["checks"]["worker"]["detail"]


@pytest.mark.django_db
def test_a_stale_heartbeat_names_its_age(settings):
    settings.WORKER_HEARTBEAT_MAX_AGE = 180
    heartbeat.beat(now=time.time() - 600)
    status, body = ready()
    assert status == 503 and body["failed"] == ["worker"]
    assert body["checks"]["worker"]["age_seconds"] >= 600
    assert "limit 180 s" in body["checks"]["worker"]["detail"]


@pytest.mark.django_db
def test_the_worker_can_be_left_out_of_readiness(settings):
    settings.WORKER_HEARTBEAT_MAX_AGE = 0
    status, body = ready()
    assert status == 200 and "worker" not in body["checks"]


@pytest.mark.django_db
def test_an_unapplied_migration_makes_it_not_ready():
    heartbeat.beat()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'articles' AND id = "
                       "(SELECT MAX(id) FROM django_migrations WHERE app = 'articles')")
    status, body = ready()
    assert status == 503 and body["failed"] == ["migrations"]
    assert body["checks"]["migrations"]["pending"] >= 1
    assert "broadsheet migrate" in body["checks"]["migrations"]["detail"]


@pytest.mark.django_db
def test_the_migration_check_is_remembered_for_a_while(django_assert_max_num_queries):
    heartbeat.beat()
    assert ready()[0] == 200
    with django_assert_max_num_queries(1):  # SELECT 1; the migrations are not read again
        assert ready()[0] == 200


@pytest.mark.django_db
def test_redis_is_checked_when_configured(settings):
    import redis

    redis.Redis.from_url(REDIS_URL).ping()  # a missing Redis fails here, loudly
    settings.REDIS_URL = REDIS_URL
    heartbeat.beat()
    status, body = ready()
    assert status == 200, body
    assert body["checks"]["redis"]["ok"]


@pytest.mark.django_db
def test_an_unreachable_redis_says_so_without_its_address(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    heartbeat.beat()
    status, body = ready()
    assert status == 503
    assert body["failed"] == ["redis", "worker"]
    assert "127.0.0.1" not in str(body)
    assert "not checked" in body["checks"]["worker"]["detail"]


def test_probes_only_read():
    answer = Client().post("/readyz")
    assert answer.status_code == 405
    assert answer["Allow"] == "GET, HEAD"
    assert "GET" in answer.json()["error"]
