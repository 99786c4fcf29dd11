"""The worker's heartbeat: a timestamp it writes every 30 seconds where the queue lives.

It goes into Huey's own storage (the SQLite queue file, or Redis), which the web processes and
the worker always share, since that is how tasks reach the worker. The cache would not do: the
file cache drops entries at random when it is full.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

log = logging.getLogger("broadsheet.worker")

KEY = "broadsheet:worker-heartbeat"
EVERY = 30  # seconds


def _huey():
    from huey.contrib.djhuey import HUEY

    return HUEY


def beat(now: float | None = None) -> None:
    """Record that a worker is alive now."""
    _huey().put(KEY, {"at": time.time() if now is None else now,
                      "host": socket.gethostname(), "pid": os.getpid()})


def last_beat() -> dict[str, Any] | None:
    """The newest heartbeat of any worker, or None when no worker ever wrote one."""
    value = _huey().get(KEY, peek=True)
    return value if isinstance(value, dict) else None


class Heartbeat(threading.Thread):
    """Beats while the consumer runs: its scheduler alive and no stop asked for."""

    def __init__(self, consumer) -> None:
        super().__init__(name="Heartbeat", daemon=True)
        self.consumer = consumer

    def run(self) -> None:
        # The first beat as soon as the consumer has started, then every EVERY seconds.
        if self.consumer.stop_flag.wait(1):
            return
        while True:
            if self.consumer.scheduler.is_alive():
                try:
                    beat()
                except Exception:  # noqa: BLE001 - a missed beat is reported by /readyz
                    log.warning("could not write the worker heartbeat", exc_info=True)
            if self.consumer.stop_flag.wait(EVERY):
                return
