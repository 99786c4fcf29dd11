"""A real HTTP/1.1 server on 127.0.0.1 for tests that fetch over the network.

Use it as a context manager or through the ``http_server`` pytest fixture::

    with NetServer() as server:
        server.route("/feed.xml", body=b"<rss/>", headers={"ETag": '"v1"'})
        server.route("/old", handler=lambda req: redirect("/feed.xml"))
        fetch(server.url("/feed.xml"))
        assert server.last_request("/feed.xml").headers["if-none-match"] == '"v1"'

A route answers with a fixed status/body/headers (optionally after ``delay`` seconds) or calls
``handler(request)``, which returns a ``Reply`` or a ``(status, headers, body)`` tuple. A body may
be bytes or any iterable of bytes: iterables are streamed (chunked unless the headers give a
Content-Length), so huge or slow bodies never sit in memory. Raise ``ResetConnection`` from a
handler or from inside a body iterable to reset the TCP connection. Every request is logged, and
the server tracks how many were in flight at once.

Each connection is served by its own thread, so slow handlers do not block other requests.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import gzip
import socket
import struct
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Body = bytes | Iterable[bytes]


class ResetConnection(Exception):  # noqa: N818 - reads as an action in handlers
    """Raise from a handler or a body iterable to reset the connection (TCP RST)."""


@dataclass
class Request:
    """One request as the server received it."""

    method: str
    path: str  # the request target, query included
    headers: dict[str, str]  # lower-cased names
    body: bytes
    started: float  # time.monotonic() when the request line was read
    client: tuple[str, int]


@dataclass
class Reply:
    """What a handler answers. ``body`` may be bytes or an iterable of bytes (streamed)."""

    status: int = 200
    headers: Mapping[str, str] | Iterable[tuple[str, str]] = field(default_factory=dict)
    body: Body = b""
    delay: float = 0.0  # seconds before the status line is sent
    reset: bool = False  # reset the connection instead of answering


Handler = Callable[[Request], "Reply | tuple[int, Mapping[str, str], Body]"]


@dataclass
class _Route:
    status: int
    body: Body
    headers: Mapping[str, str]
    delay: float
    handler: Handler | None


# --- body helpers --------------------------------------------------------------------------------


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzip-compressed, for a reply with ``Content-Encoding: gzip``."""
    return gzip.compress(data)


@functools.cache
def gzip_bomb(decoded_size: int = 1 << 30) -> bytes:
    """A valid gzip stream of ``decoded_size`` zero bytes (about 1 MB per GB), built in ms.

    Every 1 MiB block of zeros is compressed after a full flush, so all blocks compress to the
    same bytes: one is made and repeated, and the CRC is computed a block at a time.
    """
    block = 1 << 20
    zeros = bytes(block)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    assert again == deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(decoded_size, block)
    parts = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"]  # gzip header, no name, mtime 0
    crc = 0
    if full:
        parts.append(first)
        parts.append(again * (full - 1))
        for _ in range(full):
            crc = zlib.crc32(zeros, crc)
    if rest:
        parts.append(deflate.compress(bytes(rest)))
        crc = zlib.crc32(bytes(rest), crc)
    parts.append(deflate.flush(zlib.Z_FINISH))
    parts.append(struct.pack("<II", crc, decoded_size & 0xFFFFFFFF))
    return b"".join(parts)


def zeros(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` zero bytes in chunks: a huge body that is never held in memory."""
    piece = bytes(chunk)
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        yield piece if n == chunk else piece[:n]
        sent += n


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status=status, headers={"Location": location})


def http_date(seconds_from_now: float = 0.0) -> str:
    """An HTTP-date (RFC 9110) this many seconds from now, for Retry-After, Expires, etc."""
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


# --- the server ----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 60  # an idle keep-alive connection is dropped after this

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.owner._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
        pass  # quiet: the request log is the record

    def _serve(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=self.command, path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
            started=time.monotonic(), client=self.client_address[:2],
        )
        owner._enter(request)
        try:
            self._answer(owner, request)
        except ResetConnection:
            self._reset()
        except OSError:  # the client went away (or timed out) mid-answer
            self.close_connection = True
        finally:
            owner._leave()

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

    def _answer(self, owner: NetServer, request: Request) -> None:
        """Send the handler's reply: after its delay, as a reset, or as headers and body."""
        reply = self._reply(owner, request)
        if reply.delay and not owner.sleep(reply.delay):
            self.close_connection = True
            return
        if reply.reset:
            raise ResetConnection
        headers = list(reply.headers.items() if isinstance(reply.headers, Mapping)
                       else reply.headers)
        names = {name.lower() for name, _ in headers}
        self.send_response(reply.status)
        for name, value in headers:
            self.send_header(name, value)
        no_body = self.command == "HEAD" or reply.status in (204, 304) or reply.status < 200
        if isinstance(reply.body, bytes | bytearray):
            self._send_bytes(reply, names, no_body)
        else:
            self._send_pieces(reply, names, no_body)

    @staticmethod
    def _reply(owner: NetServer, request: Request) -> Reply:
        """The handler's reply; a handler that fails answers 500 with its traceback."""
        try:
            return owner._reply_for(request)
        except ResetConnection:
            raise
        except Exception:
            owner.errors.append(traceback.format_exc())
            return Reply(500, {"Content-Type": "text/plain"},
                         b"netfixture handler failed:\n" + owner.errors[-1].encode())

    def _send_bytes(self, reply: Reply, names: set[str], no_body: bool) -> None:
        """A body given whole: with its length unless the handler set one."""
        if "content-length" not in names and reply.status not in (204, 304):
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if not no_body:
            self.wfile.write(reply.body)

    def _send_pieces(self, reply: Reply, names: set[str], no_body: bool) -> None:
        """A body given in pieces: chunked on HTTP/1.1 without a length, else to the close."""
        chunked = not no_body and "content-length" not in names
        if chunked:
            if self.request_version == "HTTP/1.1":
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
                chunked = False
        self.end_headers()
        if no_body:
            return
        for piece in reply.body:
            if not piece:
                continue
            if chunked:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self.wfile.write(piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _reset(self) -> None:
        """Close with SO_LINGER 0, which makes the kernel send RST instead of FIN."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.rfile.close()
            self.wfile.close()
            self.connection.close()
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128
    owner: NetServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.owner.errors.append(traceback.format_exc())


class NetServer:
    """A threaded HTTP server on 127.0.0.1 with routes, a request log and in-flight counting."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._requested_port = port
        self.port = 0
        self.errors: list[str] = []  # tracebacks from handlers, for debugging a failing test
        self._routes: dict[str, _Route] = {}
        self._log: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._in_flight = 0
        self._max_in_flight = 0
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> NetServer:
        self._server = _Server((self.host, self._requested_port), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"netfixture:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            open_connections = list(self._connections)
        for conn in open_connections:  # wake threads waiting on idle keep-alive connections
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> NetServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # routes
    def route(self, path: str, status: int = 200, body: Body = b"",
              headers: Mapping[str, str] | None = None, delay: float = 0.0,
              handler: Handler | None = None) -> str:
        """Answer ``path`` (the query string is ignored unless registered too); returns its URL."""
        self._routes[path] = _Route(status, body, dict(headers or {}), delay, handler)
        return self.url(path)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def sleep(self, seconds: float) -> bool:
        """Sleep in a handler; returns False early when the server is stopping."""
        return not self._stop.wait(seconds)

    def trickle(self, chunks: Iterable[bytes], interval: float) -> Iterator[bytes]:
        """A slow body: each chunk after ``interval`` seconds (stops when the server stops)."""
        for piece in chunks:
            if not self.sleep(interval):
                return
            yield piece

    # the log
    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._log)

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path or r.path.split("?")[0] == path]

    def hits(self, path: str) -> int:
        return len(self.requests_for(path))

    def last_request(self, path: str) -> Request:
        found = self.requests_for(path)
        if not found:
            raise AssertionError(f"no request for {path}; got {[r.path for r in self.requests]}")
        return found[-1]

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """Most requests being answered at the same moment since start (or clear_log)."""
        return self._max_in_flight

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()
            self._max_in_flight = self._in_flight

    # called from handler threads
    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _enter(self, request: Request) -> None:
        with self._lock:
            self._log.append(request)
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _reply_for(self, request: Request) -> Reply:
        route = self._routes.get(request.path) or self._routes.get(request.path.split("?")[0])
        if route is None:
            return Reply(404, {"Content-Type": "text/plain"}, b"no route for " +
                         request.path.encode())
        if route.handler is None:
            return Reply(route.status, route.headers, route.body, route.delay)
        answer = route.handler(request)
        if isinstance(answer, tuple):
            status, headers, body = answer
            answer = Reply(status, headers, body)
        if route.delay and not answer.delay:
            answer.delay = route.delay
        return answer


@pytest.fixture
def http_server() -> Iterator[NetServer]:
    """A fresh NetServer on 127.0.0.1 for one test; stopped afterwards."""
    with NetServer() as server:
        yield server
