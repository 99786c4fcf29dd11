"""Site templates: the blocks a publisher prints on page after page, found and removed.

A newsletter box, a "most read" heading, a credits line or a standing disclaimer passes every
general trimming rule on some site, because on that site it looks like prose. Broadsheet sees many
pages of each publisher, and such a block is the same text on all of them, while reporting is not.
So each block of an article's stored HTML (a paragraph, heading, quote, or one item of a list) is
reduced to a fingerprint of its words, and a host keeps, per fingerprint, on how many of its pages
the block was seen. A block seen on enough of the host's *other* pages is the site's template and
leaves a new page's text.

This module is pure (no database): ``page_fingerprints`` gives what to learn from a page,
``repeated_blocks`` decides which learnt blocks are template, ``strip_blocks`` and
``without_template`` remove them. ``SiteTemplate`` keeps the counts in memory for one host
(``broadsheet extract --jsonl``, the benchmark and tests); ``publishers.site_templates`` keeps
them in the database for the pipeline.

Safety: a page is never left without its article. A block longer than ``MAX_BLOCK_WORDS`` is
never a template (long paragraphs of reporting are not learnt at all); removal that would leave
less than half of the page's words, or nothing, leaves the page as it was; and a block must be seen
on at least ``MIN_PAGES`` other pages and on ``MIN_SHARE`` of the host's pages, so a background
paragraph reused by three articles of a long-running story on a large site stays.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from lxml import html as lxml_html

from . import plaintext
from .prepare import summary_of
from .record import ArticleRecord
from .words import word_count

# A block printed on this many of a host's other pages, and on this share of all its pages, is
# the site's template.
MIN_PAGES = 3
MIN_SHARE = 0.05
# Blocks of more words than this are reporting, never furniture, and are not fingerprinted.
MAX_BLOCK_WORDS = 80
# Removal never takes more than this share of a page's words: past it, the page stays whole.
MAX_REMOVED_SHARE = 0.5

_WORDS = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")
_BLOCK_TAGS = {"p", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "div",
               "section", "article", "aside", "figure"}
_LIST_TAGS = {"ul", "ol"}


def host_of(url: str) -> str:
    """The host whose template a page shares: its host name, without ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def fingerprint(text: str) -> str:
    """A block's identity across pages: its words, lower-cased, with numbers as one symbol
    (so "© 2025" and "© 2026", or "12 comments" and "40 comments", are one block); empty when
    the block has no words or too many to be furniture."""
    words = _WORDS.findall(_DIGITS.sub("0", text.lower()))
    if not words or len(words) > MAX_BLOCK_WORDS:
        return ""
    return hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=8).hexdigest()


def _units(root: lxml_html.HtmlElement) -> Iterable[lxml_html.HtmlElement]:
    """The removable units of a body: its top-level blocks, and each item of a list (a "most
    read" list changes its items but keeps its heading; a sign-up list item stays the same)."""
    for child in root:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _LIST_TAGS:
            yield from (item for item in child if item.tag == "li")
        elif child.tag in _BLOCK_TAGS:
            yield child


def _parse(html: str) -> lxml_html.HtmlElement | None:
    """The body HTML as a tree under one ``div``; None for empty or unreadable HTML."""
    if not html.strip():
        return None
    try:
        return lxml_html.fragment_fromstring(html, create_parent="div")
    except (ValueError, TypeError):  # lxml's ParserError is a ValueError
        return None


def _text(element: lxml_html.HtmlElement) -> str:
    return " ".join("".join(element.itertext()).split())


def page_fingerprints(html: str) -> set[str]:
    """The distinct fingerprints of a body's blocks: what one page teaches its host."""
    root = _parse(html)
    if root is None:
        return set()
    found = {fingerprint(_text(unit)) for unit in _units(root)}
    found.discard("")
    return found


def repeated_blocks(block_pages: dict[str, int], host_pages: int,
                    min_pages: int = MIN_PAGES, min_share: float = MIN_SHARE) -> set[str]:
    """The fingerprints that are the host's template: seen on at least ``min_pages`` pages and
    on ``min_share`` of the ``host_pages`` pages learnt so far."""
    needed = max(min_pages, math.ceil(min_share * host_pages))
    return {key for key, pages in block_pages.items() if pages >= needed}


def strip_blocks(html: str, template: set[str]) -> str:
    """``html`` without the blocks whose fingerprint is in ``template``; the same string when
    nothing is removed, or when removal would take the article with it (module docstring)."""
    if not template:
        return html
    root = _parse(html)
    if root is None:
        return html
    doomed = [unit for unit in _units(root) if fingerprint(_text(unit)) in template]
    if not doomed:
        return html
    total = len(_WORDS.findall(_text(root)))
    removed = sum(len(_WORDS.findall(_text(unit))) for unit in doomed)
    if total == 0 or removed >= total or removed > MAX_REMOVED_SHARE * total:
        return html
    for unit in doomed:
        parent = unit.getparent()
        unit.drop_tree()  # the text after it, if any, stays in place
        if parent is not None and parent.tag in _LIST_TAGS and not len(parent):
            parent.drop_tree()
    return "".join(_serialise(root))


def _serialise(root: lxml_html.HtmlElement) -> Iterable[str]:
    """The children of the wrapping ``div`` as HTML, one block per line like the stored body."""
    if root.text and root.text.strip():
        yield root.text
    for child in root:
        yield lxml_html.tostring(child, encoding="unicode", with_tail=False)
        yield (child.tail or "") if (child.tail or "").strip() else "\n"


def without_template(article: ArticleRecord, template: set[str]) -> ArticleRecord:
    """The article with its site's template blocks removed from its HTML, and its text, word
    count and (when it came from a removed block) summary made again from what is left."""
    html = strip_blocks(article.html, template)
    if html == article.html:
        return article
    html = html.strip()
    text = plaintext.html_to_text(html)
    summary = article.summary
    # a summary made from the text's first paragraph, or itself a template block, is made again;
    # one the page gave (its description) stays
    if not summary or summary == summary_of(article.text) \
            or fingerprint(summary.rstrip("…")) in template:
        summary = summary_of(text)
    return replace(article, html=html, text=text, summary=summary,
                   word_count=word_count(text))


@dataclass
class SiteTemplate:
    """One host's learnt blocks, in memory: how many pages it has shown, and on how many of them
    each block appeared."""

    pages: int = 0
    blocks: Counter[str] = field(default_factory=Counter)

    def learn(self, html: str) -> None:
        """Count one more page of the host (call once per distinct page)."""
        self.pages += 1
        self.blocks.update(page_fingerprints(html))

    def template(self) -> set[str]:
        """The fingerprints that are this host's template now."""
        return repeated_blocks(self.blocks, self.pages)

    def clean(self, html: str) -> str:
        """A new page's body without the host's template (learn it afterwards)."""
        return strip_blocks(html, self.template())

    def forget_rare(self) -> None:
        """Forget the blocks seen on one page only: most are one article's own paragraphs, and
        they would otherwise grow with every page learnt."""
        self.blocks = Counter({key: pages for key, pages in self.blocks.items() if pages > 1})
