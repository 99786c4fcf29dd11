"""robots.txt: what a host lets Broadsheet fetch, read once a day per host (RFC 9309).

A ``RobotsFile`` is the outcome of one fetch of ``/robots.txt``, whatever it was:

- 2xx: the rules apply (parsed by protego: wildcards, ``$``, longest match, Crawl-delay);
- 4xx (but 429): there are no rules, everything may be fetched;
- 429, 5xx or no answer at all: the file is *unreachable* and, per RFC 9309, every page counts
  as disallowed for now; it is asked for again after ``RETRY_UNREACHABLE``. A copy read earlier
  that is still recent enough is used meanwhile instead.

Broadsheet's rules are the group for the product token ``AGENT_TOKEN`` ("Broadsheet"), which the
User-Agent begins with, or else the ``*`` group. The files themselves are plain data, so the
pipeline can keep them in memory and in the database alike; this module imports no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from urllib.parse import urlsplit

from protego import Protego

AGENT_TOKEN = "Broadsheet"
KEEP = timedelta(hours=24)  # RFC 9309 §2.4: a cached copy is not used for more than a day
RETRY_UNREACHABLE = timedelta(hours=1)
STALE_LIMIT = timedelta(days=30)  # an earlier copy stands in for an unreachable file this long
MAX_CHARS = 512 * 1024  # RFC 9309 §2.5: at least 500 KiB must be parsed; the rest may be cut


def origin_of(url: str) -> str:
    """``scheme://host:port``, lower-case with the port spelled out: one robots.txt per origin."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{scheme}://{host}:{port or (443 if scheme == 'https' else 80)}"


def host_of(origin: str) -> str:
    """The host name an editor recognises (no scheme, no default port)."""
    parts = urlsplit(origin)
    default = 443 if parts.scheme == "https" else 80
    host = parts.hostname or origin
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def robots_url(origin: str) -> str:
    parts = urlsplit(origin)
    default = 443 if parts.scheme == "https" else 80
    netloc = parts.netloc if parts.port != default else (parts.hostname or "")
    return f"{parts.scheme}://{netloc}/robots.txt"


@dataclass
class RobotsFile:
    origin: str
    status: int  # the HTTP status; 0 when no answer came
    body: str
    fetched_at: datetime
    expires_at: datetime
    error: str = ""  # why the file is unreachable, for editors
    last_good_at: datetime | None = None  # when the rules in ``body`` were last read

    @property
    def reachable(self) -> bool:
        return self.last_good_at is not None

    @cached_property
    def rules(self) -> Protego | None:
        """The parsed rules, or None when every path is allowed (no usable file)."""
        if not self.reachable or not 200 <= self.status < 300 or not self.body.strip():
            return None
        return Protego.parse(self.body)

    def allows(self, url: str) -> bool:
        """May ``url`` be fetched? False for every URL while the file is unreachable."""
        if not self.reachable:
            return False
        rules = self.rules
        return rules is None or bool(rules.can_fetch(url, AGENT_TOKEN))

    @property
    def crawl_delay(self) -> float:
        """Seconds to leave between two requests to this origin (0 when not asked)."""
        rules = self.rules
        delay = rules.crawl_delay(AGENT_TOKEN) if rules is not None else None
        try:
            return max(0.0, float(delay or 0.0))
        except (TypeError, ValueError):
            return 0.0

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def from_response(origin: str, status: int, body: bytes, now: datetime) -> RobotsFile:
    """The file as a host answered it: rules for 2xx, none for 4xx (429 is unreachable)."""
    if status == 429 or status >= 500:
        raise ValueError("a 429 or 5xx answer is unreachable(), not a response")
    text = body[:MAX_CHARS].decode("utf-8", "replace").lstrip("\ufeff")
    return RobotsFile(origin, status, text if 200 <= status < 300 else "", now, now + KEEP,
                      last_good_at=now)


def unreachable(origin: str, status: int, error: str, now: datetime,
                previous: RobotsFile | None = None,
                retry: timedelta = RETRY_UNREACHABLE) -> RobotsFile:
    """No usable answer: keep a recent earlier copy if there is one, else disallow for now."""
    retry = max(retry, timedelta(minutes=1))
    if previous is not None and previous.reachable and previous.last_good_at is not None \
            and now - previous.last_good_at < STALE_LIMIT:
        return replace(previous, expires_at=now + retry, error=error)
    return RobotsFile(origin, status, "", now, now + retry, error=error)


class RobotsMemory:
    """This process's copies of robots files, by origin; expired ones are not handed out."""

    def __init__(self) -> None:
        self._files: dict[str, RobotsFile] = {}

    def get(self, origin: str, now: datetime) -> RobotsFile | None:
        found = self._files.get(origin)
        return found if found is not None and not found.expired(now) else None

    def stale(self, origin: str) -> RobotsFile | None:
        """The last copy whatever its age: the fallback for an unreachable file."""
        return self._files.get(origin)

    def put(self, robots: RobotsFile) -> None:
        if len(self._files) > 50_000:  # a long-lived worker forgets the oldest hosts
            for origin in list(self._files)[:10_000]:
                del self._files[origin]
        self._files[robots.origin] = robots

    def forget(self) -> None:
        self._files.clear()


memory = RobotsMemory()
