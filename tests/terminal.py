"""A terminal program driven through a pseudo-terminal, as a person at a keyboard would.

    with Terminal([newsboat, "-C", config], env=env) as term:
        term.wait_for("The Harbour Gazette")
        term.press("\\r")

Everything the program writes is kept; ``screen_text`` is that output with the terminal's control
sequences taken out, which is enough to see that a word was drawn. What a key press *did* is
better checked where it lands (a database, a file) with ``eventually``.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
# Escape sequences (CSI, charset choice, keypad modes) and other control bytes.
CONTROL = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]"
                     rb"|[\x00-\x08\x0e-\x1f]")


class Terminal:
    """A program on the slave side of a pty, ``columns`` × ``rows`` characters."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path | None = None,
                 columns: int = 140, rows: int = 40) -> None:
        self.argv, self.env, self.cwd = argv, env, cwd
        self.columns, self.rows = columns, rows
        self.output = bytearray()
        self._lock = threading.Lock()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Terminal:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.columns, 0, 0))
        self.process = subprocess.Popen(self.argv, stdin=slave, stdout=slave, stderr=slave,
                                        env=self.env, cwd=self.cwd, start_new_session=True,
                                        close_fds=True)
        os.close(slave)
        self._master = master
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # the program closed the terminal
                return
            if not chunk:
                return
            with self._lock:
                self.output.extend(chunk)

    def screen_text(self) -> str:
        with self._lock:
            raw = bytes(self.output)
        return CONTROL.sub(b"", raw).decode("utf-8", "replace")

    def wait_for(self, text: str, timeout: float = 20.0) -> None:
        """Until ``text`` has been drawn (anywhere in the output so far)."""
        eventually(lambda: text in self.screen_text() or None, timeout,
                   lambda: f"{text!r} never appeared; the screen said:\n"
                           f"{self.screen_text()[-3000:]}")

    def mark(self) -> int:
        """Where the output has got to: pass to ``wait_for_after`` to see only what comes next."""
        with self._lock:
            return len(self.output)

    def wait_for_after(self, position: int, text: str, timeout: float = 20.0) -> None:
        def drawn() -> bool | None:
            with self._lock:
                raw = bytes(self.output[position:])
            return text in CONTROL.sub(b"", raw).decode("utf-8", "replace") or None

        eventually(drawn, timeout, lambda: f"{text!r} was not drawn again; the screen said:\n"
                                           f"{self.screen_text()[-3000:]}")

    def press(self, keys: str, pause: float = 0.3) -> None:
        """Type ``keys`` (``"\\r"`` is Enter), then give the program a moment to draw."""
        os.write(self._master, keys.encode())
        time.sleep(pause)

    def wait_exit(self, timeout: float = 20.0) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        os.close(self._master)
        self._reader.join(timeout=5)


def eventually(check: Callable[[], T | None], timeout: float = 20.0,
               explain: Callable[[], str] | None = None) -> T:
    """The first true answer of ``check`` within ``timeout`` seconds, else a failed assertion."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(explain() if explain else "the condition never held")
        time.sleep(0.1)
