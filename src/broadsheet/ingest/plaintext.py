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
"""

from __future__ import annotations

import re

from .sanitize import html_to_text

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
        text = html_to_text(text.replace("\n", " "))
    text = text.replace("<", " ").replace(">", " ")
    return one_line(text, limit)
