"""Signed addresses of the image proxy, and the rewriting of pages' images onto them.

``/img/<signature>/<encoded>``: ``encoded`` is the original URL in unpadded URL-safe base64 and
``signature`` an HMAC-SHA256 of it with the secret key (128 bits). Only addresses this site wrote
into a page verify, so the proxy cannot be used to fetch anything else.
"""

from __future__ import annotations

import base64
import binascii
import re
from html import unescape

from django.utils.crypto import constant_time_compare, salted_hmac

from broadsheet.markup import escape_attr

PREFIX = "/img/"
_SALT = "broadsheet.web.images"
_IMG_SRC = re.compile(r'(<img\b[^>]*?\ssrc=")([^"]*)(")', re.IGNORECASE)


class BadImageAddress(ValueError):
    """A proxy address that is malformed (``status`` 400) or wrongly signed (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signature(url: str) -> str:
    """The HMAC of ``url`` that proves this site put it in a page."""
    return _b64(salted_hmac(_SALT, url, algorithm="sha256").digest()[:16])


def proxied(url: str) -> str:
    """The proxy's address for an image URL; anything but http(s) is returned as it is."""
    if not url.lower().startswith(("https://", "http://")):
        return url
    return f"{PREFIX}{signature(url)}/{_b64(url.encode('utf-8', 'surrogatepass'))}"


def verified_url(sig: str, encoded: str) -> str:
    """The original URL of a proxy address; ``BadImageAddress`` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        url = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        raise BadImageAddress(400, "Not an image address of this site: the encoded URL "
                                   "cannot be read.") from None
    if not constant_time_compare(sig, signature(url)):
        raise BadImageAddress(403, "Not an image address of this site: the signature does "
                                   "not match.")
    return url


def proxy_images(html: str) -> str:
    """``html`` (sanitised, as stored) with every ``<img src>`` pointing at the proxy."""
    return _IMG_SRC.sub(lambda m: m[1] + escape_attr(proxied(unescape(m[2]))) + m[3], html)
