"""Text put into HTML or XML by hand is escaped in one module (``broadsheet.markup``): hostile
text comes out inert on every surface that builds markup itself, and no other module escapes."""

from __future__ import annotations

import ast
import json
import pathlib
from types import SimpleNamespace

from django.utils.html import escape as django_escape
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from broadsheet.api.api import snippet
from broadsheet.ingest.parse import parse_feed
from broadsheet.ingest.sanitize import sanitize_html
from broadsheet.markup import escape_attr, escape_text, paragraph, paragraphs, xml_attr
from broadsheet.readers.paywall import teaser

SRC = pathlib.Path(__file__).resolve().parents[1] / "src" / "broadsheet"
HOSTILE = "<script>alert('x')</script> & \"quoted\" <img src=x onerror=alert(1)>"


def test_text_is_escaped_for_element_content() -> None:
    assert escape_text(HOSTILE) == (
        "&lt;script&gt;alert('x')&lt;/script&gt; &amp; \"quoted\" "
        "&lt;img src=x onerror=alert(1)&gt;")
    assert escape_text("&amp;") == "&amp;amp;"  # text is text, even when it looks escaped


def test_attribute_values_escape_both_quotes() -> None:
    assert escape_attr('" onmouseover="x') == "&quot; onmouseover=&quot;x"
    assert escape_attr("' onmouseover='x") == "&#x27; onmouseover=&#x27;x"


@given(st.text())
def test_attribute_escaping_is_djangos(text: str) -> None:
    """Output that templates would produce, byte for byte, so moving code here changes nothing."""
    assert escape_attr(text) == str(django_escape(text))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(
    "\n\t\r<>&\"'")))
def test_xml_attribute_reads_back_as_written(text: str) -> None:
    element = etree.fromstring(f"<outline text={xml_attr(text)}/>".encode())
    assert element.get("text") == text


def test_paragraphs_of_plain_text() -> None:
    assert paragraph("a < b\nc") == "<p>a &lt; b\nc</p>"
    assert paragraph("a < b\nc", line_breaks=True) == "<p>a &lt; b<br>c</p>"
    assert paragraphs(["1 & 2", "<i>"], "\n") == "<p>1 &amp; 2</p>\n<p>&lt;i&gt;</p>"


def test_a_teaser_built_from_text_shows_markup_as_text() -> None:
    article = SimpleNamespace(text=f"{HOSTILE}\n\nSecond paragraph.", html="<div>other</div>")
    html, _ = teaser(article)
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert sanitize_html(html, "https://example.com/") == html  # nothing left to sanitise


def test_a_plain_text_feed_item_becomes_inert_paragraphs() -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "T",
            "items": [{"id": "1", "url": "https://example.com/1", "title": "One",
                       "content_text": f"{HOSTILE}\nnext line\n\nsecond"}]}
    parsed = parse_feed(json.dumps(feed).encode(), "https://example.com/feed.json",
                        "application/feed+json")
    html = parsed.entries[0].content_html
    assert html.startswith("<p>&lt;script&gt;") and "<br>next line" in html
    assert sanitize_html(html, "https://example.com/") == html


def test_api_snippet_marks_words_without_breaking_entities() -> None:
    found = snippet('Tom & Jerry <b>quot</b> "x"', "amp quot")
    assert found == ("Tom &amp; Jerry &lt;b&gt;<mark>quot</mark>&lt;/b&gt; &quot;x&quot;")


def _escapes_by_hand(tree: ast.AST) -> list[str]:
    """Escaping outside ``markup``: html.escape, saxutils, Django's escape, replace(x, "&...;")."""
    found = []
    html_names = {alias.asname or alias.name for node in ast.walk(tree)
                  if isinstance(node, ast.Import) for alias in node.names
                  if alias.name == "html"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in {"html", "xml.sax.saxutils",
                                                                 "django.utils.html"}:
            names = {a.name for a in node.names}
            found += sorted(names & {"escape", "quoteattr"})
        elif (isinstance(node, ast.Attribute) and node.attr == "escape"
              and isinstance(node.value, ast.Name) and node.value.id in html_names):
            found.append(f"{node.value.id}.escape")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "replace" and len(node.args) == 2
              and isinstance(node.args[1], ast.Constant)
              and str(node.args[1].value).startswith("&")):
            found.append("replace")
    return found


def test_no_other_module_escapes_by_hand() -> None:
    offenders = {}
    for path in SRC.rglob("*.py"):
        if path.name == "markup.py" and path.parent == SRC:
            continue
        found = _escapes_by_hand(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            offenders[str(path.relative_to(SRC))] = found
    assert offenders == {}


def test_the_check_finds_escaping_by_hand() -> None:
    sample = ("from html import escape\nimport html as h\nh.escape(x)\n"
              "x.replace('&', '&amp;')\nx.replace('<', ' ')\n")
    assert sorted(_escapes_by_hand(ast.parse(sample))) == ["escape", "h.escape", "replace"]
