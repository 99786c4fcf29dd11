"""What kind of image some bytes are, judged by the bytes alone (never by a declared type).

Only raster formats every browser shows are served: JPEG, PNG, GIF, WebP and AVIF. SVG is not
among them (it is a document that can carry script and links), nor is HTML or anything else a
server may send under an image's name.
"""

from __future__ import annotations

HEAD_BYTES = 64  # enough to recognise every accepted format
_AVIF_BRANDS = (b"avif", b"avis")


def _is_avif(head: bytes) -> bool:
    """An ISO media file whose ``ftyp`` box names an AVIF brand (major or compatible)."""
    if head[4:8] != b"ftyp":
        return False
    size = int.from_bytes(head[:4], "big")
    brands = head[8:min(max(size, 16), len(head))]
    return any(brands[i:i + 4] in _AVIF_BRANDS for i in range(0, len(brands) - 3, 4))


def image_type(head: bytes) -> str | None:
    """The media type of an image starting with ``head``, or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if _is_avif(head):
        return "image/avif"
    return None
