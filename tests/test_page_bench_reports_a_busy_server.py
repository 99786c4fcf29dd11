"""The page benchmark (bench/pages.py) reports a page it could not measure and goes on.

A server that does not work off its queue within the settle time gets a row saying so in the
report, instead of ending the whole run with a traceback.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import pages  # noqa: E402


@pytest.fixture
def silent_server():
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for connection in held:
        connection.close()
    listener.close()


def test_a_server_that_stays_busy_is_reported_not_a_traceback(silent_server):
    started = time.monotonic()
    with pytest.raises(pages.ServerBusy, match="still busy"):
        pages.settle(silent_server, seconds=1.0)
    assert time.monotonic() - started < 5


def test_an_unmeasured_page_is_a_row_of_the_report(silent_server, tmp_path):
    page = pages.PAGES[0]
    args = pages.options(["--connections", "1,16", "--settle", "1", "--warm-up", "0"])
    rows = list(pages.measure(silent_server, page, "visitor", ["/"], {}, args, tmp_path))
    assert len(rows) == 1 and rows[0]["connections"] == 1
    assert "not measured" in rows[0]["na"] and "still busy" in rows[0]["na"]
