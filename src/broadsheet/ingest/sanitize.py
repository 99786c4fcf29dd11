"""Sanitize stage, the last before storage: an allowlist of safe HTML (nh3).

Contract:
- ``sanitize_html(html: str, base_url: str) -> str``: safe HTML. Relative links and images are made
  absolute against ``base_url``.
- ``html_to_text(html: str) -> str``: plain text, paragraphs separated by blank lines (it lives
  in ``plaintext``, the one place HTML becomes text, and is importable from here too).
- Words and reading time live in ``words`` (one rule for every surface).

What survives ``sanitize_html``:

- Text structure only: paragraphs, headings (``h1`` becomes ``h2``: the page's own title is the
  only ``h1``), lists, quotes, code, emphasis, tables, figures, images and links, plus
  attribute-free ``div``/``section``/``article``-style containers so block boundaries survive. No
  ``class``, ``id`` or ``style``; no event handlers; no scripts, styles, frames, objects, forms,
  media players, SVG or MathML. The *contents* of script, style, noscript, template, iframe,
  object, embed, svg, math, form, button, select, textarea, audio, video, canvas and nav are
  dropped too, not just their tags (their text is never article prose).
- Links: ``href`` must resolve (relative ones against ``base_url``) to an absolute ``http``,
  ``https`` or ``mailto`` URL, otherwise the link is unwrapped to its text. Every link gets
  ``rel="noopener nofollow ugc"``. We do not add ``noreferrer`` (publishers should see the traffic
  we send them) nor ``target`` (how links open is the reader app's choice, not the stored HTML's).
- Images: ``src`` must resolve to an ``https`` URL, or to an ``http`` URL on the same origin as
  ``base_url``; anything else (``data:``, ``javascript:``, other sites' plain http) is dropped with
  its ``<img>``. Lazy-loaded images are repaired: when ``src`` is missing or is a placeholder (a
  ``data:`` URI, or a file named like ``placeholder``/``blank``/``spacer``/``lazy``/``loading``),
  the first usable of ``data-src``, ``data-lazy-src``, ``data-original``, ``data-srcset`` and
  ``srcset`` (its first candidate) becomes ``src``.
- Tracking pixels are dropped: an image whose ``width`` or ``height`` is 0 or 1, which is
  ``hidden`` or styled out of sight (``display:none``, ``visibility:hidden``, ``opacity:0``, a
  width or height of 0 or 1 px), whose file name (without extension) is ``pixel``, ``beacon``,
  ``spacer``, ``blank``, ``transparent``, ``clear``, ``track``, ``tracking`` or ``tracker`` or
  has ``1x1`` as a word (``spacer_1x1.gif``), which sits in a folder named ``pixel(s)``,
  ``beacon(s)``, ``tracking`` or ``tracker``, or whose host starts with such a label (``pixel.``,
  ``beacon.``, ...) or contains an ``analytics`` label word (``google-analytics.com``). Words
  merely containing these (``google-pixel-review.jpg``) are not enough.
- Paragraphs, headings and figures left empty, and emphasis or links left without text, are
  removed.

The output is a fixed point: ``sanitize_html(sanitize_html(x, b), b) == sanitize_html(x, b)``.
Removing a wrapper can leave nesting that an HTML parser would rebuild differently (a list inside
a paragraph, say), so the cleaner runs again on its own output until nothing changes (normally
once more, on the already small output); in the unlikely case that does not settle, the text alone
is kept, as escaped paragraphs.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import nh3

from broadsheet import markup

from .plaintext import html_to_text, without_surrogates

# --------------------------------------------------------------------------------------------
# The allowlist

_TAGS = {
    # blocks
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
    "blockquote", "pre", "figure", "figcaption", "div", "section", "article", "aside", "header",
    "footer", "main", "address", "details", "summary",
    # inline
    "a", "img", "q", "cite", "code", "kbd", "samp", "var", "em", "strong", "b", "i", "u", "s",
    "del", "ins", "sub", "sup", "small", "mark", "abbr", "dfn", "time", "wbr", "bdi",
    # tables
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "col",
}

# Tags removed together with everything inside them.
_DROP_CONTENT = {
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "noframes",
    "object", "embed", "applet", "svg", "math", "form", "button", "select", "textarea",
    "audio", "video", "canvas", "nav", "title", "head", "dialog",
}

# Attributes the browser turns into a src for lazy-loaded images, in order of preference.
_LAZY_ATTRS = ("data-src", "data-lazy-src", "data-original", "data-srcset", "srcset")

_ATTRIBUTES = {
    "*": {"dir", "lang"},
    "a": {"href", "title"},
    # style and hidden only reach the post-pass, to spot hidden pixels; they are never output.
    "img": {"src", "alt", "width", "height", "title", "style", "hidden", *_LAZY_ATTRS},
    "abbr": {"title"},
    "dfn": {"title"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
}

LINK_REL = "noopener nofollow ugc"
_LINK_SCHEMES = ("http", "https", "mailto")
_NUMERIC_ATTRS = {"width", "height", "colspan", "rowspan", "start", "span"}
_ENUM_ATTRS = {
    "dir": {"ltr", "rtl", "auto"},
    "scope": {"row", "col", "rowgroup", "colgroup"},
    "reversed": {"", "reversed"},
}
# An image styled out of sight or down to a single pixel.
_HIDDEN_STYLE_RE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$|!)"
    r"|(?:^|[;\s])(?:width|height)\s*:\s*[01](?:\.0*)?(?:px)?\s*(?:;|$|!)",
    re.IGNORECASE,
)
_LANG_RE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
# Characters a browser strips from the ends of a URL (C0 controls and space).
_URL_TRIM = "".join(chr(c) for c in range(0x21))
# Script-bearing schemes: refused anywhere inside a URL, however it was reached.
_SCRIPT_SCHEME_RE = re.compile(r"(?:java|vb)script\s*:", re.IGNORECASE)


def _first_srcset_url(srcset: str) -> str:
    """The URL of a srcset's first candidate (URLs may contain commas; whitespace ends one)."""
    text = srcset.lstrip(" \t\n\r\f,")
    url = re.split(r"[ \t\n\r\f]", text, maxsplit=1)[0]
    return url.rstrip(",")


# An absolute URL that needs no resolving: http(s) with a plain host, or mailto, in printable
# ASCII without backslashes. Most links in a page, and all of them on the second pass.
_PLAIN_ABSOLUTE_RE = re.compile(
    r"(?:(https?)://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:[/?#][!-\[\]-~]*)?|(mailto):[!-\[\]-~]+)\Z",
    re.IGNORECASE,
)
_ROOT_RELATIVE_RE = re.compile(r"/[!-\[\]-~]*\Z")


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    default = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or ""), port or default


class _UrlPolicy:
    """Resolves and checks the URLs of one document against its base URL."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.origin = _origin(base_url) if base_url else None
        match = _PLAIN_ABSOLUTE_RE.match(base_url)
        parts = urlsplit(base_url) if match and match.group(1) else None
        # scheme://host[:port] of a plain base, for the common root-relative link ("/news/a").
        self.root = f"{parts.scheme}://{parts.netloc}" if parts else ""

    def resolve(self, value: str, schemes: tuple[str, ...]) -> str | None:
        """``value`` as an absolute URL with one of ``schemes``, or None."""
        value = value.strip(_URL_TRIM)
        if not value or _SCRIPT_SCHEME_RE.search(value):
            return None
        plain = _PLAIN_ABSOLUTE_RE.match(value)
        if plain:
            scheme = (plain.group(1) or plain.group(2)).lower()
            return value if scheme in schemes else None
        if self.root and value[:2] not in ("//", "/\\") and _ROOT_RELATIVE_RE.match(value):
            return self.root + value if "http" in schemes or "https" in schemes else None
        try:
            absolute = urljoin(self.base_url, value) if self.base_url else value
            scheme = urlsplit(absolute).scheme.lower()
        except ValueError:
            return None
        if scheme not in schemes or _SCRIPT_SCHEME_RE.search(absolute):
            return None
        # What the browser will parse must start with the scheme we checked.
        prefix = scheme + (":" if scheme == "mailto" else "://")
        return absolute if absolute.lower().startswith(prefix) else None

    def image(self, value: str) -> str | None:
        """An image URL we may show: https anywhere, plain http only from the base's origin."""
        absolute = self.resolve(value, ("http", "https"))
        if absolute is None:
            return None
        if absolute[:5].lower() == "http:":
            here = self.origin
            if here is None or here[0] != "http" or _origin(absolute) != here:
                return None
        return absolute


def _number(value: str) -> str | None:
    value = value.strip().lower().removesuffix("px").strip()
    return value if value.isdigit() and len(value) <= 5 else None


def _make_filter(base_url: str):
    urls = _UrlPolicy(base_url)

    def attribute_filter(tag: str, attr: str, value: str) -> str | None:
        if attr == "href":
            return urls.resolve(value, _LINK_SCHEMES)
        if tag == "img":
            if attr == "src" or attr in ("data-src", "data-lazy-src", "data-original"):
                return urls.image(value)
            if attr in ("srcset", "data-srcset"):
                return urls.image(_first_srcset_url(value))
            if attr == "style":
                return "hidden" if _HIDDEN_STYLE_RE.search(value) else None
            if attr == "hidden":
                return "hidden"
        if attr in _NUMERIC_ATTRS:
            return _number(value)
        if attr in _ENUM_ATTRS:
            lowered = value.strip().lower()
            return lowered if lowered in _ENUM_ATTRS[attr] else None
        if attr == "lang":
            lang = value.strip()
            return lang if _LANG_RE.fullmatch(lang) else None
        return value

    return attribute_filter


def _cleaner(base_url: str) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags=_DROP_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_make_filter(base_url),
        strip_comments=True,
        link_rel=LINK_REL,
        url_schemes=set(_LINK_SCHEMES),
        # The attribute filter is the authority on URLs: it returns them absolute and checked, or
        # None. (nh3's own relative-URL modes judge the value from before the filter.)
        url_relative="pass_through",
    )


# --------------------------------------------------------------------------------------------
# Post-pass over nh3's output. nh3 serialises canonically: lower-case tag names, attribute values
# in double quotes with & " < > escaped, text with & < > escaped, no comments. So every "<" starts
# a tag and these regular expressions read it exactly.

# Only the tags the post-pass rewrites (h1, img), so the callback runs for few tags.
_TAG_RE = re.compile(r"<(/?)(h1|img)((?:\s[^>]*)?)>")
_ATTR_RE = re.compile(r'([^\s="/>]+)(?:="([^"]*)")?')

_TRACKER_NAMES = {
    "pixel", "beacon", "1x1", "spacer", "blank", "transparent", "clear", "track", "tracking",
    "tracker",
}
_TRACKER_DIRS = {"pixel", "pixels", "beacon", "beacons", "tracking", "tracker"}
_TRACKER_HOST_FIRST = {"pixel", "pixels", "beacon", "beacons", "tracking", "tracker", "track"}
_PLACEHOLDER_WORDS = {
    "placeholder", "blank", "spacer", "transparent", "lazy", "lazyload", "loading", "loader",
    "dummy", "empty",
}
_WORD_SPLIT = re.compile(r"[-_.]+")


def _path_parts(url: str) -> tuple[str, list[str], str]:
    """(host, directory names, file stem), lower-case."""
    parts = urlsplit(url)
    segments = [s for s in unescape(parts.path).lower().split("/") if s]
    stem = segments[-1].split(".", 1)[0] if segments else ""
    return (parts.hostname or ""), segments[:-1], stem


def is_tracking_image(url: str, width: str = "", height: str = "") -> bool:
    """True for an image that exists to report a page view, not to be seen (rules in the module
    docstring)."""
    if width in ("0", "1") or height in ("0", "1"):
        return True
    host, dirs, stem = _path_parts(url)
    if stem in _TRACKER_NAMES or any(d in _TRACKER_DIRS for d in dirs):
        return True
    if "1x1" in _WORD_SPLIT.split(stem):
        return True
    labels = host.split(".")
    if labels[0] in _TRACKER_HOST_FIRST:
        return True
    return any("analytics" in _WORD_SPLIT.split(label) for label in labels)


def _is_placeholder(url: str) -> bool:
    _host, _dirs, stem = _path_parts(url)
    return bool(_PLACEHOLDER_WORDS.intersection(_WORD_SPLIT.split(stem)))


def _rewrite_img(attrs: str) -> str:
    values: dict[str, str] = {}
    order: list[str] = []
    for name, value in _ATTR_RE.findall(attrs):
        if name not in values:
            order.append(name)
        values[name] = value or ""
    src = values.get("src", "")
    candidates = [values[a] for a in _LAZY_ATTRS if values.get(a)]
    if candidates and (not src or _is_placeholder(unescape(src))):
        usable = [c for c in candidates if not _is_placeholder(unescape(c))]
        src = (usable or candidates)[0]
    if not src or "hidden" in values or "style" in values:
        return ""
    if is_tracking_image(unescape(src), _number(unescape(values.get("width", ""))) or "",
                         _number(unescape(values.get("height", ""))) or ""):
        return ""
    kept = [f'src="{src}"']
    for name in order:
        if name in ("alt", "width", "height", "title", "lang", "dir"):
            kept.append(f'{name}="{values[name]}"')
    return "<img " + " ".join(kept) + ">"


def _rewrite_tag(match: re.Match[str]) -> str:
    slash, name, attrs = match.groups()
    if name == "h1":
        return f"<{slash}h2{attrs}>"
    if name == "img":
        return _rewrite_img(attrs)
    return match.group(0)


# An <a> that kept no href is not a link: keep its text. (<a> cannot nest in parsed HTML.)
_DEAD_LINK_RE = re.compile(r"<a(?=[\s>])(?![^>]*\shref=)[^>]*>((?:(?!</a>).)*)</a>", re.DOTALL)
_BLANK = r"(?:\s|&nbsp;|<br>)*"
_EMPTY_BLOCK_RE = re.compile(rf"<(p|h[1-6]|figcaption|blockquote|pre)(?:\s[^>]*)?>{_BLANK}</\1>")
_EMPTY_INLINE_RE = re.compile(
    r"<(a|em|strong|b|i|u|s|del|ins|sub|sup|small|mark|q|cite|code|abbr|dfn|time|bdi|kbd|samp|var)"
    r"(?:\s[^>]*)?>(\s*)</\1>"
)
_EMPTY_FIGURE_RE = re.compile(
    r"<figure(?:\s[^>]*)?>\s*(?:<figcaption(?:\s[^>]*)?>(?:(?!</?fig).)*</figcaption>\s*)?"
    r"</figure>",
    re.DOTALL,
)


def _drop_empty(html: str) -> str:
    for _ in range(8):
        html, inline = _EMPTY_INLINE_RE.subn(lambda m: " " if m.group(2) else "", html)
        html, block = _EMPTY_BLOCK_RE.subn("", html)
        html, figure = _EMPTY_FIGURE_RE.subn("", html)
        if not (inline or block or figure):
            break
    return html


def _clean_once(cleaner: nh3.Cleaner, html: str) -> str:
    out = cleaner.clean(html)
    out = _TAG_RE.sub(_rewrite_tag, out)
    out = _DEAD_LINK_RE.sub(r"\1", out)
    return _drop_empty(out).strip()


_MAX_ROUNDS = 4


def sanitize_html(html: str, base_url: str) -> str:
    """Safe, self-contained article HTML: the allowlist and URL rules of the module docstring."""
    if not html or not html.strip():
        return ""
    cleaner = _cleaner(base_url)
    try:
        out = _clean_once(cleaner, html)
    except UnicodeEncodeError:
        out = _clean_once(cleaner, without_surrogates(html))
    for _ in range(_MAX_ROUNDS):
        again = _clean_once(cleaner, out)
        if again == out:
            return out
        out = again
    # Did not settle: keep the words, drop the markup.
    paragraphs = [p for p in html_to_text(out).split("\n\n") if p.strip()]
    escaped = markup.paragraphs(paragraphs)
    fallback = _clean_once(cleaner, escaped)
    return fallback if _clean_once(cleaner, fallback) == fallback else ""
