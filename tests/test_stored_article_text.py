"""A reader (and search) gets an article's text as the page reads: words apart, blocks apart.

The text stored for an article, served as the API's ``text`` and indexed for search, comes from
one HTML-to-text function (``plaintext.html_to_text``); ``extract()`` and
``broadsheet extract --jsonl`` give the same text the pipeline stores.
"""

from __future__ import annotations

import io
import json

import pytest

from broadsheet.ingest.extract import extract
from broadsheet.ingest.offline import extract_lines
from broadsheet.ingest.plaintext import html_to_line, html_to_text
from broadsheet.ingest.prepare import prepare_page

URL = "https://news.example/2026/harbour-letters"
PROSE = (
    "The harbour authority said the new timetable would add three crossings on weekdays and "
    "one more on Sunday evenings, starting in the spring after the pier repairs are finished."
)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # inline elements add nothing: the source's own spaces separate the words
        ("<p>publishing<a href='/l'> a diversity of letters </a>to the editor</p>",
         "publishing a diversity of letters to the editor"),
        ("<p>on<a href='f'> Facebook</a>,<a href='t'> Twitter</a> and<b> Instagram</b>.</p>",
         "on Facebook, Twitter and Instagram."),
        ("<p>in <em>line</em> <a href='x'>link</a></p>", "in line link"),
        ("<p>un<b>break</b>able</p>", "unbreakable"),
        # block elements are paragraphs of their own
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div>one<p>two</p>three</div>", "one\n\ntwo\n\nthree"),
        ("<p>Before the tweet.</p><blockquote><p>Meth. We're on it.</p>"
         "— Governor (@gov) <a href='t'>November 18, 2019</a></blockquote>",
         "Before the tweet.\n\nMeth. We're on it.\n\n— Governor (@gov) November 18, 2019"),
        ("<h2>Head</h2><p>Body  text\n here</p>", "Head\n\nBody text here"),
        # line breaks
        ("<p>line<br>break</p>", "line\nbreak"),
        ("<pre>x = 1\n  y = 2</pre>", "x = 1\ny = 2"),
        # lists: one paragraph, an item per line
        ("<p>Bring:</p><ul><li>a <a href='x'>tent</a></li><li>b</li></ul><p>After.</p>",
         "Bring:\n\n- a tent\n- b\n\nAfter."),
        ("<ol><li>first</li><li>second</li></ol>", "- first\n- second"),
        ("<ul><li>outer<ul><li>inner</li></ul></li><li>last</li></ul>",
         "- outer\n- inner\n- last"),
        ("<ul><li><p>para one</p><p>para two</p></li></ul>", "- para one\npara two"),
        ("<ul><li></li><li>only</li></ul>", "- only"),
        # captions are left out, like extract() leaves them out
        ("<p>Before.</p><figure><img src='https://i.example/a.jpg'>"
         "<figcaption>A ferry at dawn (AP Photo)</figcaption></figure><p>After.</p>",
         "Before.\n\nAfter."),
        # tables: one paragraph, a row per line, cells apart
        ("<table><tr><th>Day</th><th>Crossings</th></tr><tr><td>Mon</td><td>12</td></tr></table>",
         "Day | Crossings\nMon | 12"),
        ("<table><tr><td><p>a</p><p>b</p></td><td>c<br>d</td></tr></table>", "a b | c d"),
        # the rest of the contract
        ("<p>Fish &amp; chips &lt;3 &eacute; &#8212;</p>", "Fish & chips <3 é —"),
        ("<p>a<script>var x;</script>b</p><style>p{}</style>", "ab"),
        ("plain &amp; simple", "plain & simple"),
        ("<p>&nbsp;</p><p>x\u00a0y</p>", "x y"),
        ("", ""),
        ("<p>unclosed <b>tags", "unclosed tags"),
    ],
)
def test_html_becomes_text_as_it_reads(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_one_line_view_has_the_same_words_without_markers() -> None:
    html = "<h2>Title</h2><ul><li>a<a href='x'> b</a></li></ul><table><tr><td>c</td><td>d</td>"
    assert html_to_line(html) == "Title a b c d"


def _page(body: str) -> bytes:
    return (
        "<html><head><title>Letters to the editor</title></head><body><article>"
        "<h1>Letters to the editor</h1>" + body + "</article></body></html>"
    ).encode()


def test_stored_text_keeps_words_apart_around_links() -> None:
    body = (
        f"<p>{PROSE}</p>"
        "<p>The Times is committed to publishing<a href='/diversity'> a diversity of letters </a>"
        "to the editor. We would like to hear what you think about this or any of our articles, "
        "and here is our email:<a href='mailto:letters@news.example'> letters@news.example</a>."
        "</p>"
        f"<p>{PROSE}</p>"
    )
    stored = prepare_page(_page(body), URL, "utf-8")
    assert "publishing a diversity of letters to the editor" in stored.text
    assert "our email: letters@news.example." in stored.text
    assert stored.text == extract(_page(body), URL).text


def test_stored_text_leaves_out_captions_like_extract() -> None:
    body = (
        f"<p>{PROSE}</p><figure><img src='https://img.news.example/ferry.jpg' alt='The ferry'>"
        "<figcaption>The ferry leaves the pier at dawn. (AP Photo/Jane Doe)</figcaption></figure>"
        f"<p>{PROSE} Passengers welcomed the change.</p>"
    )
    stored = prepare_page(_page(body), URL, "utf-8")
    assert "leaves the pier" not in stored.text
    assert "Passengers welcomed the change." in stored.text
    assert stored.text == extract(_page(body), URL).text


def test_an_article_split_by_advertisements_is_stored_whole() -> None:
    chunk = "<div class='article-body chunk'>" + f"<p>{PROSE} Part %s.</p>" * 2 + "</div>"
    body = (
        "<div class='chunks'>" + chunk.replace("%s", "one")
        + "<div class='ad'><p>Advertisement</p></div>" + chunk.replace("%s", "two")
        + "</div>"
    )
    stored = prepare_page(_page(body), URL, "utf-8")
    assert "Part one." in stored.text and "Part two." in stored.text
    assert "Advertisement" not in stored.text


def test_extract_jsonl_prints_the_text_the_pipeline_stores() -> None:
    body = (
        f"<p>{PROSE}</p><ul><li>Follow us on<a href='f'> Facebook</a></li><li>or by post</li></ul>"
        f"<p>{PROSE} The pier<a href='/p'> reopens </a>in May.</p>"
    )
    line = json.dumps({"id": "p1", "url": URL, "html": _page(body).decode()})
    out = io.StringIO()
    assert extract_lines([line], out, workers=1) == 0
    printed = json.loads(out.getvalue())
    assert printed["text"] == prepare_page(_page(body), URL, "utf-8").text
    assert "The pier reopens in May." in printed["text"]
