"""Extract stage: clean article text and metadata from publishers' pages.

The fixture pages in tests/fixtures/pages are written like real news pages: cookie banners, menus,
kickers, bylines, share bars, newsletter boxes, related-story lists and footers around the article.
The benchmark pages are read from the shared Zyte article-extraction data set.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shared_data import REPO, shared_data

from broadsheet.ingest.extract import Extracted, ExtractionError, decode_html, extract

PAGES = Path(__file__).parent / "fixtures" / "pages"
BENCHMARK_DATA = shared_data("extraction")

# Strings that only the page's furniture carries: none may reach the article text.
CHROME = [
    "cookie",
    "Subscribe",
    "Sign up",
    "newsletter",
    "inbox",
    "Share on",
    "Share this",
    "Related stories",
    "Most read",
    "Most popular",
    "Trending",
    "Read more",
    "All rights reserved",
    "©",
    "Privacy policy",
    "Privacy Policy",
    "Terms of use",
    "Leave a comment",
    "Comments (12)",
    "Tags:",
    "Log in",
    "Parking charges to rise",
    "Storm warning issued",
    "Mortgage rates fall",
    "Central bank holds rates",
    "Reporting by",
    "min read",
    "Partager",
    "À lire aussi",
    "Tous droits",
]


def page(name: str, url: str = "") -> Extracted:
    return extract((PAGES / name).read_bytes(), url or f"https://news.example/{name}")


def paragraphs(result: Extracted) -> list[str]:
    return result.text.split("\n\n")


def assert_no_chrome(result: Extracted) -> None:
    for phrase in CHROME:
        assert phrase.lower() not in result.text.lower(), phrase
        assert phrase.lower() not in result.html.lower(), phrase


def test_local_news_page_keeps_the_article_and_nothing_else() -> None:
    result = page("harbour_ferry.html")
    first, *_, last = paragraphs(result)
    assert first.startswith("The ferry linking Northgate and the old harbour")
    assert last.startswith("The council said a formal reopening")
    assert "“We know how much people rely on this crossing" in result.text
    assert "Local traders on the harbour front" in result.text
    assert len(paragraphs(result)) == 6
    assert_no_chrome(result)


def test_body_does_not_repeat_headline_kicker_standfirst_or_byline() -> None:
    result = page("harbour_ferry.html")
    assert "Harbour ferry service to resume" not in result.text
    assert "Local news" not in result.text
    assert "The Northgate ferry will carry passengers again" not in result.text
    assert "Mairead Quinlan" not in result.text
    assert "Local affairs reporter" not in result.text
    assert "8:30am" not in result.text


def test_metadata_prefers_json_ld_inside_a_graph() -> None:
    result = page("harbour_ferry.html")
    assert result.title == "Harbour ferry service to resume after six-month closure"
    assert result.author == "Mairead Quinlan"
    assert result.publisher == "Coastline Courier Media"  # JSON-LD publisher over og:site_name
    assert result.section == "Local"
    assert result.published_at == datetime(2025, 2, 14, 8, 30, tzinfo=UTC)
    assert result.modified_at == datetime(2025, 2, 14, 10, 5, tzinfo=UTC)
    assert result.published_at.utcoffset().total_seconds() == 0
    assert result.language == "en-GB"
    assert result.canonical_url == "https://www.coastlinecourier.example/news/local/harbour-ferry-resumes"
    assert result.image_url == "https://img.coastlinecourier.example/2025/02/ferry-1200.jpg"
    assert result.description.startswith("The Northgate ferry will carry passengers")


def test_html_body_is_simple_markup_with_the_lead_image() -> None:
    result = page("harbour_ferry.html")
    assert result.html.startswith("<figure><img src=\"https://img.coastlinecourier.example/")
    assert "<p>The ferry linking Northgate" in result.html
    assert "<script" not in result.html and "<div" not in result.html
    assert "Harbour ferry service to resume" not in result.html


def test_business_page_with_subheading_quote_list_and_two_authors() -> None:
    result = page("chip_plant.html", "https://mbj.example/technology/chip-plant-delay")
    text = result.text
    assert text.startswith("A semiconductor manufacturer will push back the opening")
    assert text.rstrip().endswith("following the announcement.")
    assert "State incentives under review" in text
    assert "- Second building: no date given" in text
    assert "“We remain fully committed to Ohio" in text
    assert "Chipmaker delays Ohio plant" not in text
    assert "By Carlos Benedetti" not in text and "Updated March 2" not in text
    assert_no_chrome(result)
    assert "<h2>State incentives under review</h2>" in result.html
    assert "<blockquote><p>“We remain fully committed" in result.html
    assert "<ul><li>First building: now expected in 2028</li>" in result.html

    assert result.author == "Carlos Benedetti, Hana Okafor"
    assert result.publisher == "Midwest Business Journal"
    assert result.section == "Technology"  # first of a JSON-LD list
    assert result.published_at == datetime(2025, 3, 2, 19, 0, tzinfo=UTC)
    assert result.modified_at == datetime(2025, 3, 2, 21, 45, tzinfo=UTC)
    assert result.image_url == "https://mbj.example/images/2025/fab-site.jpg"  # made absolute
    assert result.language == "en-US"


def test_wire_story_drops_reading_time_pointer_and_credit_lines() -> None:
    result = page("wire_drought.html")
    assert result.text.startswith("CHICAGO (Global Wire) - Wheat futures climbed")
    assert result.text.rstrip().endswith("through their feed and flour costs.")
    assert len(paragraphs(result)) == 5
    assert "Fertiliser costs weigh" not in result.text
    assert "Priya Natarajan" not in result.text
    assert_no_chrome(result)
    assert result.author == "Priya Natarajan"  # a plain-string JSON-LD author
    assert result.publisher == "Global Wire Service"
    assert result.section == "Markets"
    assert result.published_at == datetime(2025, 5, 6, 7, 12, tzinfo=UTC)  # naive -> UTC
    assert result.image_url == "https://wire.example/img/wheat-16x9.jpg"  # first of a list


def test_latin1_page_as_bytes_decodes_by_its_meta_charset() -> None:
    raw = (PAGES / "festival_review.html").read_bytes()
    assert "é".encode("latin-1") in raw and "é".encode() not in raw  # really Latin-1 on disk
    result = extract(raw, "https://echo.example/culture/festival")
    assert "quinzième édition" in result.text
    assert "« On a eu peur vendredi en voyant la météo" in result.text
    assert "\ufffd" not in result.text
    assert result.title == "Festival de Lanvallay : une édition record malgré la pluie"
    assert result.author == "Gaëlle Le Bihan"
    assert result.publisher == "L'Écho de la Rance"  # og:site_name when JSON-LD is absent
    assert result.section == "Culture"
    assert result.published_at == datetime(2024, 7, 21, 16, 15, tzinfo=UTC)
    assert result.language == "fr"
    assert "Par Gaëlle Le Bihan" not in result.text
    assert_no_chrome(result)


def test_decoding_prefers_bom_then_declared_charset_then_utf8() -> None:
    assert decode_html(b'<meta charset="windows-1252"><p>\x93quoted\x94</p>').endswith(
        "<p>\u201cquoted\u201d</p>"
    )
    # Latin-1 labels are read as windows-1252, like browsers do
    assert "\u2019" in decode_html(b'<meta charset="iso-8859-1"><p>it\x92s</p>')
    assert decode_html(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>") == "<p>café</p>"
    # no declaration: UTF-8, with replacement characters rather than a failure
    assert decode_html(b"<p>caf\xc3\xa9 \xff</p>") == "<p>café \ufffd</p>"
    # a declaration Python does not know falls back to UTF-8
    assert decode_html(b'<meta charset="x-unknown"><p>caf\xc3\xa9</p>').endswith("café</p>")
    # a wrong declaration of UTF-8 does not lose the page
    assert "caf" in decode_html(b'<meta charset="utf-8"><p>caf\xe9</p>')


def test_login_page_has_no_article() -> None:
    with pytest.raises(ExtractionError):
        page("login.html")


@pytest.mark.parametrize(
    "html",
    [
        "",
        b"",
        "   \n ",
        "<html><head><title>Nothing</title></head><body></body></html>",
        "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>",
    ],
)
def test_empty_pages_raise(html: str | bytes) -> None:
    with pytest.raises(ExtractionError):
        extract(html, "https://news.example/empty")


def test_json_ld_article_body_rescues_a_script_rendered_page() -> None:
    body = (
        "The city council voted on Monday to extend the night bus network to the eastern suburbs."
        "\\nThe new routes will start running in September and cost about two million a year."
    )
    html = f"""<html><head><title>Night buses</title>
    <script type="application/ld+json">{{"@type": "NewsArticle", "headline": "Night buses",
    "articleBody": "{body}"}}</script></head>
    <body><div id="app"></div><script>render()</script></body></html>"""
    result = extract(html, "https://news.example/night-buses")
    assert result.text.startswith("The city council voted on Monday to extend the night bus")
    assert "cost about two million a year." in result.text
    assert result.html.startswith("<p>The city council voted")


# ---- the public benchmark ----------------------------------------------------------------------

BENCHMARK_PAGES = [
    "042bb7b5fe",  # standfirst as a heading, lead paragraph twice
    "08f7937627",  # newsletter box and related-stories list under the article
    "9a440270bf",  # "related" list of linked teasers after the article
    "ef2b3f268a",  # print view: the page's own address and the headline again
    "94fbcc2677",  # linked teasers and a copyright line at the end
    "7ab16ade32",  # standfirst and lead paragraph printed twice
    "c90731f051",  # ships a JSON-LD articleBody
]


def _benchmark_metric():
    path = REPO / "bench" / "extraction.py"
    spec = importlib.util.spec_from_file_location("extraction_bench", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("prefix", BENCHMARK_PAGES)
def test_benchmark_pages_are_extracted_with_high_precision_and_recall(prefix: str) -> None:
    if not (BENCHMARK_DATA / "ground-truth.json").is_file():
        pytest.fail(
            f"article-extraction benchmark data missing at {BENCHMARK_DATA}: "
            "it is expected next to the repository (../shared/data/extraction)"
        )
    truth = json.loads((BENCHMARK_DATA / "ground-truth.json").read_text(encoding="utf-8"))
    (key,) = [k for k in truth if k.startswith(prefix)]
    with gzip.open(BENCHMARK_DATA / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as handle:
        html = handle.read()
    metric = _benchmark_metric()
    text = extract(html, truth[key]["url"]).text
    tp, fp, fn = metric.page_counts(truth[key]["articleBody"], text)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert precision >= 0.95, precision
    assert recall >= 0.95, recall
