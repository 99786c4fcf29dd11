"""A real SMTP server on 127.0.0.1 for tests that send email, built on aiosmtpd.

aiosmtpd's ``Controller`` runs the server's event loop in a thread of its own, so a test (or
the code it drives, such as Django's SMTP backend) talks to it over a real socket. Every message
it accepts is kept, parsed, in ``server.messages``::

    with SmtpServer() as server:
        smtplib.SMTP(server.host, server.port).sendmail("a@x", ["b@y"], "Subject: hi\\r\\n\\r\\nhi")
        assert server.messages[0].recipients == ["b@y"]

Recipients in ``server.refuse`` are answered 550; ``server.commands`` lists every command line
received. The ``smtp_server`` fixture starts one per test; ``smtp_settings`` points Django at it.
See docs/decisions/0005-aiosmtpd-test-mail-server.md for why it replaced a hand-written one.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

MAX_MESSAGE = 10 * 1024 * 1024


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

    @property
    def html(self) -> str:
        """The HTML part ("" when there is none)."""
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


class _Handler:
    """aiosmtpd's handler hooks: refuse some recipients, keep every message accepted."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address in self.owner.refuse:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        self.owner._deliver(ReceivedMessage(envelope.mail_from, list(envelope.rcpt_tos), data,
                                            tuple(session.peer[:2])))
        return "250 OK: queued"


class _LoggingSMTP(SMTP):
    """aiosmtpd's SMTP session, noting each command line it receives (``server.commands``)."""

    def __init__(self, handler: _Handler, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        owner = handler.owner
        for verb, method in list(self._smtp_methods.items()):
            self._smtp_methods[verb] = self._logged(owner, verb, method)

    @staticmethod
    def _logged(owner: SmtpServer, verb: str, method):
        async def run(arg):
            owner._log_command(f"{verb} {arg}" if arg else verb)
            return await method(arg)

        return run


class _Controller(Controller):
    """aiosmtpd's threaded controller, serving a socket bound before it starts (port 0 works)."""

    def __init__(self, handler: _Handler, sock: socket.socket, **kwargs) -> None:
        host, port = sock.getsockname()[:2]
        super().__init__(handler, hostname=host, port=port, **kwargs)
        self._sock = sock

    def factory(self) -> SMTP:
        return _LoggingSMTP(self.handler, **self.SMTP_kwargs)

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


class SmtpServer:
    """An SMTP server on 127.0.0.1 and a free port; keeps the messages it receives."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 hostname: str = "smtp.test") -> None:
        self.hostname = hostname
        self.refuse: set[str] = set()  # recipients answered with 550
        self.messages: list[ReceivedMessage] = []
        self.commands: list[str] = []
        self._lock = threading.Condition()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        self.host, self.port = sock.getsockname()[:2]
        self._controller = _Controller(_Handler(self), sock, server_hostname=hostname,
                                       data_size_limit=MAX_MESSAGE)
        self._running = False

    def start(self) -> SmtpServer:
        self._controller.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop listening (the port then refuses connections); stopping twice is harmless."""
        if self._running:
            self._running = False
            self._controller.stop()

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
