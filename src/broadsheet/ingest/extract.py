"""Extract stage: an article page's body and metadata.

Contract:
- ``extract(html: str | bytes, url: str) -> Extracted`` (pure, no network, no database); raises
  ``ExtractionError`` when no article body can be found.

The page is parsed once; metadata comes from JSON-LD, OpenGraph and meta tags
(``extract_meta``), the body from trafilatura trimmed of page chrome (``extract_body``), after
the publisher's catalogue hints, when it has any, have dropped its named blocks and narrowed the
page to its article's container (``hints``); a page the hints leave without a body (written for
another layout of the publisher's pages) is read again without them. The text is the body
HTML's text by the product's one HTML-to-text function (``plaintext.html_to_text``): the text
the pipeline stores after sanitising reads the same.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace
from datetime import datetime

from lxml.etree import LxmlError
from lxml.html import HtmlElement
from trafilatura import load_html

from broadsheet import markup
from broadsheet.ingest.extract_body import (
    DEFAULT_OPTIONS,
    Options,
    fold_captions,
    run_trafilatura,
    trim_blocks,
)
from broadsheet.ingest.extract_meta import PageMeta, read_metadata
from broadsheet.ingest.hints import apply_hints
from broadsheet.ingest.plaintext import html_to_text
from broadsheet.ingest.render import render_html

# An article has sentences. A login form, an error page or a menu has only short lines: a body
# needs this many characters on lines of prose (seven words, or sixty characters for scripts
# written without spaces) to count as an article.
MIN_PROSE_CHARS = 80


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


_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""")
# Browsers read these labels as windows-1252, a superset that maps 0x80-0x9f to printable
# characters (curly quotes, dashes) where Latin-1 has control codes.
_WINDOWS_1252_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii",
                        "us-ascii", "iso_8859-1", "cp819", "ibm819"}


def decode_html(data: bytes) -> str:
    """Page bytes as text: byte-order mark, then the declared charset, then UTF-8.

    A declared charset that Python does not know, or that does not fit the bytes, falls back to
    UTF-8 with replacement characters rather than failing: a page with a few broken characters
    is still worth reading.
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    head = data[:4096]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if match:
        label = match.group(1).decode("ascii", errors="ignore").strip().lower()
        if label in _WINDOWS_1252_LABELS:
            label = "cp1252"
        try:
            codec = codecs.lookup(label).name
        except LookupError:
            codec = ""
        if codec and codec not in ("utf-16-le", "utf-16-be", "utf-16"):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                if codec != "utf-8":
                    # declared wrongly: UTF-8 is the likeliest truth on today's web
                    try:
                        return data.decode("utf-8")
                    except UnicodeDecodeError:
                        return data.decode(codec, errors="replace")
    return data.decode("utf-8", errors="replace")


def _prose_chars(text: str) -> int:
    """Characters on the lines of ``text`` that read as sentences rather than labels."""
    return sum(
        len(line)
        for line in text.splitlines()
        if len(re.findall(r"\w+", line)) >= 7 or len(line) >= 60
    )


def _from_article_body(article_body: str) -> tuple[str, str]:
    """Text and HTML from a JSON-LD ``articleBody``: one paragraph per line of the source."""
    paragraphs = [" ".join(line.split()) for line in article_body.splitlines()]
    paragraphs = [p for p in paragraphs if p]
    text = "\n\n".join(paragraphs)
    body_html = markup.paragraphs(paragraphs, "\n")
    return text, body_html


def _body(tree: HtmlElement, url: str, options: Options, meta: PageMeta) -> tuple[str, str]:
    """The article's text and body HTML from the parsed page, after the publisher's hints;
    empty when trafilatura finds no body."""
    if options.hints is not None:
        apply_hints(tree, options.hints)  # after the metadata, which the head and body carry
    try:
        body = run_trafilatura(tree, url, options)
    except (LxmlError, RecursionError) as error:  # pathological markup: nesting, broken trees
        raise ExtractionError(f"page could not be read: {error.__class__.__name__}") from error
    if body is None:
        return "", ""
    if options.keep_images:
        fold_captions(body)
    if options.trim:
        trim_blocks(body, meta, options.skip_rules)
    body_html = render_html(body, url)
    return html_to_text(body_html), body_html


def extract(html: str | bytes, url: str, options: Options = DEFAULT_OPTIONS) -> Extracted:
    """Body text, simple HTML body and metadata of the article page ``html`` fetched from ``url``.

    Raises ``ExtractionError`` when the page holds no article body (empty page, login form,
    index page of headlines).
    """
    text_input = decode_html(html) if isinstance(html, bytes) else html
    if not text_input.strip():
        raise ExtractionError("empty page")
    # trafilatura parses str with an encoding declaration poorly; the text is decoded already
    text_input = re.sub(r"^\s*<\?xml[^>]*\?>", "", text_input)
    tree = load_html(text_input)
    if tree is None:
        raise ExtractionError("not an HTML page")

    meta = read_metadata(tree, url)
    text, body_html = _body(tree, url, options, meta)
    if options.hints is not None and _prose_chars(text) < MIN_PROSE_CHARS:
        # hints written for another layout of the publisher's pages: read the page as it is
        text, body_html = _body(load_html(text_input), url, replace(options, hints=None), meta)
    if _prose_chars(text) < MIN_PROSE_CHARS:
        # pages that build their text with scripts often still ship it whole in JSON-LD
        text, body_html = _from_article_body(meta.article_body)
        if _prose_chars(text) < MIN_PROSE_CHARS:
            raise ExtractionError("no article body found")
    return Extracted(
        title=meta.title,
        author=meta.author,
        publisher=meta.publisher,
        section=meta.section,
        published_at=meta.published_at,
        modified_at=meta.modified_at,
        text=text,
        html=body_html,
        image_url=meta.image_url,
        language=meta.language,
        canonical_url=meta.canonical_url,
        description=meta.description,
    )
