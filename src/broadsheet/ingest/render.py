"""Rendering: trafilatura's block tree of an article body as simple HTML.

``render_html(body, base_url)`` writes p, h2-h4, ul/ol/li, blockquote, figure/img/figcaption, a,
em and strong; links and images are made absolute against ``base_url``. Inline elements keep
the source's spaces at their edges (they are its word breaks), so the text read from this HTML
(``plaintext.html_to_text``) never glues two words together.
"""

from __future__ import annotations

from urllib.parse import urljoin

from lxml.etree import _Element

from broadsheet import markup

_HI_TAGS = {"#b": "strong", "#i": "em", "#u": "em", "#t": "", "#sub": "", "#sup": ""}


def _text_markup(text: str | None) -> str:
    """Text as HTML. trafilatura marks the line breaks it keeps inside a block (lines it joined
    from separate elements) with newlines: they stay line breaks."""
    if not text:
        return ""
    return markup.escape_text(text).replace("\n", "<br>")


def _render_inline(node: _Element, base_url: str) -> str:
    """A block's inline markup. Spaces at the edges of inline elements are the source's word
    breaks ("on<ref> Facebook</ref>,"): kept here, trimmed only at the block's edges."""
    return _inline_markup(node, base_url).strip()


def _inline_markup(node: _Element, base_url: str) -> str:
    parts: list[str] = [_text_markup(node.text)]
    for child in node:
        inner = _inline_markup(child, base_url)
        if child.tag == "hi":
            tag = _HI_TAGS.get(child.get("rend") or "", "")
            parts.append(f"<{tag}>{inner}</{tag}>" if tag and inner.strip() else inner)
        elif child.tag == "ref":
            target = (child.get("target") or "").strip()
            if target and not target.lower().startswith(("javascript:", "data:")):
                href = markup.escape_attr(urljoin(base_url, target))
                parts.append(f'<a href="{href}">{inner}</a>')
            else:
                parts.append(inner)
        elif child.tag == "lb":
            parts.append("<br>")
        else:  # a graphic's own text (rarely any) reads in place; its image follows the block
            parts.append(inner)
        parts.append(_text_markup(child.tail))
    return "".join(parts)


def _render_figure(element: _Element, base_url: str) -> str:
    src = (element.get("src") or "").strip()
    if not src:
        return ""
    alt = element.get("alt") or element.get("title") or ""
    img = (f'<img src="{markup.escape_attr(urljoin(base_url, src))}" '
           f'alt="{markup.escape_attr(alt)}">')
    caption = element.get("title") or ""
    if caption:
        return f"<figure>{img}<figcaption>{markup.escape_text(caption)}</figcaption></figure>"
    return f"<figure>{img}</figure>"


def _render_list(element: _Element, base_url: str) -> str:
    """A list and its non-empty items ("" when none is left)."""
    kind = "ol" if element.get("rend") == "ol" else "ul"
    items = [_render_inline(item, base_url) for item in element if item.tag == "item"]
    items = [i for i in items if i]
    if not items:
        return ""
    return f"<{kind}>" + "".join(f"<li>{i}</li>" for i in items) + f"</{kind}>"


def render_html(body: _Element, base_url: str) -> str:
    """Simple HTML: p, h2-h4, ul/ol/li, blockquote, figure/img/figcaption, a, em, strong."""
    out: list[str] = []
    for element in body:
        tag = element.tag
        if tag == "graphic":
            out.append(_render_figure(element, base_url))
        elif tag == "head":
            level = (element.get("rend") or "h2").lstrip("h")
            number = min(max(int(level) if level.isdigit() else 2, 2), 4)
            inner = _render_inline(element, base_url)
            if inner:
                out.append(f"<h{number}>{inner}</h{number}>")
        elif tag == "list":
            out.append(_render_list(element, base_url))
        elif tag == "quote":
            inner = _render_inline(element, base_url)
            if inner:
                out.append(f"<blockquote><p>{inner}</p></blockquote>")
        elif tag == "table":
            for row in element.iter("row"):
                cells = [_render_inline(c, base_url) for c in row if c.tag == "cell"]
                cells = [c for c in cells if c]
                if cells:
                    out.append("<p>" + " | ".join(cells) + "</p>")
        else:
            figures = [g for g in element.iter("graphic")]
            inner = _render_inline(element, base_url)
            if inner:
                out.append(f"<p>{inner}</p>")
            out.extend(_render_figure(g, base_url) for g in figures)
    return "\n".join(part for part in out if part)
