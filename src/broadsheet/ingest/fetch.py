"""Fetch stage: safe, polite HTTP GETs for feeds, article pages and robots.txt files.

Contract (implemented below):
- ``FetchPolicy`` holds limits; ``FetchPolicy.from_settings()`` reads Django's ``settings.FETCH``.
- ``Fetcher(policy, hosts=book)`` is an async context manager sharing one connection pool, a global
  concurrency limit and the per-host gates of :mod:`.hosts` (in-flight limit, spacing of request
  starts, pauses after 429/503). ``await fetcher.fetch(url, etag=..., last_modified=...)`` returns
  a ``FetchResult`` or raises ``FetchError`` with a clear message.
- ``fetch_sync(url, ...)`` runs one fetch for callers without an event loop.

Safety: only http and https, and no internal address (see :mod:`.addresses`). Bodies are capped
after decompression, so a small compressed "bomb" is stopped without being inflated.
"""

from __future__ import annotations

import asyncio
import email.utils
import http.cookiejar
import math
import socket
import zlib
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TypeVar

import httpx

from broadsheet import metrics

from . import hosts as host_stage
from .addresses import (
    ALLOW_PRIVATE_HINT,
    AddressRefused,
    GuardedTransport,
    ResolveFailed,
    address_refusal,
    literal_ip,
)
from .robots import host_of, origin_of

__all__ = ["Fetcher", "FetchError", "FetchPolicy", "FetchResult", "address_refusal",
           "fetch_sync", "parse_retry_after"]

T = TypeVar("T")

# Feeds first, then pages; anything else still accepted so that odd servers answer at all.
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, "
    "text/html;q=0.8, application/xhtml+xml;q=0.8, */*;q=0.5"
)
# Only what this module can decode with a hard output cap (no brotli decoder is installed).
ACCEPT_ENCODING = "gzip, deflate"

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_UNDECODABLE = frozenset({"br", "zstd", "compress", "x-compress"})


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False
    user_agent: str = "Broadsheet/0.1"
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    total_timeout: float = 60.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    concurrency: int = 50
    per_host: int = 2
    host_delay: float = 1.0
    max_items: int = 300  # new items taken from one source per fetch (see ingest/turns.py)
    # Host names or literal addresses exempt from the private-address check even when
    # allow_private is off (an operator's intranet feed server). Matched exactly, lower-case.
    trusted_hosts: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, **overrides) -> FetchPolicy:
        from django.conf import settings

        return cls(**{**settings.FETCH, **overrides})


@dataclass
class FetchResult:
    url: str  # as requested
    final_url: str  # after redirects
    status: int  # 200, or 304 when not_modified
    headers: dict[str, str]  # lower-cased names
    body: bytes  # decoded from Content-Encoding, capped at max_bytes; b"" on 304
    fetched_at: datetime
    not_modified: bool = False
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""  # media type only, lower-case, e.g. "application/rss+xml"
    charset: str = ""  # from the Content-Type header, if given
    redirects: list[str] = field(default_factory=list)  # each URL that answered with a redirect


class FetchError(Exception):
    """A fetch that failed, with a message fit to show an editor.

    ``kind`` is one of: "timeout", "connection", "dns", "blocked_address", "too_large",
    "too_many_redirects", "http_status", "bad_url", "decoding", or "paused" (not sent: the host
    asked us to wait after a 429 or 503; ``retry_after`` says for how long).
    """

    def __init__(self, kind: str, message: str, *, url: str = "", status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.url = url
        self.status = status
        self.retry_after = retry_after  # seconds, from a Retry-After header

    def __str__(self) -> str:
        return self.message


# --- response helpers --------------------------------------------------------------------------


def parse_retry_after(value: str, now: datetime | None = None) -> float | None:
    """Seconds to wait from Retry-After: delta-seconds or an HTTP-date; None if unusable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _content_type(value: str) -> tuple[str, str]:
    media, _, params = value.partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower()
    return media.strip().lower(), charset


def _flat_headers(headers: httpx.Headers) -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in headers.multi_items():
        name = name.lower()
        flat[name] = f"{flat[name]}, {value}" if name in flat else value
    return flat


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"


class _Decoder:
    """Undoes one Content-Encoding a chunk at a time, never producing more than asked for.

    The output cap is what stops a decompression bomb: zlib is told the most it may produce, so
    memory stays near the body limit whatever the compression ratio.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._raw_fallback = encoding == "deflate"
        if encoding == "identity":
            self._z = None
        elif encoding == "gzip":
            self._z = zlib.decompressobj(32 + zlib.MAX_WBITS)  # gzip, or zlib if mislabelled
        else:
            self._z = zlib.decompressobj(zlib.MAX_WBITS)

    def decode(self, data: bytes, max_out: int) -> bytes:
        if self._z is None:
            return data
        if self._z.eof:
            return b""  # trailing bytes after the compressed stream are ignored
        try:
            out = self._z.decompress(data, max_out)
        except zlib.error:
            if not self._raw_fallback:
                raise
            # Some servers send raw deflate without the zlib wrapper; try that once.
            self._raw_fallback = False
            self._z = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._z.decompress(data, max_out)
        self._raw_fallback = False
        return out

    def flush(self) -> bytes:
        return self._z.flush() if self._z is not None and not self._z.eof else b""


def _decoder_for(content_encoding: str, url: str) -> _Decoder:
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return _Decoder("identity")
    if len(codings) > 1:
        raise FetchError("decoding", f"{url} answered with stacked content encodings "
                         f"({content_encoding}), which are not supported", url=url)
    coding = {"x-gzip": "gzip"}.get(codings[0], codings[0])
    if coding in ("gzip", "deflate"):
        return _Decoder(coding)
    if coding in _UNDECODABLE:
        raise FetchError("decoding", f"{url} answered with Content-Encoding {coding}, which "
                         "was not requested and cannot be decoded", url=url)
    return _Decoder("identity")  # a bogus label such as "utf-8": the body is plain


# --- the fetcher -------------------------------------------------------------------------------


def _cookie_state(jar: httpx.Cookies) -> tuple[tuple[str, str, str, str | None], ...]:
    return tuple(sorted((c.domain, c.path, c.name, c.value) for c in jar.jar))


def _header_value(value: str) -> bytes:
    """A stored validator sent back byte for byte, even when a server put non-ASCII in it."""
    if value.isascii():
        return value.encode("ascii")
    try:
        return value.encode("latin-1")  # how header bytes were decoded when first received
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _parse_url(url: str, requested: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError("bad_url", f"Not a valid URL: {url!r} ({exc})", url=requested) from None
    if parsed.scheme not in ("http", "https"):
        raise FetchError("bad_url", f"Only http and https URLs can be fetched, not "
                         f"{parsed.scheme or 'relative'} URLs: {url}", url=requested)
    if not parsed.host:
        raise FetchError("bad_url", f"URL has no host: {url}", url=requested)
    return parsed


class Fetcher:
    """Fetches many URLs politely over one shared connection pool.

    Use as ``async with Fetcher(policy) as fetcher: await fetcher.fetch(url)``. Limits: at most
    ``policy.concurrency`` requests in flight overall, ``policy.per_host`` per host (origin), and
    ``policy.host_delay`` seconds (or the host's Crawl-delay, when ``hosts`` knows a larger one)
    between the starts of two requests to the same host. A host that answers 429 or 503 is
    paused in ``hosts``, and no request goes to it until the pause ends.
    """

    def __init__(self, policy: FetchPolicy | None = None,
                 hosts: host_stage.HostBook | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self._trusted = frozenset(h.lower().strip("[]") for h in self.policy.trusted_hosts)
        self._client: httpx.AsyncClient | None = None
        self._global: asyncio.Semaphore | None = None
        self.gates = host_stage.HostGates(self.policy.per_host, self.policy.host_delay, hosts)

    async def __aenter__(self) -> Fetcher:
        p = self.policy
        limits = httpx.Limits(max_connections=max(1, p.concurrency),
                              max_keepalive_connections=max(1, p.concurrency),
                              keepalive_expiry=30.0)
        try:
            import h2  # noqa: F401

            http2 = True
        except ImportError:
            http2 = False
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(p.allow_private, p.trusted_hosts, limits, http2),
            headers={"User-Agent": p.user_agent, "Accept": ACCEPT,
                     "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(connect=p.connect_timeout, read=p.read_timeout,
                                  write=p.read_timeout, pool=p.connect_timeout),
            follow_redirects=False,
            trust_env=False,  # an environment proxy would bypass the address checks
            # No cookie outlives its fetch: a shared jar would let metered paywalls count us
            # and carry one source's session into the next. Redirects within a fetch keep theirs.
            cookies=http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[])),
        )
        self._global = asyncio.Semaphore(max(1, p.concurrency))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str, etag: str = "", last_modified: str = "", *,
                    headers: Mapping[str, str] | None = None) -> FetchResult:
        """GET ``url``, following redirects; conditional when ``etag``/``last_modified`` given.

        Returns a FetchResult (``not_modified=True`` and an empty body on 304). Raises FetchError
        for anything else: bad URL, refused address, DNS, connection, timeout, HTTP 4xx/5xx, too
        many redirects, body over the limit, undecodable body, a host paused after 429/503.
        """
        clock = metrics.Stopwatch()
        try:
            result = await self._fetch(url, etag, last_modified, headers, clock)
        except FetchError as error:
            metrics.fetch_failed(error.kind, clock.seconds())
            raise
        metrics.fetched(result.not_modified, clock.seconds())
        return result

    async def _fetch(self, url: str, etag: str, last_modified: str,
                     headers: Mapping[str, str] | None, clock: metrics.Stopwatch) -> FetchResult:
        if self._client is None or self._global is None:
            raise RuntimeError("Fetcher must be used as 'async with Fetcher(policy) as f'")
        target = _parse_url(url, url)
        send_headers = {name.encode("ascii"): _header_value(value)  # as httpx encodes names
                        for name, value in (headers or {}).items()}
        if etag:
            send_headers[b"If-None-Match"] = _header_value(etag)
        if last_modified:
            send_headers[b"If-Modified-Since"] = _header_value(last_modified)
        loop = asyncio.get_running_loop()
        redirects: list[str] = []
        jar = httpx.Cookies()  # cookies set during this fetch's redirects (consent walls)
        seen = {(str(target), _cookie_state(jar))}
        deadline: float | None = None
        while True:
            self._refuse_literal(target, url)
            origin = origin_of(str(target))
            slot = self.gates.enter(origin)
            try:
                async with slot.sem:
                    start = self.gates.start(origin, slot, self._global.acquire)
                    if deadline is None:  # time queued behind other fetches does not count
                        await self._paused_is_an_error(start, url)
                        deadline = loop.time() + self.policy.total_timeout
                        clock.start()
                    else:
                        await self._within(deadline, self._paused_is_an_error(start, url), url)
                    try:
                        outcome = await self._within(
                            deadline, self._exchange(target, send_headers, jar, url), url)
                    finally:
                        self._global.release()
            finally:
                self.gates.leave(origin, slot)
            if isinstance(outcome, FetchResult):
                outcome.redirects = redirects
                return outcome
            redirects.append(str(target))
            target = outcome
            # Coming back to a URL is a loop only if nothing changed; a consent wall that sets a
            # cookie and sends us back is not.
            visit = (str(target), _cookie_state(jar))
            if visit in seen:
                chain = " -> ".join([*redirects, str(target)])
                raise FetchError("too_many_redirects", f"Redirect loop: {chain}", url=url)
            if len(redirects) > self.policy.max_redirects:
                raise FetchError("too_many_redirects",
                                 f"{url} redirected more than {self.policy.max_redirects} times "
                                 f"(last to {target})", url=url)
            seen.add(visit)

    async def _paused_is_an_error(self, start: Awaitable[None], url: str) -> None:
        try:
            await start
        except host_stage.HostPaused as paused:
            state = paused.state
            until = f"{state.paused_until:%Y-%m-%d %H:%M:%S} UTC" if state.paused_until else ""
            raise FetchError("paused", f"Not fetched: {host_of(state.origin)} asked Broadsheet to "
                             f"wait ({state.pause_reason}) until {until}", url=url,
                             retry_after=paused.seconds) from None

    async def _within(self, deadline: float, step: Awaitable[T], url: str) -> T:
        try:
            async with asyncio.timeout_at(deadline):
                return await step
        except TimeoutError:
            raise FetchError("timeout", f"Fetching {url} took longer than the "
                             f"{self.policy.total_timeout:g} s limit", url=url) from None

    def _refuse_literal(self, target: httpx.URL, requested: str) -> None:
        """Refuse an address written in the URL at once, before any connection is attempted."""
        if self.policy.allow_private or target.host.lower() in self._trusted:
            return
        ip = literal_ip(target.host)
        if ip is not None and (reason := address_refusal(ip)):
            raise FetchError("blocked_address", f"Refused to fetch {target}: {target.host} is a "
                             f"{reason} address ({ALLOW_PRIVATE_HINT})", url=requested)

    async def _exchange(self, target: httpx.URL, headers: dict[bytes, bytes],
                        jar: httpx.Cookies, requested: str) -> FetchResult | httpx.URL:
        """One request: a finished result, or the URL a redirect points to."""
        assert self._client is not None
        p = self.policy
        host = target.host
        try:
            request = self._client.build_request("GET", target, headers=headers)
            if jar:
                jar.set_cookie_header(request)
            response = await self._client.send(request, stream=True)
            try:
                if "set-cookie" in response.headers:
                    jar.extract_cookies(response)
                return await self._handle(response, target, requested)
            finally:
                await response.aclose()
        except AddressRefused as exc:
            raise FetchError("blocked_address", f"Refused to fetch {target}: {exc.host} resolves "
                             f"to {exc.ip}, a {exc.reason} address ({ALLOW_PRIVATE_HINT})",
                             url=requested) from None
        except ResolveFailed as exc:
            raise FetchError("dns", f"Could not resolve host {exc.host} ({exc.detail})",
                             url=requested) from None
        except httpx.ConnectTimeout:
            raise FetchError("timeout", f"Connecting to {host} timed out after "
                             f"{p.connect_timeout:g} s", url=requested) from None
        except (httpx.ReadTimeout, httpx.WriteTimeout):
            raise FetchError("timeout", f"{host} sent nothing for {p.read_timeout:g} s while "
                             f"fetching {target}", url=requested) from None
        except httpx.PoolTimeout:
            raise FetchError("timeout", f"No free connection to {host} within "
                             f"{p.connect_timeout:g} s", url=requested) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise FetchError("bad_url", f"Cannot fetch {target}: {exc}", url=requested) from None
        except zlib.error as exc:
            raise FetchError("decoding", f"Could not decompress the response from {target} "
                             f"({exc})", url=requested) from None
        except httpx.HTTPError as exc:
            raise _connection_error(exc, target, requested) from None

    async def _handle(self, response: httpx.Response, target: httpx.URL,
                      requested: str) -> FetchResult | httpx.URL:
        status = response.status_code
        if status in REDIRECT_STATUSES:
            location = response.headers.get("location", "").strip()
            if not location:
                raise FetchError("http_status", f"HTTP {status} redirect from {target} without a "
                                 "Location header", url=requested, status=status)
            try:
                nxt = target.join(location)
            except (httpx.InvalidURL, ValueError) as exc:
                raise FetchError("bad_url", f"{target} redirected to an invalid URL {location!r}"
                                 f" ({exc})", url=requested) from None
            return _parse_url(str(nxt), requested)
        if status == 304:
            self.gates.book.answered(origin_of(str(target)))
            return self._result(response, target, requested, b"", not_modified=True)
        if not 200 <= status < 300:
            raise self._status_error(response, target, requested)
        self.gates.book.answered(origin_of(str(target)))
        body = await self._read_body(response, target, requested)
        return self._result(response, target, requested, body)

    async def _read_body(self, response: httpx.Response, target: httpx.URL,
                         requested: str) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > limit:
            raise FetchError("too_large", f"{target} is {_size(int(declared))}, over the "
                             f"{_size(limit)} limit (refused before reading)", url=requested)
        decoder = _decoder_for(response.headers.get("content-encoding", ""), str(target))
        parts: list[bytes] = []
        total = 0
        async for raw in response.aiter_raw():
            chunk = decoder.decode(raw, limit - total + 1)
            total += len(chunk)
            if total > limit:
                raise self._too_large(target, requested, decoder)
            parts.append(chunk)
        tail = decoder.flush()
        total += len(tail)
        if total > limit:
            raise self._too_large(target, requested, decoder)
        parts.append(tail)
        return b"".join(parts)

    def _too_large(self, target: httpx.URL, requested: str, decoder: _Decoder) -> FetchError:
        what = "decompressed body" if decoder.encoding != "identity" else "body"
        return FetchError("too_large", f"The {what} of {target} is over the "
                          f"{_size(self.policy.max_bytes)} limit (stopped reading)",
                          url=requested)

    def _status_error(self, response: httpx.Response, target: httpx.URL,
                      requested: str) -> FetchError:
        status = response.status_code
        reason = response.reason_phrase
        if not reason:
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:
                reason = ""
        retry_after = parse_retry_after(response.headers.get("retry-after", ""))
        message = f"HTTP {status} {reason}".rstrip() + f" from {target}"
        if retry_after is not None:
            message += f" (retry after {math.ceil(retry_after)} s)"
        if status in host_stage.THROTTLE_STATUSES:
            self.gates.book.throttled(origin_of(str(target)), status,
                                      f"HTTP {status} {reason}".rstrip(), retry_after,
                                      datetime.now(UTC))
        return FetchError("http_status", message, url=requested, status=status,
                          retry_after=retry_after)

    def _result(self, response: httpx.Response, target: httpx.URL, requested: str, body: bytes,
                not_modified: bool = False) -> FetchResult:
        headers = _flat_headers(response.headers)
        media, charset = _content_type(headers.get("content-type", ""))
        return FetchResult(
            url=requested, final_url=str(target), status=response.status_code, headers=headers,
            body=body, fetched_at=datetime.now(UTC), not_modified=not_modified,
            etag=headers.get("etag", ""), last_modified=headers.get("last-modified", ""),
            content_type=media, charset=charset,
        )


def _connection_error(exc: httpx.HTTPError, target: httpx.URL, requested: str) -> FetchError:
    cause: BaseException | None = exc
    while cause is not None:  # name the DNS failure when httpx resolved the name itself
        if isinstance(cause, socket.gaierror):
            return FetchError("dns", f"Could not resolve host {target.host} ({cause.args[-1]})",
                              url=requested)
        cause = cause.__cause__ or cause.__context__
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        where = f"{target.host}:{target.port}" if target.port else target.host
        return FetchError("connection", f"Could not connect to {where} ({detail})", url=requested)
    return FetchError("connection", f"Connection to {target.host} failed while fetching {target}"
                      f" ({detail})", url=requested)


def _default_policy() -> FetchPolicy:
    try:
        return FetchPolicy.from_settings()
    except Exception:  # Django not configured (a script): the safe defaults apply
        return FetchPolicy()


def fetch_sync(url: str, policy: FetchPolicy | None = None, **kw) -> FetchResult:
    """Fetch one URL from plain synchronous code (a shell, a management command).

    Runs its own event loop; inside a running loop use ``await Fetcher.fetch()`` instead.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("fetch_sync() cannot run inside an event loop; "
                           "use 'async with Fetcher(policy) as f: await f.fetch(url)'")

    async def run() -> FetchResult:
        async with Fetcher(policy or _default_policy()) as fetcher:
            return await fetcher.fetch(url, **kw)

    return asyncio.run(run())
