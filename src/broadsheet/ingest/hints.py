"""Extraction hints: for a publisher whose pages the general rules read badly, where its article
is and which of its blocks to drop, given in the publisher catalogue.

Contract:
- ``ExtractionHints(container, drop)``: ``container`` is a selector of the element that holds the
  article (empty: let the extractor find it), ``drop`` selectors of blocks to remove first.
- ``parse_selector(text) -> str`` turns a selector into XPath, or raises ``HintError`` saying why.
- ``apply_hints(tree, hints) -> list[str]``: drops the ``drop`` blocks, then narrows the page's
  body to the container; returns the selectors that matched nothing (a page that changed its
  markup: the rest still applies, and the page is read as it is).

Selectors are a small, strict part of CSS, enough for page markup and easy to check: a tag name,
``.class``, ``#id``, ``[attribute]`` and ``[attribute="value"]``, combined (``div.body#main``),
descendants separated by spaces (``article .body``), alternatives by commas. Anything else
(``>``, ``:not()``, pseudo-classes) is refused when the catalogue is loaded, never at fetch time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.etree import XPathEvalError
from lxml.html import HtmlElement


class HintError(ValueError):
    """A selector outside the supported part of CSS; the message says which and why."""


@dataclass(frozen=True)
class ExtractionHints:
    """Where a publisher's article is on its pages, and which blocks of them to drop."""

    container: str = ""
    drop: tuple[str, ...] = ()

    def selectors(self) -> list[str]:
        """Every selector of the hints, container first."""
        return ([self.container] if self.container else []) + list(self.drop)


_NAME = r"[A-Za-z_][\w-]*"
_PART = re.compile(
    rf"""(?P<tag>{_NAME}|\*)|\.(?P<cls>{_NAME})|\#(?P<id>{_NAME})
    |\[(?P<attr>{_NAME})(?:=(?P<q>["']?)(?P<value>[^"'\]]*)(?P=q))?\]""",
    re.VERBOSE,
)
_COMPOUND = re.compile(
    rf"""(?:{_NAME}|\*)?(?:\.{_NAME}|\#{_NAME}|\[{_NAME}(?:=(["']?)[^"'\]]*\1)?\])*""",
    re.VERBOSE,
)


def _compound_xpath(compound: str) -> str:
    """One compound selector (``div.body#main[data-x="1"]``) as an XPath step."""
    if not compound or _COMPOUND.fullmatch(compound) is None:
        raise HintError(f"selector part {compound!r} is not a tag, .class, #id or [attribute]")
    tag, tests = "*", []
    position = 0
    while position < len(compound):
        match = _PART.match(compound, position)
        assert match is not None and match.end() > position  # guaranteed by _COMPOUND
        if match.group("tag"):
            tag = match.group("tag").lower()
        elif match.group("cls"):
            tests.append("contains(concat(' ', normalize-space(@class), ' '), "
                         f"' {match.group('cls')} ')")
        elif match.group("id"):
            tests.append(f"@id='{match.group('id')}'")
        elif match.group("value") is not None:
            tests.append(f"@{match.group('attr')}='{match.group('value')}'")
        else:
            tests.append(f"@{match.group('attr')}")
        position = match.end()
    return tag + "".join(f"[{test}]" for test in tests)


def parse_selector(text: str) -> str:
    """The XPath of a selector (module docstring), or ``HintError``."""
    if not isinstance(text, str) or not text.strip():
        raise HintError("a selector must be a non-empty string")
    alternatives = []
    for alternative in text.split(","):
        steps = alternative.split()
        if not steps:
            raise HintError(f"selector {text!r} has an empty alternative")
        alternatives.append("//" + "//".join(_compound_xpath(step) for step in steps))
    return " | ".join(alternatives)


def matches(tree: HtmlElement, selector: str) -> list[HtmlElement]:
    """The elements of ``tree`` a selector matches, in document order."""
    try:
        found = tree.xpath(parse_selector(selector))
    except XPathEvalError as error:  # a value with quotes of both kinds, say
        raise HintError(f"selector {selector!r} cannot be used: {error}") from error
    return [element for element in found if isinstance(element, HtmlElement)]


def apply_hints(tree: HtmlElement, hints: ExtractionHints) -> list[str]:
    """Drop the hinted blocks and narrow the body to the container (module docstring)."""
    missed = []
    for selector in hints.drop:
        found = matches(tree, selector)
        if not found:
            missed.append(selector)
        for element in found:
            if element.getparent() is not None:
                element.drop_tree()
    if hints.container:
        found = matches(tree, hints.container)
        body = tree.find("body")
        if not found or body is None:
            missed.append(hints.container)
        else:
            container = found[0]
            container.tail = None
            for child in list(body):
                body.remove(child)
            body.text = None
            body.append(container)
    return missed
