"""Escaping text into HTML and XML: the one place Broadsheet writes markup around text by hand.

Templates autoescape, and ``format_html`` escapes its arguments; everything else that puts text
into markup (teasers built from plain text, extracted paragraphs, search highlights, OPML, the
demo network's pages) calls these, so a fix to escaping is made once:

- ``escape_text(text)``: for element content: ``&``, ``<`` and ``>``.
- ``escape_attr(text)``: for a double- or single-quoted attribute value (and text that may be
  either): ``&``, ``<``, ``>``, ``"`` and ``'``.
- ``xml_attr(text)``: an XML attribute value *with its quotes*, line breaks and tabs kept as
  character references (OPML readers see the same text that was written).
- ``paragraph(text, line_breaks=False)``: one ``<p>`` of escaped text; with ``line_breaks``,
  newlines inside it become ``<br>``.

Plain Python, no Django: every layer may use it, ingest included.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from xml.sax.saxutils import quoteattr


def escape_text(text: str) -> str:
    """``text`` safe as element content (quotes left alone, as they need no escaping there)."""
    return html.escape(text, quote=False)


def escape_attr(text: str) -> str:
    """``text`` safe inside a quoted attribute value, whichever quote the attribute uses."""
    return html.escape(text, quote=True)


def xml_attr(text: str) -> str:
    """``text`` as a quoted XML attribute value, quotes included, newlines kept as references."""
    return quoteattr(text)


def paragraph(text: str, line_breaks: bool = False) -> str:
    """One HTML paragraph of plain ``text``; ``line_breaks`` keeps its newlines as ``<br>``."""
    inner = escape_text(text)
    if line_breaks:
        inner = inner.replace("\n", "<br>")
    return f"<p>{inner}</p>"


def paragraphs(texts: Iterable[str], separator: str = "") -> str:
    """Plain-text paragraphs as HTML, joined by ``separator``."""
    return separator.join(paragraph(text) for text in texts)
