"""The proxy's images on disk: ``$BROADSHEET_HOME/images/ab/abcdef…``, one file per URL.

The file name is the SHA-256 of the original URL and the file holds the image's bytes; its type
is read again from those bytes, so nothing else needs keeping. Files are written whole to a
temporary name and then renamed, so a reader never sees half an image even when two web
processes fetch the same picture at once.

A file's modification time is its last view (to a day: a view older than that touches it), so
the folder is pruned of what readers no longer look at: once a day on each machine, the first
picture kept after the day is up starts a thread that deletes the files not viewed for
``BROADSHEET_IMAGE_KEEP_DAYS``. A picture deleted and then wanted again is fetched again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from .kinds import HEAD_BYTES, image_type

log = logging.getLogger(__name__)

DAY = 86400
PRUNED_MARK = ".pruned"  # its modification time is the last prune's


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
    if kind is None:
        return None
    _mark_viewed(path)
    return body, kind


def _mark_viewed(path: Path) -> None:
    """Move the file's time to now when it is more than a day old (see the module)."""
    try:
        if time.time() - path.stat().st_mtime > DAY:
            os.utime(path)
    except OSError:
        pass  # gone meanwhile, or a read-only disk: the picture was served all the same


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
        return
    prune_when_due()


def prune_when_due() -> threading.Thread | None:
    """Start pruning in a thread of its own when the last prune here is a day old; the thread."""
    keep_days = settings.IMAGES["keep_days"]
    mark = directory() / PRUNED_MARK
    try:
        if not keep_days or time.time() - mark.stat().st_mtime < DAY:
            return None
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        mark.touch()  # claimed: another process racing here prunes too, which is harmless
    except OSError:
        return None
    thread = threading.Thread(target=prune, args=(directory(), keep_days), daemon=True,
                              name="image-prune")
    thread.start()
    return thread


def prune(folder: Path, keep_days: int) -> int:
    """Delete the files under ``folder`` not viewed for ``keep_days`` days; how many."""
    cutoff = time.time() - keep_days * DAY
    removed = 0
    try:
        for sub in os.scandir(folder):
            if sub.is_dir():
                removed += _prune_folder(sub.path, cutoff)
    except OSError as error:
        log.warning("image proxy: pruning %s stopped: %s", folder, error)
    log.info("image proxy: %d pictures not viewed for %d days removed", removed, keep_days)
    return removed


def _prune_folder(folder: str, cutoff: float) -> int:
    """Delete the files in one of the two-letter folders older than ``cutoff``; how many."""
    removed = 0
    for entry in os.scandir(folder):
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue  # viewed and replaced meanwhile, or already gone
    return removed
