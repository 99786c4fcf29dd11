"""Publishers in the catalogue may carry extraction hints (their article's container, blocks to
drop); the hints are tested like code: each one must still match a sample page of its publisher,
and a bad selector fails when the catalogue is loaded, naming the publisher."""

from __future__ import annotations

import io
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from lxml.html import document_fromstring

from broadsheet.cli import main
from broadsheet.ingest.extract import extract
from broadsheet.ingest.extract_body import DEFAULT_OPTIONS
from broadsheet.ingest.hints import (
    ExtractionHints,
    HintError,
    apply_hints,
    matches,
    parse_selector,
)
from broadsheet.sources.catalog import (
    CatalogError,
    extraction_options,
    load_catalog,
    parse_catalog,
)
from broadsheet.sources.models import Publisher, Source
from broadsheet.sources.state import job_for

SAMPLES = Path(__file__).parent / "fixtures" / "pages" / "hints"
HINTED = [entry for entry in load_catalog() if entry.extraction is not None]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def test_the_catalogue_has_hinted_publishers_and_a_sample_page_for_each():
    assert HINTED, "no publisher carries extraction hints"
    for entry in HINTED:
        assert (SAMPLES / f"{slug(entry.name)}.html").is_file(), f"no sample page: {entry.name}"


@pytest.mark.parametrize("entry", HINTED, ids=lambda e: slug(e.name))
def test_each_hint_still_matches_its_publishers_sample_page(entry):
    html = (SAMPLES / f"{slug(entry.name)}.html").read_text(encoding="utf-8")
    hints = entry.extraction
    tree = document_fromstring(html)
    if hints.container:
        assert len(matches(tree, hints.container)) == 1, hints.container
    dropped = []
    for selector in hints.drop:
        found = matches(tree, selector)
        assert found, f"{entry.name}: {selector} matches nothing on the sample page"
        dropped += [" ".join(e.text_content().split()) for e in found]

    url = "https://example.org/sample"
    plain = extract(html, url).text
    hinted = extract(html, url, extraction_options(entry.name)).text
    for text in dropped:
        assert text[:50] not in hinted
    # every paragraph of the article the general extraction kept is still there
    article = [p for p in plain.split("\n\n") if len(p.split()) >= 20
               and not any(p[:50] in t for t in dropped)]
    assert article and all(p in hinted for p in article)


def test_extract_jsonl_reads_a_hinted_publishers_pages_with_its_hints(monkeypatch, capsys):
    lines, expected = [], []
    for entry in HINTED:
        html = (SAMPLES / f"{slug(entry.name)}.html").read_text(encoding="utf-8")
        ours = entry.homepage.rstrip("/") + "/2026/sample"
        elsewhere = "https://example.org/2026/sample"
        lines += [json.dumps({"id": url, "url": url, "html": html}) for url in (ours, elsewhere)]
        expected += [extract(html, ours, extraction_options(entry.name)).text,
                     extract(html, elsewhere).text]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["extract", "--jsonl"]) == 0
    printed = [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()]
    assert printed == expected
    # some sample page reads differently with its publisher's hints, so this tells them apart
    assert any(ours != elsewhere for ours, elsewhere in zip(printed[::2], printed[1::2],
                                                            strict=True))


def test_a_container_narrows_the_page_and_drops_go_first():
    tree = document_fromstring(
        "<html><body><div id='promo'><p>Promo</p></div><main><div class='story body'>"
        "<p>Story</p><aside data-kind='box'>Box</aside></div></main></body></html>")
    missed = apply_hints(tree, ExtractionHints(container="main div.body",
                                               drop=["aside[data-kind='box']", ".gone"]))
    assert missed == [".gone"]
    assert " ".join(tree.find("body").text_content().split()) == "Story"


def test_a_container_that_matches_nothing_leaves_the_page_whole():
    tree = document_fromstring("<html><body><p>All of it</p></body></html>")
    assert apply_hints(tree, ExtractionHints(container="#nowhere")) == ["#nowhere"]
    assert tree.find("body").text_content() == "All of it"


def test_hints_for_another_layout_never_cost_the_article():
    # the container's id is on an empty element of this layout (a skip-link target), and a drop
    # selector takes the whole story: read that way the page has no article, so it is read
    # without the hints, as a page they do not match at all would be
    story = "".join(f"<p>The council approved the harbour plan on its {n} reading after a long "
                    "debate about ferries, fishing quotas and the new sea wall.</p>"
                    for n in ("first", "second", "third", "fourth"))
    html = (f"<html><head><title>Harbour plan approved</title></head><body><nav>Home</nav>"
            f"<div id='maincontent'></div><article><div class='story'>{story}</div></article>"
            "<footer>About us</footer></body></html>")
    url = "https://news.example/2026/harbour-plan"
    plain = extract(html, url).text
    for hints in (ExtractionHints(container="#maincontent"), ExtractionHints(drop=["article"])):
        got = extract(html, url, replace(DEFAULT_OPTIONS, hints=hints)).text
        assert got == plain and "fourth reading" in got


@pytest.mark.parametrize("selector,xpath", [
    ("div", "//div"),
    ("#main", "//*[@id='main']"),
    ("article .body", "//article//*[contains(concat(' ', normalize-space(@class), ' '), "
                      "' body ')]"),
    ("div[data-component=links-block]", "//div[@data-component='links-block']"),
    ("aside[hidden], nav", "//aside[@hidden] | //nav"),
])
def test_selectors_become_xpath(selector, xpath):
    assert parse_selector(selector) == xpath


@pytest.mark.parametrize("selector", ["", "div > p", "p:first-child", "a[href^=x]", "div,",
                                      ".", "#", "div::after"])
def test_selectors_outside_the_supported_part_are_refused(selector):
    with pytest.raises(HintError):
        parse_selector(selector)


def catalogue_with(extraction) -> list:
    return [{"name": "Gazette", "homepage": "https://gazette.example", "country": "GB",
             "language": "en", "extraction": extraction,
             "feeds": [{"url": "https://gazette.example/rss", "section": "World"}]}]


@pytest.mark.parametrize("extraction,message", [
    ({"container": "div > p"}, "not a tag"),
    ({"drop": "aside"}, "'drop' must be a list"),
    ({"container": 3}, "'container' must be a selector"),
    ({"keep": ["p"]}, "must be an object"),
    ({}, "must be an object"),
])
def test_bad_hints_fail_when_the_catalogue_is_loaded(extraction, message):
    with pytest.raises(CatalogError, match=message) as error:
        parse_catalog(catalogue_with(extraction))
    assert "'Gazette' extraction" in str(error.value)


@pytest.mark.django_db
def test_the_pipeline_reads_a_catalogue_publishers_pages_with_its_hints():
    hinted = HINTED[0]
    ours = Publisher.objects.create(name=hinted.name)
    other = Publisher.objects.create(name="Unhinted Gazette")
    job = job_for(Source.objects.create(publisher=ours, url="https://a.example/rss"))
    assert job.extraction.hints == hinted.extraction
    plain = job_for(Source.objects.create(publisher=other, url="https://b.example/rss"))
    assert plain.extraction is DEFAULT_OPTIONS
