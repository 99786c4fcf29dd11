"""Extract stage: an article page's body and metadata.

Contract:
- ``extract(html: str | bytes, url: str) -> Extracted`` (pure, no network, no database); raises
  ``ExtractionError`` when no article body can be found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Extracted:
    title: str = ""
    author: str = ""
    publisher: str = ""  # JSON-LD publisher.name or og:site_name
    section: str = ""  # JSON-LD articleSection or article:section
    published_at: datetime | None = None  # aware, UTC
    modified_at: datetime | None = None
    text: str = ""  # plain text body, paragraphs separated by blank lines
    html: str = ""  # body as simple HTML (unsanitised; the sanitize stage runs later)
    image_url: str = ""
    language: str = ""
    canonical_url: str = ""  # <link rel=canonical> or og:url, absolute
    description: str = ""


class ExtractionError(ValueError):
    """No article could be extracted from the page."""
