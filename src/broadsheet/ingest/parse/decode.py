"""Bytes to text: encodings resolved before any parser runs, gzip inflated within a limit."""

from __future__ import annotations

import codecs
import re
import zlib

from .model import MAX_DECOMPRESSED_BYTES, ParseError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LATIN_FAMILY = {"ascii", "latin-1", "iso8859-1", "cp1252"}
_CP1252_TABLE = []
for _byte in range(256):
    try:
        _CP1252_TABLE.append(bytes([_byte]).decode("cp1252"))
    except UnicodeDecodeError:  # the five bytes Windows-1252 leaves undefined
        _CP1252_TABLE.append(chr(_byte))


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read undecodable bytes as Windows-1252 instead of failing."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    chunk = exc.object[exc.start : exc.end]
    return "".join(_CP1252_TABLE[b] for b in chunk), exc.end


codecs.register_error("broadsheet.cp1252", _cp1252_fallback)

_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:+-]+)", re.I)
_XML_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9._:+-]+)")


def _codec_name(label: str) -> str:
    """Python's canonical codec name for an encoding label; "" when unknown."""
    label = (label or "").strip().strip("\"'")
    if not label:
        return ""
    try:
        return codecs.lookup(label).name
    except LookupError:
        return ""


def _sniff_wide_encoding(head: bytes) -> str:
    """UTF-16/32 without a byte-order mark, recognised by where the zero bytes fall."""
    if len(head) < 4:
        return ""
    b0, b1, b2, b3 = head[0], head[1], head[2], head[3]
    if b0 and not b1 and not b2 and not b3:
        return "utf-32-le"
    if not b0 and not b1 and not b2 and b3:
        return "utf-32-be"
    if b0 and not b1 and b2 and not b3:
        return "utf-16-le"
    if not b0 and b1 and not b2 and b3:
        return "utf-16-be"
    if head == b"\x4c\x6f\xa7\x94":  # "<?xm" in EBCDIC
        return "cp037"
    return ""


def decode_body(body: bytes, charset: str = "", content_type: str = "") -> str:
    """Decode a response body to text, recovering from wrong or missing encoding labels."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace")
    wide = _sniff_wide_encoding(body[:4])
    if wide:
        return body.decode(wide, "replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    header_label = charset
    if not header_label:
        match = _CHARSET_PARAM.search(content_type or "")
        header_label = match.group(1) if match else ""
    declaration = _XML_DECL_ENCODING.match(body[:300])
    declared = [_codec_name(header_label),
                _codec_name(declaration.group(1).decode() if declaration else "")]
    for encoding in declared:
        if not encoding or encoding in _LATIN_FAMILY or encoding.startswith(("utf-", "utf_")):
            continue
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", "broadsheet.cp1252")


# Characters XML 1.0 forbids; real feeds contain them and they make expat give up.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LIKELY_START = re.compile(r"<\?xml|<rss|<feed|<rdf:RDF|<urlset|<sitemapindex")


def _clean_text(text: str) -> tuple[str, int]:
    """Drop a stray BOM, leading blank lines and junk before the markup; forbidden characters.

    Returns the text and how many lines were cut from the top (to keep error line numbers
    true to the original document).
    """
    length = len(text)
    start = length - len(text.lstrip(" \t\r\n\ufeff"))
    if start < length and text[start] not in "<{[":
        # Junk such as a PHP warning printed before the XML: skip to a plausible start.
        match = _LIKELY_START.search(text, start, start + 4096)
        if match:
            start = match.start()
    cut_lines = text.count("\n", 0, start)
    text = text[start:]
    if _XML_ILLEGAL.search(text):
        text = _XML_ILLEGAL.sub("", text)
    return text, cut_lines


def _gunzip(body: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompress a gzip body (all members) without ever holding more than ``limit`` bytes."""
    out = bytearray()
    data = body
    try:
        while data:
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += decompressor.decompress(data, limit + 1 - len(out))
            if len(out) > limit or decompressor.unconsumed_tail:
                raise ParseError(
                    f"Compressed body is larger than {limit // (1024 * 1024)} MB when decompressed"
                )
            if not decompressor.eof:
                raise ParseError("Compressed body is corrupt or truncated")
            data = decompressor.unused_data
            if data[:2] != b"\x1f\x8b":
                break
    except zlib.error as exc:
        raise ParseError(f"Compressed body is corrupt: {exc}") from None
    return bytes(out)
