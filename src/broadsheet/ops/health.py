"""Liveness and readiness checks, each cheap enough to run on every probe.

Readiness asks: can this process reach its database, is its schema migrated, is Redis there
(when configured), and has a worker written its heartbeat lately? Each check says what it found;
the answer fails when any check fails. Details that would tell a stranger about the servers
(addresses, error texts) go to the log, not into the answer.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection

from . import heartbeat

log = logging.getLogger("broadsheet.health")

MIGRATIONS_OK_FOR = 300.0  # seconds a successful migration check is trusted
MIGRATIONS_FAILED_FOR = 10.0  # and a failed one, so a fresh `migrate` is seen soon


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail, **self.figures}


def readiness() -> list[Check]:
    """Every readiness check, in order; Redis and worker only when they apply."""
    checks = [check_database()]
    checks.append(check_migrations() if checks[0].ok else
                  Check("migrations", False, "not checked: the database is unreachable"))
    redis_check = check_redis() if settings.REDIS_URL else None
    if redis_check is not None:
        checks.append(redis_check)
    if settings.WORKER_HEARTBEAT_MAX_AGE:
        if redis_check is not None and not redis_check.ok:
            checks.append(Check("worker", False, "not checked: Redis is unreachable"))
        else:
            checks.append(check_worker())
    return checks


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        log.warning("readiness: the database is unreachable: %s", error)
        connection.close()  # the next check connects afresh
        return Check("database", False, f"unreachable ({type(error).__name__})")
    return Check("database", True, connection.vendor)


class _MigrationMemo:
    """The last migration check of this process, reused for a while (it reads every file)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.result: Check | None = None
        self.until = 0.0

    def get(self) -> Check:
        with self.lock:
            now = time.monotonic()
            if self.result is None or now >= self.until:
                self.result = _unapplied_migrations()
                self.until = now + (MIGRATIONS_OK_FOR if self.result.ok else MIGRATIONS_FAILED_FOR)
            return self.result

    def forget(self) -> None:
        with self.lock:
            self.result = None


migration_memo = _MigrationMemo()


def check_migrations() -> Check:
    return migration_memo.get()


def _unapplied_migrations() -> Check:
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:  # noqa: BLE001
        log.warning("readiness: cannot read the applied migrations: %s", error)
        connection.close()
        return Check("migrations", False, f"cannot be read ({type(error).__name__})")
    if plan:
        return Check("migrations", False, f"{len(plan)} not applied: run `broadsheet migrate`",
                     {"pending": len(plan)})
    return Check("migrations", True, "all applied", {"pending": 0})


_redis_clients: dict[str, Any] = {}  # one per URL, kept between probes


def check_redis() -> Check:
    import redis

    url = settings.REDIS_URL
    try:
        client = _redis_clients.get(url)
        if client is None:
            client = _redis_clients[url] = redis.Redis.from_url(
                url, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
    except Exception as error:  # noqa: BLE001
        log.warning("readiness: Redis is unreachable: %s", error)
        return Check("redis", False, f"unreachable ({type(error).__name__})")
    return Check("redis", True, "answers")


def check_worker(now: float | None = None) -> Check:
    limit = settings.WORKER_HEARTBEAT_MAX_AGE
    try:
        beat = heartbeat.last_beat()
    except Exception as error:  # noqa: BLE001
        log.warning("readiness: cannot read the worker heartbeat: %s", error)
        return Check("worker", False, f"heartbeat unreadable ({type(error).__name__})")
    if beat is None:
        return Check("worker", False, "no heartbeat yet: is `broadsheet worker` running?")
    age = max(0.0, (time.time() if now is None else now) - float(beat["at"]))
    figures = {"age_seconds": round(age, 1)}
    if age > limit:
        return Check("worker", False, f"last heartbeat {age:.0f} s ago (limit {limit} s)",
                     figures)
    return Check("worker", True, f"last heartbeat {age:.0f} s ago", figures)
