"""One image for the proxy: from the disk if kept, else fetched safely, checked and kept.

The fetch is the ingest stage's (``broadsheet.ingest.fetch``): http and https only, every address
checked after DNS resolution and on every redirect, timeouts, a body cap after decompression. The
proxy narrows it further: the cap is ``BROADSHEET_IMAGE_MAX_BYTES``, at most three redirects,
fifteen seconds in all (well inside a web process's own limit), and internal addresses are refused
whatever ``BROADSHEET_FETCH_ALLOW_PRIVATE`` says; only ``BROADSHEET_IMAGE_ALLOW_LOOPBACK`` lets
it reach this machine, for tests and the offline demo. A failure is remembered for five minutes
in the cache, so a page full of broken pictures does not send a request per view to their host.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.cache import cache

from broadsheet.ingest.fetch import FetchError, FetchPolicy, fetch_sync

from . import store
from .kinds import HEAD_BYTES, image_type

ACCEPT = "image/avif, image/webp, image/png, image/jpeg, image/gif;q=0.9"
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
MAX_REDIRECTS = 3
TIMEOUTS = {"connect_timeout": 5.0, "read_timeout": 10.0, "total_timeout": 15.0}
REFUSAL_SECONDS = 300
_STATUS_FOR_KIND = {"blocked_address": 403, "bad_url": 400}


@dataclass(frozen=True)
class Image:
    body: bytes
    content_type: str


class ImageRefused(Exception):
    """No image to serve: ``status`` is the answer's (400, 403, 404 or 502), with the reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def policy() -> FetchPolicy:
    """The fetch limits of the proxy (see the module's docstring)."""
    loopback = LOOPBACK_HOSTS if settings.IMAGES["allow_loopback"] else ()
    return FetchPolicy.from_settings(
        allow_private=False, trusted_hosts=loopback, max_bytes=settings.IMAGES["max_bytes"],
        max_redirects=MAX_REDIRECTS, concurrency=1, per_host=1, host_delay=0.0, **TIMEOUTS)


def image_for(url: str) -> Image:
    """The image at ``url``, kept on disk after the first fetch; ``ImageRefused`` if none."""
    kept = store.read(url)
    if kept is not None:
        return Image(*kept)
    refusal_key = f"images:refused:{store.key(url)}"
    remembered = cache.get(refusal_key)
    if remembered is not None:
        raise ImageRefused(*remembered)
    try:
        image = _fetch(url)
    except ImageRefused as refused:
        cache.set(refusal_key, (refused.status, refused.message), REFUSAL_SECONDS)
        raise
    store.write(url, image.body)
    return image


def _fetch(url: str) -> Image:
    try:
        result = fetch_sync(url, policy(), headers={"Accept": ACCEPT})
    except FetchError as error:
        raise ImageRefused(_status(error), f"Image not fetched: {error.message}") from None
    except (httpx.HTTPError, ValueError, OSError) as error:  # an address httpx cannot even send
        raise ImageRefused(400, f"Image not fetched: {url!r} is not a usable address "
                                f"({error})") from None
    kind = image_type(result.body[:HEAD_BYTES])
    if kind is None:
        sent = result.content_type or "no content type"
        raise ImageRefused(502, f"Not an image: {url} answered with {sent}, not a JPEG, PNG, "
                                "GIF, WebP or AVIF picture.")
    return Image(result.body, kind)


def _status(error: FetchError) -> int:
    if error.kind == "http_status" and error.status in (404, 410):
        return 404
    return _STATUS_FOR_KIND.get(error.kind, 502)
