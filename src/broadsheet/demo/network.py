"""A real HTTP server on 127.0.0.1 serving the demo publisher network.

``broadsheet demo`` and the tests use it to exercise the whole ingest path (fetch, parse,
extract, dedupe, cluster) offline: five fictional publishers with RSS, Atom, JSON Feed and a news
sitemap, realistic article pages and images. It answers conditional requests (ETag,
If-Modified-Since) like a well-behaved publisher, so scheduling and caching can be seen working.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import unquote, urlsplit

from broadsheet.sources.catalog import FeedEntry, InstallResult, PublisherEntry, install_catalog

from .site import DemoArticle, DemoFeed, DemoPublisher, Resource, Site

DEFAULT_PORT = 8765  # a fixed port keeps source URLs stable between demo runs

__all__ = ["DEFAULT_PORT", "DemoArticle", "DemoFeed", "DemoNetwork", "DemoPublisher"]

_NOT_FOUND = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Page not found</title></head>
<body><h1>Page not found</h1><p>Sorry, we couldn't find that page.</p></body></html>
"""


class DemoNetwork:
    """Serve the demo network in a background thread; use as a context manager or start/stop.

    ``port=0`` picks a free port. ``now`` fixes the clock the article dates are relative to
    (default: the moment ``start()`` is called).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 now: datetime | None = None) -> None:
        self.host = host
        self.port = port
        self._now = now
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._site: Site | None = None
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str, int]] = []  # (method, path with query, status)

    # Lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._site = Site(f"http://{self.host}:{self.port}", self._now)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"demo-network-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # What it serves ----------------------------------------------------------------------

    @property
    def site(self) -> Site:
        if self._site is None:
            raise RuntimeError("the demo network is not started; call start() first")
        return self._site

    @property
    def base_url(self) -> str:
        return self.site.base_url

    @property
    def now(self) -> datetime:
        return self.site.now

    def feeds(self) -> list[DemoFeed]:
        """Every feed and news sitemap, with the publisher and section it belongs to."""
        return list(self.site.feeds)

    def publishers(self) -> list[DemoPublisher]:
        return list(self.site.publishers)

    def articles(self) -> list[DemoArticle]:
        """Every article page, newest first; ``story`` groups one story's coverage."""
        return list(self.site.articles)

    def stories(self) -> dict[str, list[DemoArticle]]:
        """Articles grouped by news story (only stories covered by two or more articles)."""
        groups: dict[str, list[DemoArticle]] = {}
        for article in self.site.articles:
            groups.setdefault(article.story, []).append(article)
        return {story: group for story, group in groups.items() if len(group) > 1}

    def catalog(self) -> list[PublisherEntry]:
        """The network as catalogue entries, for ``sources.catalog.install_catalog``."""
        return [
            PublisherEntry(
                name=p.name, homepage=p.homepage, country=p.country, language=p.language,
                feeds=[FeedEntry(url=f.url, section=f.section, kind=f.kind)
                       for f in self.site.feeds if f.publisher == p.name])
            for p in self.site.publishers]

    def install(self) -> InstallResult:
        """Create Publisher and Source rows for the network (idempotent; needs the database)."""
        return install_catalog(self.catalog())

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))


def _handler_for(network: DemoNetwork) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "DemoPublisher/1.0"
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in separate writes

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._respond(body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._respond(body=False)

        def _respond(self, body: bool) -> None:
            path = unquote(urlsplit(self.path).path) or "/"
            resource = network.site.resolve(path)
            if resource is None:
                self._send(404, Resource(_NOT_FOUND, "text/html; charset=utf-8"), body)
            elif _not_modified(self.headers, resource):
                self._send(304, resource, False)
            else:
                self._send(200, resource, body)
            network._record(self.command, self.path, self._status)

        def _send(self, status: int, resource: Resource, body: bool) -> None:
            self._status = status
            self.send_response(status)
            self.send_header("ETag", _etag(resource))
            if resource.last_modified is not None:
                self.send_header("Last-Modified", format_datetime(
                    resource.last_modified.astimezone(UTC), usegmt=True))
            if status == 304:
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_header("Content-Type", resource.content_type)
            self.send_header("Content-Length", str(len(resource.body)))
            self.send_header("Cache-Control", "public, max-age=60")
            self.end_headers()
            if body:
                self.wfile.write(resource.body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: requests are recorded on ``network.requests`` instead."""

    return Handler


def _etag(resource: Resource) -> str:
    return '"' + hashlib.sha1(resource.body, usedforsecurity=False).hexdigest()[:20] + '"'


def _not_modified(headers, resource: Resource) -> bool:
    match = headers.get("If-None-Match")
    if match:
        return _etag(resource) in [tag.strip() for tag in match.split(",")] or match == "*"
    since = headers.get("If-Modified-Since")
    if since and resource.last_modified is not None:
        try:
            return resource.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False
