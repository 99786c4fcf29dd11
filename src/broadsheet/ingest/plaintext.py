"""Short plain-text fields (titles, authors, summaries) made safe to show anywhere.

Feeds and pages send names and headlines with markup in them (``<b>Ana</b>``, even
``<script>``), control characters, and invisible characters that change how text reads: a
right-to-left override turns "gnp.exe" into what looks like "exe.png", and zero-width characters
hide inside words so that two names look alike. Every surface (pages, the JSON API, feeds out,
the Google Reader API) may call these functions; ingest and the article store call them before
anything is stored.

- ``strip_invisible(text)``: drops bidirectional embeddings, overrides and isolates
  (U+202A–U+202E, U+2066–U+2069), zero-width spaces and joiners (U+200B–U+200D, U+2060,
  U+FEFF), C0/C1 control characters (line breaks and tabs become spaces), and the left-to-right
  and right-to-left marks (U+200E, U+200F) in text that has no right-to-left letters (in Arabic or
  Hebrew text they are legitimate and stay). A zero-width joiner or non-joiner between two
  non-ASCII characters stays too: Persian and Indic spelling and emoji sequences need them, while
  a lookalike of a Latin name does not get one. Right-to-left letters are never touched.
- ``one_line(text, limit)``: ``strip_invisible`` with whitespace collapsed to single spaces,
  cut to ``limit`` characters: titles and summaries.
- ``plain_text(value, limit)``: a name-like field with no markup at all: tags removed (the
  contents of script and style with them), entities decoded, any ``<`` or ``>`` left over
  dropped, then ``one_line``. For authors, where angle brackets never belong.

HTML becomes text here and nowhere else: the article text that is stored, indexed and served,
what ``extract()`` returns, feed titles, teasers and word counts all come from ``html_to_text``
(or its one-line view ``html_to_line``), so they never disagree about where one word ends:

- inline elements (links, emphasis, spans) add nothing: the spaces around them are the source's
  own, kept and collapsed, so ``on<a> Facebook</a>,`` reads "on Facebook,";
- block elements (paragraphs, headings, quotes, divs) are paragraphs, separated by a blank line;
  ``<br>`` and the lines of ``<pre>`` are line breaks;
- a list is one paragraph with an item per line, each marked ``- `` (ordered or not: the marker
  is layout, and a number would read as one of the article's words); a table is one paragraph
  with a row per line, cells separated by `` | ``;
- figure captions (``figcaption``) are left out, like the captions ``extract()`` moves onto their
  pictures: read in the flow they interrupt the article; scripts, styles and the contents of
  other non-text elements are left out too.
"""

from __future__ import annotations

import re

from lxml import etree

AUTHOR_CHARS = 500

# Embeddings, overrides and isolates: always removed.
_BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE_RE = re.compile(f"[{_BIDI_CONTROLS}\u200b\u2060\ufeff\u00ad]")
_MARKS_RE = re.compile("[\u200e\u200f]")
_JOINER_RE = re.compile("[\u200c\u200d]")
# C0 and C1 controls; tabs and line breaks are whitespace and become spaces.
_CONTROL_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BREAKS_RE = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]")
# Letters of right-to-left scripts: Hebrew, Arabic, Syriac, Thaana, NKo and their presentation
# forms.
_RTL_LETTER_RE = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_MARKUP_HINT_RE = re.compile(r"[<&]")


def _keep_joiner(match: re.Match[str]) -> str:
    text, at = match.string, match.start()
    before = text[at - 1] if at else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    wanted = (not before.isascii() and not after.isascii()
              and not before.isspace() and not after.isspace())
    return match.group(0) if wanted else ""


def strip_invisible(text: str) -> str:
    """``text`` without characters that hide or reorder what a reader sees (module docstring)."""
    if not text:
        return ""
    text = _BREAKS_RE.sub(" ", text)
    text = _CONTROL_RE.sub("", text)
    text = _INVISIBLE_RE.sub("", text)
    if not _RTL_LETTER_RE.search(text):
        text = _MARKS_RE.sub("", text)
    return _JOINER_RE.sub(_keep_joiner, text)


def one_line(text: str, limit: int | None = None) -> str:
    """One line of clean text, at most ``limit`` characters."""
    cleaned = " ".join(strip_invisible(text).split())
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[:limit].rstrip()
    return cleaned


def plain_text(value: str, limit: int = AUTHOR_CHARS) -> str:
    """A name as plain text: no markup, no control or invisible characters, one short line."""
    if not value:
        return ""
    text = value
    for _ in range(3):  # "&lt;b&gt;" decodes to markup once more
        if not _MARKUP_HINT_RE.search(text):
            break
        text = html_to_line(text)
    text = text.replace("<", " ").replace(">", " ")
    return one_line(text, limit)


# --------------------------------------------------------------------------------------------
# HTML to text

_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog",
    "div", "dt", "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "html", "main", "nav", "p", "pre", "section", "summary",
}
# Containers whose parts are lines of one paragraph rather than paragraphs of their own.
_LIST_TAGS = {"ul", "ol", "dl", "menu"}
_CONTAINER_TAGS = _LIST_TAGS | {"table"}
_ROW_TAGS = {"li", "tr", "tbody", "thead", "tfoot"}
_CELL_TAGS = {"td", "th"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "title", "svg", "math", "iframe",
              "object", "embed", "select", "textarea", "button", "canvas", "audio", "video",
              "figcaption"}
_SPACES_RE = re.compile(r"[^\S\n]+")
_PARSER_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def without_surrogates(text: str) -> str:
    """Lone UTF-16 surrogates (from broken decoding upstream) become U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


class _TextCollector:
    """An lxml parser target: receives tags and text as they are parsed, builds no tree."""

    def __init__(self, markers: bool) -> None:
        self.markers = markers
        self.out: list[str] = []
        self.buffer: list[str] = []
        self.skip = 0
        self.pre = 0
        self.cells = 0
        self.containers = 0
        self.emitted_in_container = False
        self.prefix = ""

    def flush(self) -> None:
        lines = (_SPACES_RE.sub(" ", line).strip() for line in "".join(self.buffer).split("\n"))
        block = "\n".join(line for line in lines if line)
        self.buffer = []
        if not block:
            return
        if self.out:
            self.out.append("\n" if self.emitted_in_container else "\n\n")
        self.out.append(self.prefix + block)
        self.prefix = ""
        self.emitted_in_container = self.containers > 0

    def start(self, tag: str, attrib: object) -> None:
        if self.skip or tag in _SKIP_TAGS:
            self.skip += tag in _SKIP_TAGS
        elif self.cells and tag not in _CONTAINER_TAGS and tag not in _ROW_TAGS | _CELL_TAGS:
            if tag in _BLOCK_TAGS or tag == "br":
                self.buffer.append(" ")  # a paragraph inside a cell stays in its cell
        elif tag in _CONTAINER_TAGS:
            self.flush()
            self.containers += 1
        elif tag == "li":
            self.flush()
            self.prefix = "- " if self.markers else ""
        elif tag in _CELL_TAGS:
            if "".join(self.buffer).strip():
                self.buffer.append(" | " if self.markers else " ")
            self.cells += 1
        elif tag in _BLOCK_TAGS or tag in _ROW_TAGS:
            self.flush()
            self.pre += tag == "pre"
        elif tag == "br":
            self.buffer.append("\n")


    def end(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif self.skip:
            return
        elif tag in _CELL_TAGS:
            self.cells = max(0, self.cells - 1)
        elif self.cells and tag not in _CONTAINER_TAGS and tag not in _ROW_TAGS:
            if tag in _BLOCK_TAGS:
                self.buffer.append(" ")
        elif tag in _CONTAINER_TAGS:
            self.flush()
            self.containers = max(0, self.containers - 1)
            if not self.containers:
                self.emitted_in_container = False
        elif tag in _BLOCK_TAGS or tag in _ROW_TAGS:
            self.flush()
            if tag == "li":
                self.prefix = ""
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)

    def data(self, data: str) -> None:
        if self.skip:
            return
        if not self.pre:
            data = data.replace("\r", " ").replace("\n", " ")
        self.buffer.append(data)

    def close(self) -> str:
        self.flush()
        return "".join(self.out)


def _parse(html: str, markers: bool) -> str:
    if not html or not html.strip():
        return ""
    if "<" not in html and "&" not in html:  # plain text already (most feed titles)
        return " ".join(_PARSER_CONTROL_RE.sub("", html).split())
    # libxml2 refuses NUL and other C0 controls, which are never text anyway.
    html = _PARSER_CONTROL_RE.sub("", html)
    parser = etree.HTMLParser(target=_TextCollector(markers), no_network=True)
    try:
        parser.feed(html)
    except UnicodeEncodeError:
        parser = etree.HTMLParser(target=_TextCollector(markers), no_network=True)
        parser.feed(without_surrogates(html))
    return parser.close()


def html_to_text(html: str) -> str:
    """The product's plain text of ``html`` (rules in the module docstring): paragraphs separated
    by blank lines, entities decoded. One streaming parse (libxml2), no tree built."""
    return _parse(html, markers=True)


def html_to_line(html: str) -> str:
    """The words of ``html`` on one line, without list or table markers: titles, word counts."""
    return " ".join(_parse(html, markers=False).split())
