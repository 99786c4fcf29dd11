"""Fetch stage: safe HTTP GETs for feeds and article pages.

Contract (implemented below):
- ``FetchPolicy`` holds limits; ``FetchPolicy.from_settings()`` reads Django's ``settings.FETCH``.
- ``Fetcher(policy)`` is an async context manager sharing one connection pool, a global concurrency
  limit, a per-host limit and a per-host politeness delay. ``await fetcher.fetch(url, etag=...,
  last_modified=...)`` returns a ``FetchResult`` or raises ``FetchError`` with a clear message.
- ``fetch_sync(url, ...)`` runs one fetch for callers without an event loop.

Safety: only http and https; every address is checked after DNS resolution, on the first URL and on
every redirect hop, and the connection goes to the very address that was checked (so a DNS answer
that changes between check and connect cannot reach an internal service). Bodies are capped after
decompression, so a small compressed "bomb" is stopped without being inflated.
"""

from __future__ import annotations

import asyncio
import email.utils
import http.cookiejar
import ipaddress
import math
import socket
import zlib
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TypeVar

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
T = TypeVar("T")

ALLOW_PRIVATE_HINT = "set BROADSHEET_FETCH_ALLOW_PRIVATE=1 to allow private and local addresses"

# Feeds first, then pages; anything else still accepted so that odd servers answer at all.
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, "
    "text/html;q=0.8, application/xhtml+xml;q=0.8, */*;q=0.5"
)
# Only what this module can decode with a hard output cap (no brotli decoder is installed).
ACCEPT_ENCODING = "gzip, deflate"

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
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
    "too_many_redirects", "http_status", "bad_url", "decoding".
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


# --- addresses ---------------------------------------------------------------------------------


def address_refusal(ip: IPAddress) -> str:
    """Why ``ip`` must not be fetched from, e.g. "loopback"; "" for a public address.

    IPv6 forms that embed an IPv4 address (mapped, 6to4, NAT64) are judged by that address, so
    ``::ffff:127.0.0.1`` is as loopback as ``127.0.0.1``.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(embedded)
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.version == 4 and ip in _CGNAT:
        return "shared (carrier-grade NAT)"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "non-public"
    return ""


def _literal_ip(host: str) -> IPAddress | None:
    """The address when ``host`` is written as one (brackets and zone ids allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class _AddressRefused(Exception):
    """Raised at connect time; carried through httpx untouched and turned into a FetchError."""

    def __init__(self, host: str, ip: IPAddress, reason: str) -> None:
        super().__init__(f"{host} -> {ip} ({reason})")
        self.host, self.ip, self.reason = host, ip, reason


class _ResolveFailed(Exception):
    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"{host}: {detail}")
        self.host, self.detail = host, detail


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Network backend that resolves names itself and connects only to checked addresses.

    Checking at connect time, on the address actually dialled, is what defeats DNS rebinding:
    there is no second lookup between the check and the connection.
    """

    def __init__(self, trusted_hosts: Iterable[str] = ()) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._trusted = frozenset(h.lower().strip("[]") for h in trusted_hosts)

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        if host.lower() in self._trusted:
            return await self._inner.connect_tcp(host, port, timeout, local_address,
                                                 socket_options)
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        allowed: list[IPAddress] = []
        refused: list[tuple[IPAddress, str]] = []
        for ip in await self._resolve(host, port, timeout):
            reason = address_refusal(ip)
            if reason:
                refused.append((ip, reason))
            else:
                allowed.append(ip)
        if not allowed:
            ip, reason = refused[0]
            raise _AddressRefused(host, ip, reason)
        failure: Exception | None = None
        for ip in allowed:  # addresses in resolver order; the next one only if one fails
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            try:
                return await self._inner.connect_tcp(str(ip), port, remaining, local_address,
                                                     socket_options)
            except httpcore.ConnectTimeout:
                raise
            except httpcore.ConnectError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[IPAddress]:
        literal = _literal_ip(host)
        if literal is not None:
            return [literal]
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except (socket.gaierror, UnicodeError) as exc:
            raise _ResolveFailed(host, str(exc.args[-1] if exc.args else exc)) from None
        found: list[IPAddress] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            ip = ipaddress.ip_address(str(sockaddr[0]))
            if ip not in found:
                found.append(ip)
        if not found:
            raise _ResolveFailed(host, "no addresses")
        return found

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its pool rebuilt on the guarded backend (same limits and TLS)."""

    def __init__(self, policy: FetchPolicy, limits: httpx.Limits, http2: bool) -> None:
        super().__init__(limits=limits, http2=http2)
        if not policy.allow_private:
            if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
                raise RuntimeError("this httpx version cannot take the guarded network backend")
            ssl_context = httpx.create_ssl_context()
            self._pool = httpcore.AsyncConnectionPool(
                ssl_context=ssl_context,
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                http1=True,
                http2=http2,
                network_backend=_GuardedBackend(policy.trusted_hosts),
            )


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


class _HostSlot:
    """Per-host state: in-flight limit, a gate that spaces request starts, and who is using it."""

    __slots__ = ("sem", "gate", "last_start", "users")

    def __init__(self, per_host: int) -> None:
        self.sem = asyncio.Semaphore(max(1, per_host))
        self.gate = asyncio.Lock()
        self.last_start = -math.inf
        self.users = 0


def _cookie_state(jar: httpx.Cookies) -> tuple[tuple[str, str, str, str | None], ...]:
    return tuple(sorted((c.domain, c.path, c.name, c.value) for c in jar.jar))


def _header_value(value: str) -> str | bytes:
    """A stored validator sent back byte for byte, even when a server put non-ASCII in it."""
    if value.isascii():
        return value
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
    ``policy.concurrency`` requests in flight overall, ``policy.per_host`` per host (host:port),
    and ``policy.host_delay`` seconds between the starts of two requests to the same host. A host
    waiting out its delay holds no global slot, so it never slows unrelated hosts.
    """

    def __init__(self, policy: FetchPolicy | None = None) -> None:
        self.policy = policy or FetchPolicy()
        self._trusted = frozenset(h.lower().strip("[]") for h in self.policy.trusted_hosts)
        self._client: httpx.AsyncClient | None = None
        self._global: asyncio.Semaphore | None = None
        self._slots: dict[str, _HostSlot] = {}
        self._done_since_sweep = 0

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
            transport=_GuardedTransport(p, limits, http2),
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
        many redirects, body over the limit, undecodable body.
        """
        if self._client is None or self._global is None:
            raise RuntimeError("Fetcher must be used as 'async with Fetcher(policy) as f'")
        target = _parse_url(url, url)
        send_headers = {name: _header_value(value) for name, value in (headers or {}).items()}
        if etag:
            send_headers["If-None-Match"] = _header_value(etag)
        if last_modified:
            send_headers["If-Modified-Since"] = _header_value(last_modified)
        loop = asyncio.get_running_loop()
        redirects: list[str] = []
        jar = httpx.Cookies()  # cookies set during this fetch's redirects (consent walls)
        seen = {(str(target), _cookie_state(jar))}
        deadline: float | None = None
        while True:
            self._refuse_literal(target, url)
            key = f"{target.host}:{target.port or (443 if target.scheme == 'https' else 80)}"
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _HostSlot(self.policy.per_host)
            slot.users += 1
            try:
                async with slot.sem:
                    if deadline is None:  # time queued behind other fetches does not count
                        await self._start(slot)
                        deadline = loop.time() + self.policy.total_timeout
                    else:
                        await self._within(deadline, self._start(slot), url)
                    try:
                        outcome = await self._within(
                            deadline, self._exchange(target, send_headers, jar, url), url)
                    finally:
                        self._global.release()
            finally:
                slot.users -= 1
                self._tidy(key, slot)
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

    async def _start(self, slot: _HostSlot) -> None:
        """Wait for this host's politeness delay, then take a global slot (released by caller)."""
        assert self._global is not None
        loop = asyncio.get_running_loop()
        async with slot.gate:  # only this host's requests queue here
            wait = slot.last_start + self.policy.host_delay - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._global.acquire()
            slot.last_start = loop.time()

    async def _within(self, deadline: float, step: Awaitable[T], url: str) -> T:
        try:
            async with asyncio.timeout_at(deadline):
                return await step
        except TimeoutError:
            raise FetchError("timeout", f"Fetching {url} took longer than the "
                             f"{self.policy.total_timeout:g} s limit", url=url) from None

    def _tidy(self, key: str, slot: _HostSlot) -> None:
        """Forget hosts nobody is using and whose delay has passed, so the table stays small."""
        now = asyncio.get_running_loop().time()
        delay = self.policy.host_delay
        if slot.users == 0 and now >= slot.last_start + delay and self._slots.get(key) is slot:
            del self._slots[key]
        self._done_since_sweep += 1
        if self._done_since_sweep >= 1024:
            self._done_since_sweep = 0
            for k, s in list(self._slots.items()):
                if s.users == 0 and now >= s.last_start + delay:
                    del self._slots[k]

    def _refuse_literal(self, target: httpx.URL, requested: str) -> None:
        """Refuse an address written in the URL at once, before any connection is attempted."""
        if self.policy.allow_private or target.host.lower() in self._trusted:
            return
        ip = _literal_ip(target.host)
        if ip is not None and (reason := address_refusal(ip)):
            raise FetchError("blocked_address", f"Refused to fetch {target}: {target.host} is a "
                             f"{reason} address ({ALLOW_PRIVATE_HINT})", url=requested)

    async def _exchange(self, target: httpx.URL, headers: dict[str, str | bytes],
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
        except _AddressRefused as exc:
            raise FetchError("blocked_address", f"Refused to fetch {target}: {exc.host} resolves "
                             f"to {exc.ip}, a {exc.reason} address ({ALLOW_PRIVATE_HINT})",
                             url=requested) from None
        except _ResolveFailed as exc:
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
            return self._result(response, target, requested, b"", not_modified=True)
        if not 200 <= status < 300:
            raise self._status_error(response, target, requested)
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
