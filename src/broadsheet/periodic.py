"""Periodic tasks that run once per period, however many workers there are.

Every worker's scheduler enqueues each periodic task when its time comes, so with three workers a
task due every minute would run three times a minute. A task made with :func:`periodic_task`
first claims its period (the task's name and the start of the period its schedule is in) in
Huey's storage, which every worker shares (SQLite on one machine, Redis on many); the first
worker to claim it runs the task, the others skip it. The claim of the previous period is
deleted when the next one is taken, so the storage keeps one key per task.

``task.call_local()`` runs the task's function at once, unclaimed (tests and commands).
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger("broadsheet.periodic")

PREFIX = "broadsheet:periodic:"
LOOK_BACK = timedelta(days=8)  # the longest period a crontab can describe (weekly)


def period_start(validate: Callable[[datetime], bool], now: datetime) -> datetime:
    """The latest minute at or before ``now`` that the schedule ``validate`` accepts.

    Workers whose clocks agree to the minute therefore name the same period.
    """
    minute = now.replace(second=0, microsecond=0)
    earliest = minute - LOOK_BACK
    while minute > earliest:
        if validate(minute):
            return minute
        minute -= timedelta(minutes=1)
    return now.replace(second=0, microsecond=0)  # never accepted: each minute is its own


def claim(name: str, start: datetime) -> bool:
    """True for the one caller that claims task ``name``'s period beginning at ``start``."""
    from huey.contrib.djhuey import HUEY

    storage = HUEY.storage
    key = f"{PREFIX}{name}:{start.isoformat()}"
    holder = f"{socket.gethostname()}:{os.getpid()}".encode()
    if not storage.put_if_empty(key, holder):
        return False
    last_key = f"{PREFIX}{name}:last"
    previous = storage.peek_data(last_key)
    storage.put_data(last_key, key.encode())
    if isinstance(previous, bytes) and previous.decode() != key:
        storage.delete_data(previous.decode())
    return True


def _huey_now() -> datetime:
    """The time as Huey's scheduler sees it (naive UTC by default), which the schedule reads."""
    from huey.contrib.djhuey import HUEY
    from huey.utils import utcnow

    return utcnow() if HUEY.utc else datetime.now()


def periodic_task(validate: Callable[[datetime], bool], **options: Any) -> Callable[..., Any]:
    """Like Huey's ``db_periodic_task``, but the task runs once per period across all workers."""

    def decorator(function: Callable[..., Any]) -> Any:
        name = f"{function.__module__}.{function.__name__}"

        @functools.wraps(function)
        def once_per_period(*args: Any, **kwargs: Any) -> Any:
            start = period_start(validate, _huey_now())
            if not claim(name, start):
                log.debug("%s for %s already ran on another worker", name, start)
                return None
            log.info("%s runs for the period from %s", name, start.isoformat())
            return function(*args, **kwargs)

        task = db_periodic_task(validate, **options)(once_per_period)
        task.call_local = function
        return task

    return decorator
