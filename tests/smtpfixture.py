"""A real SMTP server on 127.0.0.1 for tests that send email.

It speaks enough of RFC 5321 for a client such as smtplib (and so Django's SMTP backend): the
greeting, EHLO/HELO, MAIL FROM, RCPT TO, DATA (with dot-unstuffing), RSET, NOOP and QUIT. Every
message it accepts is kept, parsed, in ``server.messages``::

    with SmtpServer() as server:
        smtplib.SMTP(server.host, server.port).sendmail("a@x", ["b@y"], "Subject: hi\\r\\n\\r\\nhi")
        assert server.messages[0].recipients == ["b@y"]

Each connection is served by its own thread. The ``smtp_server`` fixture starts one per test.
"""

from __future__ import annotations

import email
import email.policy
import re
import socketserver
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest

MAX_LINE = 1000 * 64  # generous: the RFC's limit is 1000 octets, some clients exceed it
MAX_MESSAGE = 10 * 1024 * 1024

_ADDRESS = re.compile(r"^(MAIL FROM|RCPT TO):\s*<([^>]*)>", re.I)


@dataclass
class ReceivedMessage:
    """One message as delivered: the envelope and the parsed content."""

    sender: str
    recipients: list[str]
    data: bytes
    peer: tuple[str, int]
    message: EmailMessage = field(init=False)

    def __post_init__(self) -> None:
        self.message = email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def body(self) -> str:
        """The plain-text body (or the first text part)."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


class _Session(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def readline(self) -> str | None:
        raw = self.rfile.readline(MAX_LINE)
        if not raw:
            return None
        return raw.decode("utf-8", "replace").rstrip("\r\n")

    def handle(self) -> None:
        owner = self.server.owner
        self.reply(f"220 {owner.hostname} ESMTP test server ready")
        sender: str | None = None
        recipients: list[str] = []
        while True:
            line = self.readline()
            if line is None:
                return
            verb = line.split(" ", 1)[0].upper()
            owner._log_command(line)
            if verb == "EHLO":
                self.wfile.write(f"250-{owner.hostname} greets you\r\n".encode())
                self.wfile.write(f"250-SIZE {MAX_MESSAGE}\r\n".encode())
                self.wfile.write(b"250-8BITMIME\r\n")
                self.reply("250 SMTPUTF8")
            elif verb == "HELO":
                self.reply(f"250 {owner.hostname}")
            elif verb in ("MAIL", "RCPT"):
                match = _ADDRESS.match(line)
                if not match:
                    self.reply("501 Syntax: MAIL FROM:<address> / RCPT TO:<address>")
                elif verb == "MAIL":
                    if sender is not None:
                        self.reply("503 Sender already given")
                    else:
                        sender, recipients = match.group(2), []
                        self.reply("250 OK")
                elif sender is None:
                    self.reply("503 Need MAIL before RCPT")
                elif match.group(2) in owner.refuse:
                    self.reply("550 No such mailbox")
                else:
                    recipients.append(match.group(2))
                    self.reply("250 OK")
            elif verb == "DATA":
                if sender is None or not recipients:
                    self.reply("503 Need MAIL and RCPT before DATA")
                    continue
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = self._read_data()
                if data is None:
                    return
                owner._deliver(ReceivedMessage(sender, recipients, data, self.client_address))
                self.reply("250 OK: queued")
                sender, recipients = None, []
            elif verb == "RSET":
                sender, recipients = None, []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def _read_data(self) -> bytes | None:
        lines: list[bytes] = []
        size = 0
        while True:
            raw = self.rfile.readline(MAX_LINE)
            if not raw:
                return None
            if raw in (b".\r\n", b".\n"):
                return b"".join(lines)
            if raw.startswith(b"."):
                raw = raw[1:]  # dot-stuffing (RFC 5321 4.5.2)
            size += len(raw)
            if size <= MAX_MESSAGE:
                lines.append(raw)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: SmtpServer


class SmtpServer:
    """An SMTP server on 127.0.0.1 and a free port; keeps the messages it receives."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 hostname: str = "smtp.test") -> None:
        self.hostname = hostname
        self.refuse: set[str] = set()  # recipients answered with 550
        self.messages: list[ReceivedMessage] = []
        self.commands: list[str] = []
        self._lock = threading.Condition()
        self._server = _Server((host, port), _Session)
        self._server.owner = self
        self.host, self.port = self._server.server_address[:2]
        self._thread: threading.Thread | None = None

    def start(self) -> SmtpServer:
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _deliver(self, message: ReceivedMessage) -> None:
        with self._lock:
            self.messages.append(message)
            self._lock.notify_all()

    def _log_command(self, line: str) -> None:
        with self._lock:
            self.commands.append(line)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMessage]:
        """The messages once at least ``count`` have arrived (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {len(self.messages)}")
                self._lock.wait(left)
            return list(self.messages)

    def to(self, address: str) -> list[ReceivedMessage]:
        with self._lock:
            return [m for m in self.messages if address in m.recipients]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A fresh SMTP server on 127.0.0.1 for one test; stopped afterwards."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def smtp_settings(smtp_server: SmtpServer, settings) -> SmtpServer:
    """Django sends email over SMTP to ``smtp_server`` for this test."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return smtp_server
