"""Article body: trafilatura's block tree, trimmed of page chrome.

trafilatura finds the region of the page that holds the article and returns it as a small XML
tree of blocks (``p``, ``head``, ``list``/``item``, ``quote``, ``graphic``, ``table``) with
inline ``hi`` (formatting) and ``ref`` (links). It often keeps a little too much at both ends: the
headline, standfirst and byline above the first paragraph, and newsletter boxes, "related" link
lists, share bars and copyright lines below the last one. ``trim_blocks`` removes those with
general rules (position, link density, likeness to the page's own title and description, and
phrases every publisher uses for its chrome); each rule has a name (``TRIM_RULES``) and can be
switched off (``Options.skip_rules``), so the benchmark judges every rule on sites it was not
tuned on. The trimmed blocks are rendered as simple HTML by ``render``; the text is that HTML's
text (``plaintext.html_to_text``), so the two always agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.metadata import Document

from broadsheet.ingest.extract_meta import PageMeta
from broadsheet.ingest.hints import ExtractionHints

_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"\w+")

# Phrases that only ever appear in a page's furniture, never in reporting. Matched against
# blocks of limited length only (see _is_chrome), so an article quoting one of them in a long
# paragraph survives.
_CHROME = re.compile(
    r"""
    \b(newsletters?|unsubscribe)\b
    |\bthanks?\s+(you\s+)?for\s+(signing\s+up|subscribing)\b
    |\bsign\s+up\s+(for|to)\s+(our|the)\b|\bsubscribe\s+to\s+our\b
    |\ball\s+rights\s+reserved\b
    |(©|\(c\)\s*\d{4}|\bcopyright\b)
    |\bshare\s+(via|this\s+(article|story)|on\s+(facebook|twitter|x|linkedin|whatsapp))\b
    |\b(we|this\s+site)\s+uses?\s+cookies\b|\bcookie\s+(policy|settings|preferences)\b
    |\bprivacy\s+(policy|notice)\b
    |\bterms\s+(of\s+(use|service)|and\s+conditions)\b
    |\bcomments?\s*(\(\d+\)|are\s+closed|policy)\b
    |\b(leave|post|add|write)\s+(a\s+)?comments?\b
    |\b(to|in|into|meet|hits?)\s+your\s+inbox\b
    |\bpersonal,?\s+non-commercial\s+use\b
    |\border\s+reprints\b
    |\bwas\s+an\s+error\s+processing\b
    |\bdownload\s+(our|the)\s+(free\s+)?app\b
    |\benable\s+javascript\b
    """,
    re.IGNORECASE | re.VERBOSE,
)

# Furniture that names itself in its first words: "Related stories", "Read more", "Share this".
# Only for one-liners (_LABEL_WORDS), where it cannot be the start of a sentence of reporting.
_LABEL = re.compile(
    r"""
    ^\W*(
    (related|recommended|more|popular|trending|latest|top)\s+
        (stories|articles|news|posts|reads|videos|links|coverage|content|from|on|in)
    |(read|see|watch|listen)\s+(more|next|also|the\s+full|now|here)
    |also\s+(read|see)|most\s+(read|popular|viewed|shared|watched)
    |(share|follow|like)\s+(this|us|on|via)|share\b|follow\b
    |(click|tap)\s+here|sign\s*up|subscribe|register|log\s*in
    |advertisement|sponsored|print(\s+article)?|email\b
    |an\s+error\s+(has\s+)?occurred|please\s+try\s+again|sorry\b
    |(thanks?|thank\s+you)\b
    |(you\s+)?may\s+(also\s+)?like|don.t\s+miss|editor.s\s+picks?
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_LABEL_WORDS = 10

# A labelled pointer to another story: "Read more: ...", "[Related: ...]", "SEE ALSO: ...".
_POINTER = re.compile(
    r"^\W*(related(\s+(post|posts|stories|story|articles?|content|reading|coverage))?"
    r"|(read|see|watch|listen)(\s+(more|also|next))?|more|also(\s+(read|see|on\s+\S+))?"
    r"|don.t\s+miss|recommended|trending|top\s+stories|most\s+read)\s*[:|]",
    re.IGNORECASE,
)
_POINTER_WORDS = 30

# Lines that close an article: credits, contact lines, reading prompts. Only ever taken off the
# end of the text, past the last paragraph of prose.
_CREDITS = re.compile(
    r"""
    ^\W*((additional\s+)?reporting\s+by|(writing|editing|edited)\s+by)\b
    |\bcontributed\s+(to\s+)?(this\s+)?(report|reporting|story|article)\b
    |^\W*(write\s+to|email|e-mail|reach|contact)\s+(\w+\s+){0,4}(at|on|via)\b
    |^\W*have\s+a\s+(news\s+)?tip\b
    |\bfollow\s+(us|him|her|them|@\w+|(\w+\s+){1,4}on\s+(twitter|facebook|instagram|x))\b
    |^\W*(copyright|©)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_CREDITS_WORDS = 40

# "5 min read", "Reading time: 2 minutes", "Tempo de leitura: 1 minuto"
_READING_TIME = re.compile(r"\b\d+\s*(min|mins|minutes?|minutos?|minuten)\b", re.IGNORECASE)

# A byline or dateline on its own line: "By Jane Doe", "Jane Doe, Reporter", "Updated at 1:23 p.m."
_BYLINE = re.compile(r"^\s*(by|from|von|par|por|di|door)\s+\S", re.IGNORECASE)
_DATELINE = re.compile(
    r"^\s*(updated|published|posted|last\s+updated|first\s+published)\b", re.IGNORECASE
)
# a long unbroken run of ASCII letters, digits and punctuation: markup or script leaking out
_CODE_RUN = re.compile(r"[\w\-./:;=]{40,}", re.ASCII)

# A picture caption that lost its picture: "FILE PHOTO: ...", "... Jane Doe / AP file"
_CAPTION_TEXT = re.compile(
    r"^\W*(?i:(file\s+)?photo\s*:)|"
    r"[/|]\s*(AP|AFP|Reuters|Getty\s+Images|EPA|Shutterstock|Bloomberg)(\s+(file|photo|images))*"
    r"\W*$|\((AP|AFP|Reuters)\s+Photo[^)]*\)\W*$",
)
_CAPTION_WORDS = 60

# a reference or a source given as a bare address: content even when it is all link
_CITATION = re.compile(r"^\s*(\[\d+\]|\d+\.\s|https?://|www\.)")
_TIMESTAMP = re.compile(
    r"^\s*\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:?\d\d)?)?\s*$"
)
_NON_PROSE = re.compile(
    r"^\s*(https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+|"
    r"\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d)?(\.\d+)?(Z|[+-]\d\d:?\d\d)?)?)\s*$",
    re.IGNORECASE,
)
_DATELIKE = re.compile(
    r"\b(\d{1,2}:\d\d\s*(am|pm|a\.m\.|p\.m\.)?|\d{1,2}\.\d\d\s*(am|pm|a\.m\.|p\.m\.)|\d{4}-\d\d-\d\d|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}|"
    r"\d{1,2}\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4})\b",
    re.IGNORECASE,
)

# Lines that close an article page: tags, categories, comment counters, "filed under".
_TRAILER = re.compile(
    r"^\s*(tags?|topics?|filed\s+under|posted\s+in|categor(y|ies)|comments?|share|related)\b",
    re.IGNORECASE,
)

_BLOCKS = {"p", "head", "list", "quote", "graphic", "table", "code"}


@dataclass(frozen=True)
class Options:
    """Extraction settings, exposed so the benchmark can compare them."""

    favor_precision: bool = False
    # recall mode: as accurate as balanced once trimmed (the trimming takes over precision's
    # job) and a quarter faster, as it skips trafilatura's second-chance passes
    favor_recall: bool = True
    fast: bool = False
    trim: bool = True
    keep_images: bool = True
    # join an article body the page splits into sibling chunks (0: leave the page as it is)
    chunk_paragraphs: int = 2
    # trimming rules switched off, by name (``TRIM_RULES``): the benchmark's ablations
    skip_rules: frozenset[str] = frozenset()
    # the publisher's own hints from the catalogue: its article's container, blocks to drop
    hints: ExtractionHints | None = None


DEFAULT_OPTIONS = Options()


def run_trafilatura(tree: HtmlElement, url: str, options: Options) -> _Element | None:
    """trafilatura's body tree for the page (comments off), or None when it finds nothing."""
    if options.chunk_paragraphs:
        join_split_body(tree, options.chunk_paragraphs)
    document = bare_extraction(
        tree,
        url=url or None,
        include_comments=False,
        include_tables=True,
        include_images=options.keep_images,
        include_formatting=True,
        include_links=True,
        favor_precision=options.favor_precision,
        favor_recall=options.favor_recall,
        fast=options.fast,
        with_metadata=False,
    )
    if not isinstance(document, Document):  # None: nothing found (a dict only when asked for)
        return None
    return document.body


_CHUNK_TAGS = {"div", "section"}
_PROSE_WORDS = 20


def _prose_paragraphs(element: _Element) -> int:
    """Paragraphs of at least ``_PROSE_WORDS`` words (the measure of prose the trimming uses)."""
    return sum(
        1 for p in element.iter("p") if len(_WORDS.findall("".join(p.itertext()))) >= _PROSE_WORDS
    )


def join_split_body(tree: HtmlElement, min_paragraphs: int) -> None:
    """Join an article body that the page splits into chunks, so that it is found whole.

    Pages interrupt long articles with advertisements and sign-up boxes by closing the body's
    container and opening an identical one after the interruption. trafilatura picks one
    container, and the article loses everything after the first break. Sibling ``div`` or
    ``section`` elements with the same classes, each holding at least ``min_paragraphs``
    paragraphs of prose, are such chunks: their contents move into the first, in order; what
    stood between them (the advertisements) stays where it was.
    """
    for parent in list(tree.iter(*_CHUNK_TAGS, "article", "main", "body")):
        groups: dict[str, list[_Element]] = {}
        for child in parent:
            if child.tag not in _CHUNK_TAGS:
                continue
            classes = " ".join((child.get("class") or "").split())
            if classes:
                groups.setdefault(classes, []).append(child)
        for chunks in groups.values():
            if len(chunks) < 2 or any(_prose_paragraphs(c) < min_paragraphs for c in chunks):
                continue
            first = chunks[0]
            for chunk in chunks[1:]:
                first.extend(list(chunk))
                parent.remove(chunk)


def block_text(element: _Element) -> str:
    """A block's visible text on one line."""
    return _SPACES.sub(" ", "".join(element.itertext())).strip()


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(text)]


class _Block:
    """One top-level block of the body with the measures the trimming rules use, computed once."""

    __slots__ = ("element", "tag", "text", "words", "count", "_density")

    def __init__(self, element: _Element) -> None:
        self.element = element
        self.tag = element.tag
        self.text = block_text(element)
        self.words = _words(self.text)
        self.count = len(self.words)
        self._density: float | None = None

    @property
    def link_density(self) -> float:
        """Share of the block's characters inside links."""
        if self._density is None:
            total = len(self.text)
            linked = sum(len(block_text(ref)) for ref in self.element.iter("ref"))
            self._density = min(linked / total, 1.0) if total else 0.0
        return self._density

    def link_led_items(self) -> float:
        """Share of a list's items that open with a link: the shape of "related" lists."""
        items = [item for item in self.element.iter("item") if block_text(item)]
        if not items:
            return 0.0
        led = 0
        for item in items:
            first = next((ref for ref in item.iter("ref") if block_text(ref)), None)
            if first is not None and block_text(item).startswith(block_text(first)[:20]):
                led += 1
        return led / len(items)

    def is_chrome(self, max_words: int) -> bool:
        """Furniture: a link list, a mostly-linked line, page data, or furniture phrases."""
        if self.tag == "list" and self.link_density > 0.6:
            return True
        if _NON_PROSE.match(self.text):
            return True
        if self.count <= max_words and _CHROME.search(self.text):
            return True
        if self.count <= _LABEL_WORDS and _LABEL.search(self.text):
            return True
        return self.tag != "list" and self.count <= 40 and self.link_density > 0.7

    def is_prose(self) -> bool:
        """Certainly article prose: a paragraph long enough, not links, not furniture."""
        return (
            self.tag in ("p", "quote")
            and self.count >= 20
            and self.link_density < 0.5
            and not _CHROME.search(self.text)
            and not _CODE_RUN.search(self.text)
        )

    def is_short_prose(self) -> bool:
        """A sentence or two of reporting: articles often end on short paragraphs."""
        return (
            self.tag in ("p", "quote")
            and not _CODE_RUN.search(self.text)
            and self.count >= 10
            and self.link_density < 0.3
            and not _CHROME.search(self.text)
            and not _LABEL.search(self.text)
        )


def _similar(words: list[str], reference: list[str]) -> bool:
    """Whether a block repeats a reference (the headline) almost word for word."""
    a, b = words, reference
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    if len(shorter) < 3:
        return False
    if len(shorter) >= 0.6 * len(longer) and " ".join(shorter) in " ".join(longer):
        return True
    set_a, set_b = set(a), set(b)
    return len(set_a & set_b) >= 0.85 * max(len(set_a), len(set_b))


# Class names publishers give the furniture above an article: standfirst, dek, kicker, byline.
_HEADER_CLASS = re.compile(
    r"standfirst|\bdek\b|sub-?title|subhead|strapline|kicker|eyebrow|byline|dateline|timestamp",
    re.IGNORECASE,
)
_CAPTION_CLASS = re.compile(r"caption|credit|figcaption|wp-caption", re.IGNORECASE)
_PHOTO_CREDIT = re.compile(
    r"\((AP|AFP|Reuters|Getty)\b[^)]*\)|\b(photo|image|picture|foto)\s*(credit)?\s*:|"
    r"\bcredit\s*:|\b(getty\s+images|shutterstock|istock)\b|\bphotograph(ed)?\s+by\b",
    re.IGNORECASE,
)


def _lone_graphic(element: _Element) -> _Element | None:
    """The image a block consists of: a ``graphic``, or a paragraph holding only one."""
    if element.tag == "graphic":
        return element
    if element.tag == "p" and not block_text(element):
        graphics = list(element.iter("graphic"))
        if len(graphics) == 1:
            return graphics[0]
    return None


def fold_captions(body: _Element) -> None:
    """Move image captions out of the text and onto their image.

    With images kept, trafilatura returns a picture's caption as the paragraph after it. Read
    as text it interrupts the article; it belongs in the figure's ``figcaption``. A paragraph is
    a caption when it follows an image and is marked as one, repeats the image's alt text, or
    carries a photo credit. Galleries (lists of images) become figures in the same way.
    """
    children = list(body)
    for index, element in enumerate(children):
        if element.tag == "list" and element.find(".//graphic") is not None:
            for graphic in element.iter("graphic"):
                if not graphic.get("title"):
                    graphic.set("title", graphic.get("alt") or "")
            graphics = list(element.iter("graphic"))
            for graphic in graphics:
                graphic.tail = None
                body.insert(body.index(element), graphic)
            body.remove(element)
            continue
        graphic = _lone_graphic(element)
        if graphic is None or index + 1 >= len(children):
            continue
        follower = children[index + 1]
        if follower.tag != "p" or follower.getparent() is not body:
            continue
        text = block_text(follower)
        words = _words(text)
        if not words or len(words) > 80:
            continue
        alt = set(_words(graphic.get("alt") or "") + _words(graphic.get("title") or ""))
        marked = _CAPTION_CLASS.search(
            (follower.get("class") or "") + " " + (follower.get("id") or "")
        )
        repeats_alt = bool(alt) and len(set(words) & alt) >= 0.6 * len(set(words))
        if marked or repeats_alt or _PHOTO_CREDIT.search(text):
            graphic.set("title", text)
            body.remove(follower)


# word limits for the furniture phrases: strict in mid-article, loose above and below it
_MID_WORDS = 15
_EDGE_WORDS = 60


# The names of the trimming rules, in the order they are tried; ``Options.skip_rules`` switches
# any of them off (the benchmark scores each one by cross-validation grouped by site, and a rule
# stays only if it wins on held-back sites: "top: author" and "top: kicker", a short block naming
# the author or of at most three words above the article, lost there and were removed).
TRIM_RULES = (
    "top: heading", "top: repeats the title", "top: marked as header", "top: byline or date",
    "top: chrome", "chrome phrase", "link to another page",
    "caption", "repeats the title", "repeated block", "bottom: footer", "bottom: heading",
    "bottom: trailer", "bottom: chrome",
)


class _Trim:
    """The blocks of one body as they are trimmed, what was removed and why, and the rules
    switched off."""

    def __init__(self, body: _Element, skip: frozenset[str]) -> None:
        self.body = body
        self.skip = skip
        self.kept = [_Block(child) for child in body if child.tag in _BLOCKS]
        self.removed: list[tuple[_Element, str]] = []

    def drop(self, block: _Block, reason: str) -> bool:
        """Remove ``block`` by the rule ``reason``, unless that rule is switched off."""
        if reason in self.skip:
            return False
        self.body.remove(block.element)
        self.removed.append((block.element, reason))
        self.kept.remove(block)
        return True


def trim_blocks(body: _Element, meta: PageMeta,
                skip: frozenset[str] = frozenset()) -> list[tuple[_Element, str]]:
    """Drop headline/kicker/byline blocks before the article and chrome blocks around it.

    Returns the removed blocks with the rule that removed each, for the benchmark's reports;
    the rules named in ``skip`` (``TRIM_RULES``) are not applied.
    """
    trim = _Trim(body, skip)
    _trim_top(trim, meta)
    _trim_middle(trim, meta)
    _trim_bottom(trim)
    return trim.removed


def _top_reason(block: _Block, titles: list[list[str]]) -> str:
    """Why a block above the first paragraph is furniture ("" when it is not)."""
    text, short = block.text, block.count <= 12
    if block.tag == "head" or not text:
        return "top: heading"
    if any(_similar(block.words, ref) for ref in titles):
        return "top: repeats the title"
    marks = (block.element.get("class") or "") + " " + (block.element.get("id") or "")
    if block.count <= 60 and _HEADER_CLASS.search(marks):
        return "top: marked as header"
    if short and (_BYLINE.search(text) or _DATELINE.search(text) or _DATELIKE.search(text)
                  or _READING_TIME.search(text)):
        return "top: byline or date"
    return "top: chrome" if block.is_chrome(_EDGE_WORDS) else ""


def _trim_top(trim: _Trim, meta: PageMeta) -> None:
    """The top: headline, kicker, standfirst, byline and dateline above the first paragraph."""
    titles = [t for t in (_words(meta.title), _words(meta.site_name)) if t]
    for block in list(trim.kept):
        if block.tag == "graphic":
            continue  # the lead picture: kept for the HTML body, silent in the text
        reason = _top_reason(block, titles)
        if not reason or not trim.drop(block, reason):
            break


def _middle_reasons(block: _Block, title: list[str], own_addresses: set[str]) -> Iterator[str]:
    """The rules that hold anywhere in the body and find ``block`` to be furniture, in order."""
    text, count = block.text, block.count
    if text and (
        text.rstrip("/") in own_addresses
        or _TIMESTAMP.match(text)
        or (count <= _MID_WORDS and _CHROME.search(text))
        or (count <= _LABEL_WORDS and _LABEL.search(text))
        or (count <= _POINTER_WORDS and _POINTER.search(text))
    ):
        yield "chrome phrase"
    if (block.tag == "p" and 3 <= count <= 30 and block.link_density >= 0.9
            and not _CITATION.match(text)):
        yield "link to another page"
    if count <= _CAPTION_WORDS and block.tag == "p" and _CAPTION_TEXT.search(text):
        yield "caption"
    if count <= 30 and _similar(block.words, title):
        yield "repeats the title"


def _trim_middle(trim: _Trim, meta: PageMeta) -> None:
    """Anywhere: short furniture blocks, lone links to other pages, the headline again, and
    blocks the page repeats near the top (a standfirst printed twice) or back to back."""
    title = _words(meta.title)
    own_addresses = {u.rstrip("/") for u in (meta.url, meta.canonical_url) if u}
    seen: set[str] = set()
    previous = ""
    for index, block in enumerate(list(trim.kept)):
        if any(trim.drop(block, reason)
               for reason in _middle_reasons(block, title, own_addresses)):
            continue
        key = " ".join(block.words)
        if block.count >= 10 and (key == previous or key in seen) \
                and trim.drop(block, "repeated block"):
            continue
        if index < 4:
            seen.add(key)
        previous = key


def _bottom_reason(block: _Block) -> str:
    """Why a block at the end of the body, past the last prose, is furniture ("" if not)."""
    text, count = block.text, block.count
    if block.tag in ("head", "graphic") or not text:
        return "bottom: heading"
    if (_TRAILER.search(text) or (count <= 12 and _DATELINE.search(text))
            or (count <= _CREDITS_WORDS and _CREDITS.search(text))):
        return "bottom: trailer"
    return "bottom: chrome" if block.is_chrome(_EDGE_WORDS) else ""


def _trim_bottom(trim: _Trim) -> None:
    """The bottom. Past the last paragraph of prose, the first piece of furniture (newsletter
    box, share bar, related links) starts the page's footer: cut from there, unless prose
    follows it. Then peel headings, datelines, credits and furniture off the end."""
    kept = trim.kept
    last_prose = max((i for i, block in enumerate(kept) if block.is_prose()), default=-1)
    tail = kept[last_prose + 1 :]
    if "bottom: footer" not in trim.skip:
        for position, block in enumerate(tail):
            if block.is_chrome(_EDGE_WORDS) or (
                    block.tag == "list" and block.link_led_items() >= 0.6):
                rest = tail[position:]
                if not any(follower.is_short_prose() for follower in rest[1:]):
                    for follower in rest:
                        trim.drop(follower, "bottom: footer")
                break
    for block in reversed(list(trim.kept)):
        if block.is_prose():
            break
        reason = _bottom_reason(block)
        if not reason or not trim.drop(block, reason):
            break
