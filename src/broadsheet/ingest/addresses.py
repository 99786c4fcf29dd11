"""Address safety for fetching: no loopback, private or otherwise internal address is dialled.

Every address is checked after DNS resolution, on the first URL and on every redirect hop, and the
connection goes to the very address that was checked (so a DNS answer that changes between check
and connect cannot reach an internal service). IPv6 forms that embed an IPv4 address are judged by
that address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_PRIVATE_HINT = "set BROADSHEET_FETCH_ALLOW_PRIVATE=1 to allow private and local addresses"

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


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


def literal_ip(host: str) -> IPAddress | None:
    """The address when ``host`` is written as one (brackets and zone ids allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class AddressRefused(Exception):
    """Raised at connect time; carried through httpx untouched and turned into a FetchError."""

    def __init__(self, host: str, ip: IPAddress, reason: str) -> None:
        super().__init__(f"{host} -> {ip} ({reason})")
        self.host, self.ip, self.reason = host, ip, reason


class ResolveFailed(Exception):
    def __init__(self, host: str, detail: str) -> None:
        super().__init__(f"{host}: {detail}")
        self.host, self.detail = host, detail


class GuardedBackend(httpcore.AsyncNetworkBackend):
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
            raise AddressRefused(host, ip, reason)
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
        literal = literal_ip(host)
        if literal is not None:
            return [literal]
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except (socket.gaierror, UnicodeError) as exc:
            raise ResolveFailed(host, str(exc.args[-1] if exc.args else exc)) from None
        found: list[IPAddress] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            ip = ipaddress.ip_address(str(sockaddr[0]))
            if ip not in found:
                found.append(ip)
        if not found:
            raise ResolveFailed(host, "no addresses")
        return found

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport with its pool rebuilt on the guarded backend (same limits and TLS)."""

    def __init__(self, allow_private: bool, trusted_hosts: Iterable[str], limits: httpx.Limits,
                 http2: bool) -> None:
        super().__init__(limits=limits, http2=http2)
        if not allow_private:
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
                network_backend=GuardedBackend(trusted_hosts),
            )
