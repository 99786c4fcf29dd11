"""Fetch stage: conditional GET, limits, redirects, address safety and politeness, against a real
HTTP server on 127.0.0.1 (tests/netfixture.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import ipaddress
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from netfixture import NetServer, Reply, ResetConnection, gzip_bomb, http_date, redirect, zeros

from broadsheet.ingest.fetch import (
    Fetcher,
    FetchError,
    FetchPolicy,
    FetchResult,
    address_refusal,
    fetch_sync,
    parse_retry_after,
)

# Loopback is allowed here because the test server lives on 127.0.0.1.
LOCAL = FetchPolicy(allow_private=True, host_delay=0.0, connect_timeout=2.0, read_timeout=2.0,
                    total_timeout=10.0, user_agent="BroadsheetTest/1.0 (+tests)")
SAFE = FetchPolicy(allow_private=False, host_delay=0.0, connect_timeout=10.0, read_timeout=2.0,
                   total_timeout=15.0)


def local(**changes) -> FetchPolicy:
    """The loopback-friendly policy with a few limits changed."""
    return dataclasses.replace(LOCAL, **changes)


@pytest.fixture
def server() -> Iterator[NetServer]:
    with NetServer() as srv:
        yield srv


def fetch(url: str, policy: FetchPolicy = LOCAL, **kw) -> FetchResult:
    return fetch_sync(url, policy, **kw)


def failure(url: str, policy: FetchPolicy = LOCAL, **kw) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, policy, **kw)
    return info.value


def fetch_many(urls: list[str], policy: FetchPolicy) -> list[FetchResult | FetchError]:
    async def run() -> list[FetchResult | FetchError]:
        async with Fetcher(policy) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(u) for u in urls), return_exceptions=True)

    return asyncio.run(run())


# --- success ------------------------------------------------------------------------------------


def test_200_returns_body_metadata_and_sends_clear_headers(server: NetServer) -> None:
    server.route("/feed.xml", body=b"<rss>hello</rss>", headers={
        "Content-Type": "Application/RSS+XML; Charset=\"UTF-8\"", "ETag": '"v1"',
        "Last-Modified": "Wed, 01 Jan 2025 10:00:00 GMT", "Cache-Control": "max-age=300",
        "Expires": "Wed, 01 Jan 2025 10:05:00 GMT", "X-Mixed-Case": "Yes"})
    result = fetch(server.url("/feed.xml"))
    assert result.status == 200 and not result.not_modified
    assert result.body == b"<rss>hello</rss>"
    assert result.url == result.final_url == server.url("/feed.xml")
    assert result.redirects == []
    assert result.content_type == "application/rss+xml"
    assert result.charset == "utf-8"
    assert result.etag == '"v1"'
    assert result.last_modified == "Wed, 01 Jan 2025 10:00:00 GMT"
    assert result.headers["cache-control"] == "max-age=300"
    assert result.headers["expires"] == "Wed, 01 Jan 2025 10:05:00 GMT"
    assert result.headers["x-mixed-case"] == "Yes"
    assert result.fetched_at.utcoffset() == timedelta(0)
    assert timedelta(0) <= datetime.now(UTC) - result.fetched_at < timedelta(minutes=5)
    sent = server.last_request("/feed.xml").headers
    assert sent["user-agent"] == "BroadsheetTest/1.0 (+tests)"
    assert "application/rss+xml" in sent["accept"] and "text/html" in sent["accept"]
    assert sent["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in sent and "if-modified-since" not in sent


def test_gzip_and_deflate_bodies_are_decoded(server: NetServer) -> None:
    text = b"<feed>" + b"news " * 1000 + b"</feed>"
    server.route("/gz", body=gzip.compress(text), headers={"Content-Encoding": "gzip"})
    server.route("/zlib", body=zlib.compress(text), headers={"Content-Encoding": "deflate"})
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    server.route("/raw", body=raw.compress(text) + raw.flush(),
                 headers={"Content-Encoding": "deflate"})
    for path in ("/gz", "/zlib", "/raw"):
        assert fetch(server.url(path)).body == text, path


def test_unrequested_brotli_is_a_decoding_error(server: NetServer) -> None:
    server.route("/br", body=b"\x1b\x03\x00", headers={"Content-Encoding": "br"})
    assert failure(server.url("/br")).kind == "decoding"


def test_connection_is_reused_between_fetches(server: NetServer) -> None:
    server.route("/a", body=b"a")

    async def run() -> None:
        async with Fetcher(LOCAL) as fetcher:
            await fetcher.fetch(server.url("/a"))
            await fetcher.fetch(server.url("/a"))

    asyncio.run(run())
    first, second = server.requests_for("/a")
    assert first.client == second.client  # same client port: one kept-alive connection


# --- conditional GET ----------------------------------------------------------------------------


def test_304_when_unchanged_sends_conditional_headers(server: NetServer) -> None:
    def feed(request):
        if request.headers.get("if-none-match") == '"v1"':
            return 304, {"ETag": '"v1"', "Cache-Control": "max-age=60"}, b""
        return 200, {"ETag": '"v1"'}, b"<rss/>"

    server.route("/feed", handler=feed)
    result = fetch(server.url("/feed"), etag='"v1"',
                   last_modified="Wed, 01 Jan 2025 10:00:00 GMT")
    assert result.not_modified and result.status == 304
    assert result.body == b""
    assert result.etag == '"v1"' and result.headers["cache-control"] == "max-age=60"
    sent = server.last_request("/feed").headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Wed, 01 Jan 2025 10:00:00 GMT"
    odd = fetch(server.url("/feed"), etag='W/"café"')  # a validator a server sent in Latin-1
    assert not odd.not_modified
    assert server.last_request("/feed").headers["if-none-match"] == 'W/"café"'
    changed = fetch(server.url("/feed"), etag='"v0"')
    assert not changed.not_modified and changed.body == b"<rss/>"


# --- timeouts -----------------------------------------------------------------------------------


def test_slow_server_times_out_on_read(server: NetServer) -> None:
    server.route("/slow", body=b"late", delay=3)
    started = time.monotonic()
    error = failure(server.url("/slow"), local(read_timeout=0.3))
    assert error.kind == "timeout"
    assert "0.3 s" in error.message
    assert time.monotonic() - started < 2


def test_total_deadline_stops_a_trickling_body(server: NetServer) -> None:
    server.route("/drip", handler=lambda req: Reply(body=server.trickle([b"x"] * 100, 0.05)))
    policy = local(read_timeout=2, total_timeout=0.5)
    started = time.monotonic()
    error = failure(server.url("/drip"), policy)
    assert error.kind == "timeout"
    assert "0.5 s limit" in error.message
    assert time.monotonic() - started < 2


def test_connect_timeout() -> None:
    # A listener whose accept queue is full drops new connection attempts, so connect hangs.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))
    try:
        started = time.monotonic()
        error = failure(f"http://127.0.0.1:{port}/",
                        local(connect_timeout=0.3))
        assert error.kind == "timeout"
        assert "Connecting to 127.0.0.1" in error.message
        assert time.monotonic() - started < 2
    finally:
        filler.close()
        listener.close()


# --- HTTP errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("status,reason", [(404, "Not Found"), (500, "Internal Server Error"),
                                           (410, "Gone")])
def test_error_status_is_reported(server: NetServer, status: int, reason: str) -> None:
    url = server.route("/x", status=status, body=b"error page")
    error = failure(url)
    assert error.kind == "http_status" and error.status == status
    assert error.message == f"HTTP {status} {reason} from {url}"
    assert error.retry_after is None


def test_503_retry_after_seconds(server: NetServer) -> None:
    url = server.route("/busy", status=503, headers={"Retry-After": "120"})
    error = failure(url)
    assert error.status == 503 and error.retry_after == 120
    assert error.message == f"HTTP 503 Service Unavailable from {url} (retry after 120 s)"


def test_429_retry_after_http_date(server: NetServer) -> None:
    url = server.route("/limit", status=429, headers={"Retry-After": http_date(90)})
    error = failure(url)
    assert error.status == 429
    assert error.retry_after is not None and 85 <= error.retry_after <= 91
    assert "Too Many Requests" in error.message and "retry after" in error.message


def test_parse_retry_after() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30", now) == 30
    assert parse_retry_after("Wed, 01 Jan 2025 12:02:00 GMT", now) == 120
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0  # in the past
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after("", now) is None
    assert parse_retry_after("-5", now) is None
    later = (now + timedelta(seconds=7)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(later, now) == 7


def test_connection_reset_is_a_connection_error(server: NetServer) -> None:
    server.route("/reset", handler=lambda req: Reply(reset=True))
    error = failure(server.url("/reset"))
    assert error.kind == "connection"


def test_reset_mid_body_is_a_connection_error(server: NetServer) -> None:
    def body():
        yield b"x" * 1000
        raise ResetConnection

    server.route("/cut", handler=lambda req: Reply(body=body()))
    assert failure(server.url("/cut")).kind == "connection"


def test_nothing_listening_is_a_connection_error() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    error = failure(f"http://127.0.0.1:{port}/")
    assert error.kind == "connection" and "127.0.0.1" in error.message


# --- redirects ----------------------------------------------------------------------------------


def test_redirect_chain_is_followed_and_recorded(server: NetServer) -> None:
    server.route("/a", handler=lambda req: redirect("/b", 301))
    server.route("/b", handler=lambda req: redirect(server.url("/c"), 308))
    server.route("/c", handler=lambda req: redirect("d?x=1", 302))  # relative to /c
    server.route("/d", body=b"final")
    result = fetch(server.url("/a"), etag='"e"')
    assert result.body == b"final"
    assert result.url == server.url("/a")
    assert result.final_url == server.url("/d?x=1")
    assert result.redirects == [server.url("/a"), server.url("/b"), server.url("/c")]
    assert server.last_request("/d").headers["if-none-match"] == '"e"'


def test_redirect_loop_is_detected(server: NetServer) -> None:
    server.route("/x", handler=lambda req: redirect("/y"))
    server.route("/y", handler=lambda req: redirect("/x"))
    error = failure(server.url("/x"))
    assert error.kind == "too_many_redirects"
    assert "loop" in error.message.lower()
    assert server.hits("/x") == 1 and server.hits("/y") == 1


def test_too_many_redirects(server: NetServer) -> None:
    for i in range(5):
        server.route(f"/r{i}", handler=lambda req, i=i: redirect(f"/r{i + 1}"))
    server.route("/r5", body=b"never")
    error = failure(server.url("/r0"), local(max_redirects=3))
    assert error.kind == "too_many_redirects"
    assert "more than 3" in error.message
    assert server.hits("/r5") == 0
    assert fetch(server.url("/r0"), local(max_redirects=5)).body


def test_consent_wall_cookie_is_kept_within_a_fetch_only(server: NetServer) -> None:
    def article(request):
        if "consent=yes" in request.headers.get("cookie", ""):
            return 200, {}, b"the story"
        return redirect("/consent")

    server.route("/article", handler=article)
    server.route("/consent", handler=lambda req: Reply(
        302, [("Location", "/article"), ("Set-Cookie", "consent=yes; Path=/")]))

    async def run() -> list[FetchResult]:
        async with Fetcher(LOCAL) as fetcher:
            return [await fetcher.fetch(server.url("/article")) for _ in range(2)]

    first, second = asyncio.run(run())
    assert first.body == second.body == b"the story"
    assert first.redirects == [server.url("/article"), server.url("/consent")]
    assert server.hits("/consent") == 2  # the cookie did not outlive the first fetch


def test_redirect_without_location_is_an_error(server: NetServer) -> None:
    error = failure(server.route("/nowhere", status=302))
    assert error.kind == "http_status" and error.status == 302


def test_redirect_to_other_scheme_is_refused(server: NetServer) -> None:
    server.route("/to-file", handler=lambda req: redirect("file:///etc/passwd"))
    assert failure(server.url("/to-file")).kind == "bad_url"


# --- size caps ----------------------------------------------------------------------------------

SMALL = local(max_bytes=1024 * 1024, read_timeout=5)


def test_body_at_the_limit_is_accepted(server: NetServer) -> None:
    url = server.route("/exact", body=bytes(1024 * 1024))
    assert len(fetch(url, SMALL).body) == 1024 * 1024


def test_declared_content_length_over_cap_is_refused_before_reading(server: NetServer) -> None:
    size = 200 * 1024 * 1024
    server.route("/big", handler=lambda req: Reply(
        headers={"Content-Length": str(size)}, body=zeros(size)))
    started = time.monotonic()
    error = failure(server.url("/big"), SMALL)
    assert error.kind == "too_large" and "before reading" in error.message
    assert time.monotonic() - started < 2


def test_streamed_body_over_cap_is_stopped(server: NetServer) -> None:
    server.route("/endless", handler=lambda req: Reply(body=zeros(1 << 30)))  # chunked, 1 GB
    started = time.monotonic()
    error = failure(server.url("/endless"), SMALL)
    assert error.kind == "too_large" and "stopped reading" in error.message
    assert time.monotonic() - started < 3


def test_gzip_bomb_is_stopped_without_inflating_it(server: NetServer) -> None:
    bomb = gzip_bomb(1 << 30)  # about 1 MB on the wire, 1 GB decoded
    server.route("/bomb", body=bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        started = time.monotonic()
        error = failure(server.url("/bomb"), local(max_bytes=4 << 20))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.kind == "too_large" and "decompressed" in error.message
    assert elapsed < 3
    assert peak < 24 * 1024 * 1024  # bomb (1 MB) + cap (4 MB) + overhead, not 1 GB


# --- URLs and addresses -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed.xml",
                                 "gopher://example.com/", "/relative/path", "http://"])
def test_bad_urls_are_refused(url: str) -> None:
    error = failure(url, SAFE)
    assert error.kind == "bad_url" and error.url == url


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://127.9.9.9:8080/feed", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://100.64.0.1/",
    "http://0.0.0.0/", "http://224.0.0.1/", "http://[::1]/", "http://[::]/", "http://[fc00::1]/",
    "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/",
    "https://[ff02::1]/",
])
def test_private_address_literals_are_refused_without_connecting(url: str) -> None:
    started = time.monotonic()
    error = failure(url, SAFE)
    assert error.kind == "blocked_address", error.message
    assert "BROADSHEET_FETCH_ALLOW_PRIVATE=1" in error.message
    assert time.monotonic() - started < 2  # refused outright, not a 10 s connect timeout


@pytest.mark.parametrize("host", ["localhost", "2130706433", "0x7f000001"])
def test_names_resolving_to_loopback_are_refused(server: NetServer, host: str) -> None:
    server.route("/secret", body=b"internal")
    error = failure(f"http://{host}:{server.port}/secret", SAFE)
    assert error.kind == "blocked_address", error.message
    assert "127.0.0.1" in error.message and "loopback" in error.message
    assert "BROADSHEET_FETCH_ALLOW_PRIVATE=1" in error.message
    assert server.hits("/secret") == 0


def test_redirect_hop_to_loopback_is_refused(server: NetServer) -> None:
    # The first host is trusted (as an operator may trust one intranet server); the hop it
    # redirects to must still pass the address check.
    trusted = FetchPolicy(allow_private=False, trusted_hosts=("127.0.0.1",), host_delay=0)
    server.route("/ok", body=b"fine")
    server.route("/secret", body=b"internal")
    server.route("/hop-name", handler=lambda req: redirect(f"http://localhost:{server.port}/secret"))
    server.route("/hop-ip", handler=lambda req: redirect(f"http://127.0.0.2:{server.port}/secret"))
    server.route("/hop-meta", handler=lambda req: redirect("http://169.254.169.254/latest/"))
    assert fetch(server.url("/ok"), trusted).body == b"fine"
    for hop in ("/hop-name", "/hop-ip", "/hop-meta"):
        error = failure(server.url(hop), trusted)
        assert error.kind == "blocked_address", (hop, error.message)
        assert error.url == server.url(hop)
    assert server.hits("/secret") == 0


def test_allow_private_permits_loopback(server: NetServer) -> None:
    url = server.route("/ok", body=b"yes")
    assert fetch(url, FetchPolicy(allow_private=True)).body == b"yes"


@pytest.mark.parametrize("address,reason", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
    ("172.31.255.255", "private"), ("192.168.0.1", "private"), ("fd12:3456::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("224.0.0.251", "multicast"),
    ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("100.64.0.1", "shared (carrier-grade NAT)"), ("::ffff:169.254.169.254", "link-local"),
    ("2002:7f00:1::", "loopback"), ("64:ff9b::a00:1", "private"), ("240.0.0.1", "private"),
    ("93.184.216.34", ""), ("2606:4700:4700::1111", ""), ("::ffff:93.184.216.34", ""),
])
def test_address_refusal(address: str, reason: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == reason


# --- concurrency and politeness -----------------------------------------------------------------


def test_per_host_concurrency_limit(server: NetServer) -> None:
    server.route("/slow", body=b"ok", delay=0.3)
    policy = local(per_host=2, host_delay=0, concurrency=50)
    results = fetch_many([server.url(f"/slow?n={i}") for i in range(6)], policy)
    assert all(isinstance(r, FetchResult) for r in results), results
    assert server.max_in_flight == 2


def test_global_concurrency_limit() -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def slow(request):
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.2)
        with lock:
            state["now"] -= 1
        return 200, {}, b"ok"

    with NetServer() as a, NetServer() as b:
        urls = []
        for srv in (a, b):
            srv.route("/s", handler=slow)
            urls += [srv.url(f"/s?n={i}") for i in range(4)]
        policy = local(per_host=4, host_delay=0, concurrency=3)
        results = fetch_many(urls, policy)
    assert all(isinstance(r, FetchResult) for r in results), results
    assert state["max"] == 3


def test_politeness_delay_spaces_requests_to_one_host(server: NetServer) -> None:
    server.route("/p", body=b"ok")
    policy = local(per_host=3, host_delay=0.4)
    results = fetch_many([server.url(f"/p?n={i}") for i in range(3)], policy)
    assert all(isinstance(r, FetchResult) for r in results), results
    starts = sorted(r.started for r in server.requests_for("/p"))
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(gaps) == 2 and min(gaps) >= 0.35, gaps


def test_politeness_delay_does_not_hold_up_other_hosts() -> None:
    with NetServer() as a, NetServer() as b:
        a.route("/p", body=b"a")
        b.route("/p", body=b"b")
        policy = local(per_host=2, host_delay=1.0, concurrency=1)
        urls = [a.url("/p?1"), a.url("/p?2"), b.url("/p?1"), b.url("/p?2")]
        results = fetch_many(urls, policy)
        assert all(isinstance(r, FetchResult) for r in results), results
        a1, a2 = sorted(r.started for r in a.requests)
        b1, b2 = sorted(r.started for r in b.requests)
    assert a2 - a1 >= 0.9 and b2 - b1 >= 0.9
    # With one global slot, b's first request still starts while a waits out its delay.
    assert abs(b1 - a1) < 0.8


def test_failures_do_not_stop_other_fetches(server: NetServer) -> None:
    server.route("/good", body=b"ok")
    server.route("/bad", status=500)
    results = fetch_many([server.url("/bad"), server.url("/good"), "ftp://x/"], LOCAL)
    assert isinstance(results[0], FetchError) and results[0].kind == "http_status"
    assert isinstance(results[1], FetchResult) and results[1].body == b"ok"
    assert isinstance(results[2], FetchError) and results[2].kind == "bad_url"


# --- the one-off helper -------------------------------------------------------------------------


def test_fetch_sync_refuses_inside_a_running_loop(server: NetServer) -> None:
    url = server.route("/x", body=b"x")

    async def inside() -> None:
        fetch_sync(url, LOCAL)

    with pytest.raises(RuntimeError, match="event loop"):
        asyncio.run(inside())


def test_fetcher_outside_context_manager_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(Fetcher(LOCAL).fetch("http://127.0.0.1/"))


def test_policy_from_settings_blocks_private_by_default() -> None:
    policy = FetchPolicy.from_settings()
    assert policy.max_bytes > 0 and policy.max_redirects >= 1
    assert FetchPolicy.from_settings(allow_private=True).allow_private is True
