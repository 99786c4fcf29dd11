"""URL normalisation: one canonical URL per article.

Contract:
- ``canonical_url(url: str, declared: str = "") -> str``: the declared canonical (rel=canonical,
  og:url) when it is a plausible canonical for ``url``; otherwise ``url``; either way normalised.
- ``normalize_url(url: str) -> str``: lower-case scheme and host, no default port, no fragment,
  tracking parameters removed (utm_*, fbclid, gclid, ...), remaining query sorted, trailing slash
  normalised.
- ``same_site(a, b) -> bool`` and ``is_cross_site_canonical(url, declared) -> bool``: so the
  pipeline can record a syndicated copy whose canonical names another publisher.

Choices ``normalize_url`` makes (an article's URL is its identity, so each is about telling
"the same article" apart from "another article"):

- Only absolute ``http``/``https`` URLs with a host are usable; anything else (empty text, a
  relative or scheme-relative URL, ``ftp:``, ``mailto:``, a bad port or host) raises
  ``InvalidURL``, a ``ValueError``. Nothing else is ever raised.
- The scheme is kept as given: ``http`` is not upgraded, since not every site serves https.
- Host: lower-case, internationalised names in IDNA (punycode), trailing dot removed, IPv6 in its
  compressed form. User name and password are dropped (they are never part of an article's
  identity, and must not be stored). Default ports (80, 443) are dropped.
- Path: ``.`` and ``..`` segments resolved; percent-escapes upper-cased; escaped unreserved
  characters (letters, digits, ``-._~``) decoded; characters that must be escaped (spaces,
  non-ASCII) escaped as UTF-8. Repeated slashes are kept: ``/a//b`` and ``/a/b`` may be different
  resources. Trailing slashes are removed from any path but the root (``/news/story/`` and
  ``/news/story`` are the same article on every publishing system we know; a stored URL without
  the slash still opens, servers redirect).
- Query: tracking parameters removed (``TRACKING_PARAMS``, names matched case-insensitively, and
  every ``utm_*``); campaign, click and share identifiers only, never ones that pick content such
  as ``id``, ``p``, ``story`` or ``page``. The rest are sorted by name; a name's repeated values
  keep their order. Empty pieces (``&&``) are dropped; ``?`` with nothing left is dropped.
- The fragment is dropped.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urljoin

import idna

TRACKING_PARAMS = frozenset({
    # ad and social click identifiers
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "ttclid", "li_fat_id", "igshid", "igsh", "epik", "rdt_cid", "s_kwcid", "ef_id",
    # analytics and marketing automation
    "_ga", "_gl", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking", "mc_cid",
    "mc_eid", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "rb_clickid",
    "s_cid", "wt.mc_id", "wt_mc_id", "at_medium", "at_campaign", "at_custom1", "at_custom2",
    "at_custom3", "at_custom4", "_branch_match_id", "_branch_referrer",
    # publishers' campaign and share markers
    "cmpid", "cmp", "ncid", "ocid", "icid", "smid", "smtyp", "sr_share", "ref_src", "ref_url",
    "share_id", "__twitter_impression", "xtor",
})
TRACKING_PREFIXES = ("utm_",)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters left as they are (besides unreserved ones and "%" escapes) in a path or a query.
_PATH_SAFE = frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_HEX = frozenset("0123456789abcdefABCDEF")
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_HOST_RE = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


class InvalidURL(ValueError):
    """A URL that cannot name an article: not absolute http(s), or no usable host."""


# --------------------------------------------------------------------------------------------
# Pieces


def _clean_input(url: object) -> str:
    if not isinstance(url, str):
        raise InvalidURL(f"not a string: {url!r}")
    # As a browser does: trim C0 controls and spaces, drop tabs and newlines anywhere.
    return url.strip(_C0_AND_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")


def _percent_normalise(text: str, safe: frozenset[str]) -> str:
    """Escape what must be escaped, decode escaped unreserved characters, upper-case the rest."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "%":
            if i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
                decoded = chr(int(text[i + 1:i + 3], 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1:i + 3].upper())
                i += 3
                continue
            out.append("%25")
        elif ch in _UNRESERVED or ch in safe:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on a path that starts with "/"."""
    output: list[str] = []
    segments = path.split("/")[1:]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def _normalise_path(path: str) -> str:
    path = _percent_normalise(path.replace("\\", "/"), _PATH_SAFE)
    if not path.startswith("/"):
        path = "/" + path
    path = _remove_dot_segments(path)
    return path.rstrip("/") or "/"


def _param_name(piece: str) -> str:
    return unquote(piece.split("=", 1)[0], errors="replace").lower()


def _is_tracking(name: str) -> bool:
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _normalise_query(query: str) -> str:
    pieces = [_percent_normalise(p, _QUERY_SAFE) for p in query.split("&") if p]
    kept = [(name, p) for p in pieces if not _is_tracking(name := _param_name(p))]
    kept.sort(key=lambda item: item[0])
    return "&".join(p for _name, p in kept)


def _normalise_host(host: str) -> str:
    if host.startswith("["):
        if not host.endswith("]"):
            raise InvalidURL(f"bad IPv6 address: {host!r}")
        try:
            return "[" + ipaddress.IPv6Address(host[1:-1]).compressed + "]"
        except ValueError as exc:
            raise InvalidURL(f"bad IPv6 address: {host!r}") from exc
    host = unquote(host, errors="replace")
    host = host.replace("\u3002", ".").replace("\uff0e", ".").replace("\uff61", ".")
    host = host.rstrip(".")
    if not host:
        raise InvalidURL("no host")
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise InvalidURL(f"bad international host name: {host!r}") from exc
    host = host.lower()
    if not _HOST_RE.fullmatch(host):
        raise InvalidURL(f"bad host: {host!r}")
    return host


def _split_netloc(netloc: str) -> tuple[str, int | None]:
    """(host, port) from ``[userinfo@]host[:port]``; the user information is dropped."""
    hostport = netloc.rpartition("@")[2]
    port_text = ""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end == -1:
            raise InvalidURL(f"bad IPv6 address: {hostport!r}")
        host, rest = hostport[:end + 1], hostport[end + 1:]
        if rest and not rest.startswith(":"):
            raise InvalidURL(f"bad host: {hostport!r}")
        port_text = rest[1:]
    else:
        host, _sep, port_text = hostport.partition(":")
    port: int | None = None
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
            raise InvalidURL(f"bad port: {port_text!r}")
        port = int(port_text)
    return host, port


def _split(url: str) -> tuple[str, str, str, str]:
    """(scheme, netloc, path, query) of an absolute http(s) URL; the fragment is dropped."""
    match = _SCHEME_RE.match(url)
    if not match:
        raise InvalidURL(f"not an absolute URL: {url[:200]!r}")
    scheme = match.group(1).lower()
    if scheme not in _DEFAULT_PORTS:
        raise InvalidURL(f"not an http(s) URL: {url[:200]!r}")
    rest, _sep, query = url[match.end():].split("#", 1)[0].partition("?")
    # Before the query a backslash is a slash, as in browsers.
    rest = rest.replace("\\", "/")
    if not rest.startswith("//"):
        raise InvalidURL(f"no host: {url[:200]!r}")
    netloc, slash, path = rest[2:].partition("/")
    return scheme, netloc, slash + path, query


# --------------------------------------------------------------------------------------------
# Public functions


def normalize_url(url: str) -> str:
    """The one spelling of ``url`` that every copy of it maps to (rules in the module docstring).

    Raises ``InvalidURL`` (a ``ValueError``) for text that is not an absolute http(s) URL.
    """
    cleaned = _clean_input(url)
    if not cleaned:
        raise InvalidURL("empty URL")
    scheme, netloc, path, query = _split(cleaned)
    raw_host, port = _split_netloc(netloc)
    host = _normalise_host(raw_host)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    result = f"{scheme}://{host}{_normalise_path(path)}"
    query = _normalise_query(query)
    return f"{result}?{query}" if query else result


def _host(url: str) -> str:
    """The normalised host of ``url`` (no port), or InvalidURL."""
    scheme, netloc, _path, _query = _split(_clean_input(url))
    return _normalise_host(_split_netloc(netloc)[0])


def _site_host(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def _is_ip(host: str) -> bool:
    if host.startswith("["):
        return True
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def same_site(a: str, b: str) -> bool:
    """True when two URLs belong to one publisher's site: the same host, ``www.`` aside, or one
    host a subdomain of the other (``amp.example.com`` and ``www.example.com``). Hosts of a
    single label (``com``) never match others, and IP addresses only match themselves.
    Unusable URLs are never on the same site."""
    try:
        host_a, host_b = _host(a), _host(b)
    except ValueError:
        return False
    if host_a == host_b:
        return True
    if _is_ip(host_a) or _is_ip(host_b):
        return False
    site_a, site_b = _site_host(host_a), _site_host(host_b)
    if site_a == site_b:
        return True
    shorter, longer = sorted((site_a, site_b), key=len)
    return "." in shorter and longer.endswith("." + shorter)


def _resolve_declared(url: str, declared: str) -> str | None:
    """``declared`` made absolute against ``url`` and normalised, or None when unusable."""
    declared = _clean_input(declared)
    if not declared:
        return None
    try:
        return normalize_url(urljoin(url, declared))
    except ValueError:
        return None


def _is_home_page(normalised: str) -> bool:
    """A site's root with no query (``/?p=123`` is a WordPress article, not the home page)."""
    after_host = normalised.split("://", 1)[1]
    return after_host[after_host.find("/"):] == "/"


def is_cross_site_canonical(url: str, declared: str) -> bool:
    """True when ``declared`` is a usable canonical URL on another site than ``url``: a syndicated
    copy naming its original publisher."""
    try:
        normalize_url(url)
    except ValueError:
        return False
    resolved = _resolve_declared(url, declared)
    return resolved is not None and not same_site(url, resolved)


def canonical_url(url: str, declared: str = "") -> str:
    """``normalize_url`` of the declared canonical when it is plausible for ``url``, else of
    ``url``.

    Plausible means: usable (absolute, or relative and resolved against ``url``; http or https;
    a valid host), on the same site (``same_site``), and not the site's home page when ``url`` is
    deeper (a common template bug). Publishers' canonicals often drop AMP paths and tracking, so a
    plausible one wins. An ``http`` canonical declared by a page served over ``https`` is taken as
    ``https`` (templates with hard-coded old canonicals are common; the site evidently serves
    https), so the same article never gets two keys that differ only by scheme. Raises
    ``InvalidURL`` when ``url`` itself is unusable.
    """
    own = normalize_url(url)
    resolved = _resolve_declared(url, declared) if declared else None
    if resolved is None or not same_site(own, resolved):
        return own
    if _is_home_page(resolved) and not _is_home_page(own):
        return own
    if own.startswith("https:") and resolved.startswith("http:"):
        resolved = "https:" + resolved[5:]
        # A declared port kept for http (say :443) may now be https's default.
        resolved = normalize_url(resolved)
    return resolved
