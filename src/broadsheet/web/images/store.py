"""The proxy's images on disk: ``$BROADSHEET_HOME/images/ab/abcdef…``, one file per URL.

The file name is the SHA-256 of the original URL and the file holds the image's bytes; its type
is read again from those bytes, so nothing else needs keeping. Files are written whole to a
temporary name and then renamed, so a reader never sees half an image even when two web
processes fetch the same picture at once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings

from .kinds import HEAD_BYTES, image_type

log = logging.getLogger(__name__)


def directory() -> Path:
    return Path(settings.HOME) / "images"


def key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def path_for(url: str) -> Path:
    digest = key(url)
    return directory() / digest[:2] / digest


def read(url: str) -> tuple[bytes, str] | None:
    """The kept image of ``url`` and its media type, or None when there is none (or unusable)."""
    path = path_for(url)
    try:
        body = path.read_bytes()
    except OSError:
        return None
    kind = image_type(body[:HEAD_BYTES])
    return (body, kind) if kind else None


def write(url: str, body: bytes) -> None:
    """Keep ``body`` for ``url``; a full or read-only disk is logged, and the image still served."""
    path = path_for(url)
    temporary = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as out:
            temporary = out.name
            out.write(body)
        os.replace(temporary, path)
    except OSError as error:
        log.warning("image proxy: cannot keep %s on disk: %s", url, error)
        if temporary:
            Path(temporary).unlink(missing_ok=True)
