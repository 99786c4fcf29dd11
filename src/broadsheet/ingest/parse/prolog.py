"""The prolog: which kind of document a body is, and refusal of XML entity declarations."""

from __future__ import annotations

import re
import zlib

from .decode import _clean_text, decode_body
from .model import ParseError

_DOCTYPE_MARKS = re.compile(r"[\"'\[\]>]|<!--")
_SAFE_ENTITY = re.compile(
    r'<!ENTITY\s+[A-Za-z_][\w.:-]*\s+"&#(?:[0-9]{1,7}|x[0-9A-Fa-f]{1,6});"\s*>'
)
_ROOT_NAME = re.compile(r"<([A-Za-z_][\w.:-]*)")
_DOCTYPE_NAME = re.compile(r"<!DOCTYPE\s+([A-Za-z_][\w.:-]*)", re.I)


def _doctype_end(text: str, start: int) -> int:
    """Index just past the DOCTYPE starting at ``start``, honouring quotes, comments and the
    internal subset. Linear: every closer is found with one ``str.find``."""
    depth = 0
    pos = start + 9
    length = len(text)
    while pos < length:
        mark = _DOCTYPE_MARKS.search(text, pos)
        if mark is None:
            return length
        value = mark.group()
        if value in ('"', "'"):
            close = text.find(value, mark.end())
        elif value == "<!--":
            close = text.find("-->", mark.end())
            close = close + 2 if close >= 0 else -1
        else:
            if value == "[":
                depth += 1
            elif value == "]":
                depth = max(0, depth - 1)
            elif depth == 0:
                return mark.end()
            close = mark.start()
        if close < 0:
            return length
        pos = close + 1
    return length


def _scan_prolog(text: str) -> tuple[int, list[str]]:
    """Find the root element's ``<`` (or -1) and every DOCTYPE declared before it."""
    doctypes: list[str] = []
    pos = 0
    while True:
        pos = text.find("<", pos)
        if pos < 0:
            return -1, doctypes
        if text.startswith("<?", pos):
            end = text.find("?>", pos + 2)
            if end < 0:
                return -1, doctypes
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            if end < 0:
                return -1, doctypes
            pos = end + 3
        elif text[pos : pos + 9].upper() == "<!DOCTYPE":
            end = _doctype_end(text, pos)
            doctypes.append(text[pos:end])
            pos = end
        elif text.startswith("<!", pos) and not text.startswith("<![CDATA[", pos):
            end = text.find(">", pos)
            if end < 0:
                return -1, doctypes
            pos = end + 1
        else:
            return pos, doctypes


def _refuse_entities(doctypes: list[str]) -> None:
    """Raise ParseError when a DOCTYPE declares entities that could amplify or leak."""
    for doctype in doctypes:
        bracket = doctype.find("[")
        if bracket < 0:
            continue  # only an external DTD reference, which is never fetched
        subset = doctype[bracket:]
        declared = subset.upper().count("<!ENTITY")
        if declared and declared != len(_SAFE_ENTITY.findall(subset)):
            raise ParseError("Feed declares XML entities; refused for safety")


_FEED_ROOTS = {"rss", "rdf", "feed", "channel"}
_SITEMAP_ROOTS = {"urlset", "sitemapindex"}
_HTML_ROOTS = {"html", "head", "body", "meta", "div", "p", "script", "link", "title", "style"}


def _kind_of_text(text: str, content_type: str = "") -> tuple[str, str, list[str]]:
    """(kind, root local name, doctypes) for cleaned text."""
    if text[:1] in ("{", "["):
        return "json", "", []
    root_at, doctypes = _scan_prolog(text)
    root = ""
    if root_at >= 0:
        match = _ROOT_NAME.match(text, root_at)
        root = match.group(1).rsplit(":", 1)[-1].lower() if match else ""
    if root in _FEED_ROOTS:
        return "feed", root, doctypes
    if root in _SITEMAP_ROOTS:
        return "sitemap", root, doctypes
    doctype_name = ""
    if doctypes:
        match = _DOCTYPE_NAME.match(doctypes[0])
        doctype_name = match.group(1).lower() if match else ""
    if root in _HTML_ROOTS or doctype_name == "html":
        return "html", root, doctypes
    media = content_type.split(";", 1)[0].strip().lower()
    if not root and "html" in media:
        return "html", root, doctypes
    return "unknown", root, doctypes


def sniff_kind(body: bytes, content_type: str = "") -> str:
    """Guess what a response is from its first bytes: "feed", "sitemap", "html", "json" or
    "unknown". Cheap: only the first 64 KB are looked at."""
    head = body[:65536]
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 65536)
        except zlib.error:
            return "unknown"
    text, _ = _clean_text(decode_body(head, content_type=content_type))
    kind = _kind_of_text(text, content_type)[0]
    if kind == "unknown" and not text:
        media = content_type.split(";", 1)[0].strip().lower()
        if "json" in media:
            return "json"
    return kind
