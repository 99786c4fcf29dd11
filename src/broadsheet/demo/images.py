"""Lead images and logos for the demo network, generated so that nothing binary is bundled.

Each article gets a distinct PNG (a two-colour gradient with a band in its section's colour), so
image URLs resolve, have real dimensions and differ between articles like real photographs would.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from functools import lru_cache

from broadsheet.markup import escape_attr as escape

IMAGE_WIDTH = 1200
IMAGE_HEIGHT = 675

SECTION_COLOURS: dict[str, tuple[int, int, int]] = {
    "World": (33, 94, 160), "Politics": (150, 40, 60), "Business": (30, 120, 90),
    "Technology": (90, 60, 160), "Science": (20, 130, 150), "Sport": (40, 130, 40),
    "Culture": (180, 90, 30),
}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _blend(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> bytes:
    return bytes(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


@lru_cache(maxsize=128)
def article_png(key: str, section: str, width: int = IMAGE_WIDTH,
                height: int = IMAGE_HEIGHT) -> bytes:
    """A deterministic RGB PNG for one article: gradient sky, section-coloured band below."""
    digest = hashlib.sha256(key.encode()).digest()
    left = (digest[0] // 2 + 60, digest[1] // 2 + 60, digest[2] // 2 + 90)
    right = (digest[3] // 3 + 20, digest[4] // 3 + 20, digest[5] // 3 + 40)
    band = SECTION_COLOURS.get(section, (90, 90, 90))
    sky = b"\x00" + b"".join(_blend(left, right, x / (width - 1)) for x in range(width))
    ground = b"\x00" + b"".join(_blend(band, right, x / (width - 1) / 2) for x in range(width))
    horizon = int(height * (0.55 + digest[6] / 255 * 0.2))
    raw = sky * horizon + ground * (height - horizon)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 1)) + _chunk(b"IEND", b""))


def logo_svg(name: str, colour: str, accent: str) -> bytes:
    """A wordmark logo for a publisher (SVG, 600x80)."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="600" height="80" viewBox="0 0 600 80">'
           f'<rect width="600" height="80" fill="{escape(colour)}"/>'
           f'<rect y="72" width="600" height="8" fill="{escape(accent)}"/>'
           f'<text x="20" y="52" font-family="Georgia, serif" font-size="40" fill="#fff">'
           f"{escape(name)}</text></svg>")
    return svg.encode()
