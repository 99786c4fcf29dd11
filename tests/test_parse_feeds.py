"""Parsing RSS, Atom, RDF and JSON feeds into entries, including hostile and broken feeds."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadsheet.ingest.parse import (
    NotAFeed,
    ParsedFeed,
    ParseError,
    decode_body,
    discover_feeds,
    html_to_text,
    looks_like_full_content,
    parse_feed,
    sniff_kind,
)

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def words(n: int, word: str = "harbour") -> str:
    return " ".join([word] * n)


# ----------------------------------------------------------------------------- RSS 2.0


def test_rss2_with_full_text_in_content_encoded():
    feed = parse_feed(fixture("rss2_full_content.xml"), "https://harbourledger.example/feed/")
    assert feed.kind == "rss"
    assert feed.version == "rss20"
    assert feed.title == "The Harbour Ledger & Gazette"
    assert feed.link == "https://harbourledger.example/"
    assert feed.language == "en-gb"
    assert feed.ttl_seconds == 30 * 60
    assert feed.warnings == []
    first, second = feed.entries
    assert first.guid == "harbourledger-10231"
    assert first.url == "https://harbourledger.example/2024/05/ferry-timetable/?utm_source=rss"
    assert first.title == "Council approves new ferry timetable after long debate"
    assert first.author == "Mara Fenwick"
    assert first.published_at == datetime(2024, 5, 14, 7, 30, tzinfo=UTC)
    assert first.published_at.tzinfo is UTC
    assert first.updated_at is None
    assert first.categories == ["Transport", "Council"]
    assert first.image_url == "https://cdn.harbourledger.example/img/ferry-1200.jpg"
    assert first.summary == "<p>The new timetable adds two evening crossings from June.</p>"
    assert first.content_html.startswith("<p>The harbour council voted seven to four")
    assert first.has_full_content is True
    assert first.language == "en-gb"
    # The second item's content is a teaser ending in "Continue reading".
    assert second.content_html
    assert second.has_full_content is False
    assert second.image_url == "https://cdn.harbourledger.example/img/lighthouse.jpg"


def test_rss2_teasers_are_not_full_content_and_sy_update_gives_ttl():
    feed = parse_feed(fixture("rss2_teaser.xml"), "https://www.northfieldpost.example/rss")
    assert feed.ttl_seconds == 3600 // 2  # hourly, twice
    assert [e.has_full_content for e in feed.entries] == [False, False]
    school, storm = feed.entries
    assert school.guid == school.url
    assert school.content_html == ""
    assert school.image_url == "https://img.northfieldpost.example/school.png"
    assert school.published_at == datetime(2024, 5, 16, 3, 10, tzinfo=UTC)
    assert storm.content_html.endswith("</p>")


def test_full_text_published_in_description_counts_as_content():
    article = "<p>" + words(320, "quayside") + ".</p>"
    body = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
    <item><title>Long</title><link>https://a.example/long</link>
    <description><![CDATA[{article}]]></description></item>
    <item><title>Short</title><link>https://a.example/short</link>
    <description>{words(40)}</description></item></channel></rss>""".encode()
    long, short = parse_feed(body, "https://a.example/feed").entries
    assert long.has_full_content is True
    assert long.content_html == article
    assert short.has_full_content is False
    assert short.content_html == ""


# ----------------------------------------------------------------------------- Atom, RDF, 0.91


def test_atom_prefers_alternate_link_and_reads_authors_dates_and_images():
    feed = parse_feed(fixture("atom.xml"), "https://courrier-vallees.example/atom.xml")
    assert feed.kind == "atom"
    assert feed.version == "atom10"
    assert feed.title == "Le Courrier des Vallées"
    assert feed.link == "https://courrier-vallees.example/"
    assert feed.language == "fr"
    market, bridge = feed.entries
    assert market.url == "https://courrier-vallees.example/2024/05/marche-couvert"
    assert market.guid == "tag:courrier-vallees.example,2024:post-881"
    # type="html" title: tags stripped, entities decoded (it was double-escaped in the feed).
    assert market.title == "Le marché couvert rouvre ses portes & ses terrasses"
    assert market.author == "Camille Roussel, Yanis Ferrand"
    assert market.published_at == datetime(2024, 5, 16, 5, 15, tzinfo=UTC)
    assert market.updated_at == datetime(2024, 5, 16, 6, 40, tzinfo=UTC)
    assert market.categories == ["Commerce", "ville"]
    assert market.image_url == "https://courrier-vallees.example/media/marche-thumb.jpg"
    assert market.has_full_content is True
    assert market.language == "fr"
    # Atom entries with only <updated> keep published_at empty: the pipeline decides.
    assert bridge.published_at is None
    assert bridge.updated_at == datetime(2024, 5, 15, 18, 0, tzinfo=UTC)
    assert bridge.content_html == ""


def test_rdf_rss10_uses_dc_date_as_publication_date():
    feed = parse_feed(fixture("rdf_rss10.xml"), "https://millbrook-observer.example/index.rdf")
    assert (feed.kind, feed.version) == ("rss", "rss10")
    assert feed.language == "de"
    assert feed.ttl_seconds == 86400
    library, cycle_path = feed.entries
    assert library.guid == "https://millbrook-observer.example/2024/05/bibliothek"
    assert library.title == "Stadtbibliothek verlängert Öffnungszeiten"
    assert library.author == "Jana Oberholz"
    assert library.published_at == datetime(2024, 5, 12, 8, 0, tzinfo=UTC)
    assert library.categories == ["Kultur"]
    assert cycle_path.published_at == datetime(2024, 5, 11, tzinfo=UTC)


def test_rss091_with_netscape_doctype_still_parses():
    feed = parse_feed(fixture("rss091_doctype.xml"), "http://oldtowncrier.example/rss.xml")
    assert feed.version == "rss091n"
    assert [e.title for e in feed.entries] == [
        "Bake sale raises funds for bandstand",
        "Clock tower chimes again",
    ]
    assert feed.entries[0].guid == "http://oldtowncrier.example/stories/bake-sale.html"
    assert all(e.published_at is None for e in feed.entries)


# ----------------------------------------------------------------------------- JSON Feed


def test_json_feed_1_0():
    feed = parse_feed(fixture("jsonfeed10.json"), "https://pebblebay.example/feed.json")
    assert (feed.kind, feed.version) == ("jsonfeed", "jsonfeed10")
    assert feed.title == "Pebble Bay Notes"
    assert feed.link == "https://pebblebay.example/"
    tides, seals = feed.entries
    assert tides.guid == "2024-05-10-tide-tables"
    assert tides.author == "Ada Lindqvist"  # the feed's author, JSON Feed 1.0 style
    assert tides.content_html == (
        "<p>The harbour master switched to a new prediction model in January.</p>"
        "<p>It accounts for the silt that built up after the winter storms.</p>"
    )
    assert tides.image_url == "https://pebblebay.example/img/tides.jpg"  # image over banner
    assert tides.categories == ["harbour", "science"]
    assert tides.published_at == datetime(2024, 5, 10, 13, 0, tzinfo=UTC)
    assert seals.guid == "42"
    assert seals.url == "https://pebblebay.example/2024/05/08/seal-pups"
    assert seals.title.startswith("Three seal pups were spotted")
    assert seals.published_at is None  # "not a date"
    assert seals.updated_at == datetime(2024, 5, 8, 9, 30, tzinfo=UTC)


def test_json_feed_1_1():
    feed = parse_feed(fixture("jsonfeed11.json"), "https://quarryroad.example/feed.json")
    assert feed.version == "jsonfeed11"
    assert feed.language == "en-au"
    assert len(feed.entries) == 2  # the item that is not an object is skipped
    plant, market = feed.entries
    assert plant.author == "Priya Castellanos, Leon Achebe"
    assert plant.has_full_content is True
    assert plant.categories == ["water", "infrastructure"]
    assert plant.updated_at == datetime(2024, 5, 9, 22, 0, tzinfo=UTC)
    assert plant.language == "en-au"
    assert market.url == ""
    assert market.guid == "https://quarryroad.example/p/market-notes"
    assert market.title == "Stallholders report a quiet week; strawberries are early."
    assert market.author == "Priya Castellanos"


def test_json_feed_is_detected_by_content_not_content_type():
    feed = parse_feed(fixture("jsonfeed11.json"), "https://q.example/f", content_type="text/html")
    assert feed.kind == "jsonfeed"


def test_json_that_is_not_a_json_feed_is_refused():
    with pytest.raises(ParseError, match="not a JSON Feed"):
        parse_feed(b'{"data": [1, 2, 3]}', "https://api.example/data.json")
    with pytest.raises(ParseError, match="not a JSON Feed"):
        parse_feed(b"[1, 2]", "https://api.example/data.json")
    with pytest.raises(ParseError, match="Malformed JSON at line 2"):
        parse_feed(b'{"version": "https://jsonfeed.org/version/1",\n "items": [}', "https://j.example/")


# ----------------------------------------------------------------------------- links


def test_relative_links_resolve_against_xml_base_and_feed_url():
    feed = parse_feed(fixture("relative_xmlbase.xml"), "https://feeds.example/riverside.xml")
    footbridge, flood = feed.entries
    assert feed.link == "https://riverside-times.example/blog/"
    assert footbridge.url == "https://riverside-times.example/blog/posts/footbridge"
    assert 'src="https://riverside-times.example/blog/img/bridge.jpg"' in footbridge.summary
    assert flood.url == "https://archive.riverside-times.example/2019/flood.html"

    rss = parse_feed(fixture("relative_links_rss.xml"), "https://hilltop.example/feeds/main.xml")
    allotments, script = rss.entries
    assert rss.link == "https://hilltop.example/"
    assert allotments.url == "https://hilltop.example/news/allotments"
    assert allotments.image_url == "https://hilltop.example/media/allotment.jpg"
    assert script.url == ""  # javascript: is not an article link
    assert script.guid == "hc-78"


# ----------------------------------------------------------------------------- encodings


def test_latin1_bytes_declared_utf8_are_read_correctly():
    feed = parse_feed(fixture("latin1_declared_utf8.xml"), "https://cafe-societe.example/rss")
    assert feed.title == "Café Société"
    assert feed.entries[0].title == "Crème brûlée festival returns to Sète"
    assert feed.entries[0].summary == "Pâtissiers from the région compete once more."


def test_windows1252_smart_quotes_labelled_latin1():
    feed = parse_feed(
        fixture("cp1252_smart_quotes.xml"), "https://smartquote.example/rss",
        content_type="application/rss+xml; charset=ISO-8859-1",
    )
    assert feed.entries[0].title == "Mayor says “we’re ready” – costs €2m"
    assert feed.entries[0].summary == "It’s the town’s biggest project…"


def test_header_charset_that_contradicts_a_utf8_body_is_overruled():
    body = fixture("atom.xml")
    feed = parse_feed(body, "https://c.example/atom", content_type="text/xml", charset="iso-8859-1")
    assert feed.title == "Le Courrier des Vallées"


def test_header_utf8_but_document_latin1():
    text = fixture("latin1_declared_utf8.xml").replace(b'encoding="utf-8"', b'encoding="latin-1"')
    feed = parse_feed(text, "https://c.example/rss", charset="utf-8")
    assert feed.entries[0].title == "Crème brûlée festival returns to Sète"


def test_declared_non_latin_encoding_is_honoured():
    body = (
        '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel>'
        "<title>Городские новости</title><item><title>Новый мост открыт</title>"
        "<link>https://gorod.example/most</link></item></channel></rss>"
    ).encode("cp1251")
    feed = parse_feed(body, "https://gorod.example/rss")
    assert feed.title == "Городские новости"
    assert feed.entries[0].title == "Новый мост открыт"


def test_utf8_feed_with_one_stray_windows1252_byte_keeps_the_rest():
    body = fixture("atom.xml").replace(b"Fermeture temporaire", b"Fermeture \x93temporaire\x94")
    feed = parse_feed(body, "https://c.example/atom")
    assert feed.title == "Le Courrier des Vallées"
    assert feed.entries[1].title == "Fermeture “temporaire” du pont des Tanneurs"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_utf16_and_bom_feeds(codec):
    text = fixture("atom.xml").decode("utf-8").replace('encoding="utf-8"', 'encoding="utf-16"')
    feed = parse_feed(text.encode(codec), "https://c.example/atom")
    assert feed.title == "Le Courrier des Vallées"
    assert len(feed.entries) == 2


def test_decode_body_directly():
    assert decode_body("Ça va".encode("latin-1")) == "Ça va"
    assert decode_body("Ça va".encode()) == "Ça va"
    assert decode_body(b"\x93quoted\x94") == "“quoted”"


def test_forbidden_control_characters_do_not_break_strict_parsing():
    body = fixture("rss2_teaser.xml").replace(b"School board", b"School\x0b board\x1b")
    feed = parse_feed(body, "https://n.example/rss")
    assert feed.warnings == []
    assert feed.entries[0].title == "School board weighs four-day week"


def test_junk_before_the_xml_declaration_is_skipped():
    body = b"\n\nWarning: session_start() in /var/www/feed.php on line 3\n" + fixture(
        "rss2_teaser.xml"
    )
    feed = parse_feed(body, "https://n.example/rss")
    assert len(feed.entries) == 2


def test_gzipped_feed_body_is_decompressed():
    feed = parse_feed(gzip.compress(fixture("atom.xml")), "https://c.example/atom")
    assert len(feed.entries) == 2


# ----------------------------------------------------------------------------- errors


def test_malformed_xml_with_recoverable_entries_keeps_them_with_a_warning():
    feed = parse_feed(fixture("malformed_unclosed.xml"), "https://brokenbay.example/rss")
    assert [e.title for e in feed.entries] == [
        "Ferry delayed by fog",
        "Harbour wall inspection & repairs",
    ]
    assert len(feed.warnings) == 1
    assert feed.warnings[0].startswith("Malformed XML at line 9:")


def test_malformed_xml_without_entries_is_an_error_with_a_line_number():
    with pytest.raises(ParseError, match=r"^Malformed XML at line 5: "):
        parse_feed(fixture("malformed_broken.xml"), "https://truncated.example/rss")


def test_html_page_is_not_a_feed_and_carries_its_feeds():
    with pytest.raises(NotAFeed) as caught:
        parse_feed(fixture("html_page.html"), "https://harbourledger.example/", "text/html")
    assert caught.value.feeds == [
        "https://harbourledger.example/feed/",
        "https://harbourledger.example/atom.xml",
        "https://harbourledger.example/feed.json",
    ]
    assert "web page" in str(caught.value)
    assert isinstance(caught.value, ParseError)


def test_html_page_without_feeds():
    with pytest.raises(NotAFeed, match="links to no feed") as caught:
        parse_feed(b"<!doctype html><title>Hi</title><p>Hello", "https://x.example/")
    assert caught.value.feeds == []


@pytest.mark.parametrize("body", [b"", b"   \n\t ", b"\xef\xbb\xbf  "])
def test_empty_body_is_an_error(body):
    with pytest.raises(ParseError, match="Empty"):
        parse_feed(body, "https://x.example/feed")


def test_plain_text_is_not_a_feed():
    with pytest.raises(ParseError, match="neither XML nor JSON"):
        parse_feed(b"Service temporarily unavailable", "https://x.example/feed")
    with pytest.raises(ParseError, match="Not a feed: <note>"):
        parse_feed(b"<?xml version='1.0'?><note><to>Tove</to></note>", "https://x.example/f")


def test_feed_with_no_entries_is_not_an_error():
    feed = parse_feed(fixture("empty_feed.xml"), "https://quietweek.example/rss")
    assert feed.title == "Quiet Week Weekly"
    assert feed.entries == []


def test_items_without_links_or_dates_are_kept():
    feed = parse_feed(fixture("no_links_no_dates.xml"), "https://noticeboard.example/rss")
    bins, choir = feed.entries
    assert (bins.url, bins.guid, bins.published_at, bins.updated_at) == ("", "", None, None)
    assert bins.title == "Bin collection moves to Thursday"
    # No title: a trimmed snippet of the summary's text stands in.
    assert choir.title.startswith("The community choir is looking for tenors")
    assert choir.title.endswith("…")
    assert len(choir.title) <= 101
    assert choir.published_at is None  # "sometime last week" is not a date


def test_duplicate_guids_keep_the_first():
    feed = parse_feed(fixture("duplicate_guids.xml"), "https://echovalley.example/rss")
    assert [(e.guid, e.title) for e in feed.entries] == [
        ("echo-1", "First version of the story"),
        ("echo-2", "Another story"),
    ]


def test_bare_token_guids_are_not_taken_for_links():
    body = b"""<rss version="2.0"><channel><title>T</title>
    <item><title>a</title><guid>12345</guid></item>
    <item><title>b</title><guid>https://p.example/post/9</guid></item>
    <item><title>c</title><guid>/post/10</guid></item>
    <item><title>d</title><link>https://p.example/a/d</link><guid>4567</guid></item>
    </channel></rss>"""
    entries = parse_feed(body, "https://p.example/feeds/main.xml").entries
    assert [(e.guid, e.url) for e in entries] == [
        ("12345", ""),
        ("https://p.example/post/9", "https://p.example/post/9"),
        ("https://p.example/post/10", "https://p.example/post/10"),
        ("4567", "https://p.example/a/d"),
    ]


def test_double_escaped_titles_are_decoded():
    body = b"""<rss version="2.0"><channel><title>T</title><item>
    <title>Tom &amp;amp; Jerry &amp;#8217;s day &lt;b&gt;out&lt;/b&gt;</title>
    <link>https://t.example/1</link></item></channel></rss>"""
    assert parse_feed(body, "https://t.example/").entries[0].title == "Tom & Jerry ’s day out"


# ----------------------------------------------------------------------------- XML attacks


@pytest.mark.parametrize(
    "name", ["billion_laughs.xml", "external_entity.xml", "external_dtd_parameter_entity.xml"]
)
def test_entity_attacks_are_refused(name):
    with pytest.raises(ParseError, match="declares XML entities; refused for safety"):
        parse_feed(fixture(name), "https://evil.example/feed")


def test_quadratic_blowup_is_refused():
    big = "x" * 50_000
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "{big}">]>'
        f'<rss version="2.0"><channel><title>{"&a;" * 20_000}</title></channel></rss>'
    ).encode()
    with pytest.raises(ParseError, match="refused for safety"):
        parse_feed(body, "https://evil.example/feed")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_entity_attacks_in_wide_encodings_are_refused(codec):
    text = fixture("billion_laughs.xml").decode().replace('encoding="utf-8"', f'encoding="{codec}"')
    with pytest.raises(ParseError, match="refused for safety"):
        parse_feed(text.encode(codec), "https://evil.example/feed")


def test_lowercase_doctype_with_entities_is_refused():
    body = b'<!doctype rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel/></rss>'
    with pytest.raises(ParseError, match="refused for safety"):
        parse_feed(body, "https://evil.example/feed")


def test_character_reference_entities_are_allowed():
    body = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY nbsp "&#160;">
<!ENTITY mdash "&#x2014;">
]>
<rss version="2.0"><channel><title>Old&mdash;school</title>
<item><title>A&nbsp;title</title><link>https://o.example/1</link></item></channel></rss>"""
    feed = parse_feed(body, "https://o.example/feed")
    assert feed.title == "Old\u2014school"
    assert feed.entries[0].title == "A title"
    # Anything else, even a short literal, is refused: it is how amplification starts.
    with pytest.raises(ParseError, match="refused for safety"):
        parse_feed(body.replace(b'"&#160;"', b'"&#160;&#160;"'), "https://o.example/feed")


def test_articles_that_mention_entities_are_not_refused():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Security blog</title>
<item><title>How XXE works</title><link>https://s.example/xxe</link>
<description><![CDATA[<pre>&lt;!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]&gt;</pre>]]>
</description></item></channel></rss>"""
    assert parse_feed(body, "https://s.example/feed").entries[0].title == "How XXE works"


def test_feeds_made_of_huge_numbers_of_elements_are_refused():
    nested = ("<rss><channel>" + "<x>" * 150_000 + "</x>" * 150_000 + "</channel></rss>").encode()
    with pytest.raises(ParseError, match="more than 200,000 XML tags"):
        parse_feed(nested, "https://evil.example/feed")
    # Markup inside CDATA is content, not elements: a long article does not count.
    article = "<p>word</p>" * 150_000
    body = f"""<rss version="2.0"><channel><title>T</title><item><title>Long read</title>
    <link>https://l.example/1</link><description><![CDATA[{article}]]></description>
    </item></channel></rss>""".encode()
    assert parse_feed(body, "https://l.example/feed").entries[0].has_full_content is True


# ----------------------------------------------------------------------------- full content rule


def test_full_content_rule():
    assert looks_like_full_content(f"<p>{words(200)}.</p>") is True
    assert looks_like_full_content(f"<p>{words(120)}.</p>") is False
    assert looks_like_full_content(f"<p>{words(200)}…</p>") is False
    assert looks_like_full_content(f"<p>{words(200)} [&#8230;]</p>") is False
    assert looks_like_full_content(f"<p>{words(200)}</p><a href='/x'>Read more »</a>") is False
    assert looks_like_full_content(f"<p>{words(200)}</p><p>Continue reading →</p>") is False
    # Not substantially longer than the summary, and not long: a teaser repeated.
    assert looks_like_full_content(f"<p>{words(200)}.</p>", f"{words(190)}") is False
    assert looks_like_full_content(f"<p>{words(400)}.</p>", f"{words(400)}") is True
    footer = "<p>The post Ferry news appeared first on The Harbour Ledger.</p>"
    assert looks_like_full_content(f"<p>{words(200)}.</p>{footer}") is True
    assert looks_like_full_content("") is False
    # Chinese has no spaces between words: characters count half a word each.
    assert looks_like_full_content("<p>" + "港口渡轮时刻表" * 50 + "。</p>") is True


def test_html_to_text_drops_scripts_styles_and_comments():
    markup = "İstanbul <SCRIPT>var a = '<b>';</Script > ferry<!-- note --><style>p{}</style> times"
    assert html_to_text(markup) == "İstanbul ferry times"
    assert html_to_text("<p>One</p><p>two &amp; <stylesheet>three</p><script>x") == (
        "One two & three"
    )


# ----------------------------------------------------------------------------- discovery, sniffing


def test_discover_feeds_in_page_order_deduplicated_without_comments():
    feeds = discover_feeds(fixture("html_page.html"), "https://harbourledger.example/news/")
    assert feeds == [
        "https://harbourledger.example/feed/",
        "https://harbourledger.example/atom.xml",
        "https://harbourledger.example/feed.json",
    ]


def test_discover_feeds_keeps_comment_feeds_when_they_are_all_there_is():
    page = """<html><head>
    <link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">
    </head></html>"""
    assert discover_feeds(page, "https://b.example/post") == ["https://b.example/comments/feed/"]


def test_discover_feeds_reads_rel_tokens_and_types_loosely():
    page = """<head><link rel="ALTERNATE feed" href="a.xml" type="Application/Atom+XML">
    <link rel="alternate" type="application/json" href="//cdn.example/f.json">
    <link rel="alternate" type="text/html" href="/fr/">
    <link rel="alternate" type="application/rss+xml"></head>"""
    assert discover_feeds(page, "https://b.example/dir/page") == [
        "https://b.example/dir/a.xml",
        "https://cdn.example/f.json",
    ]
    assert discover_feeds("", "https://b.example/") == []


@pytest.mark.parametrize(
    ("name", "content_type", "kind"),
    [
        ("rss2_full_content.xml", "", "feed"),
        ("atom.xml", "text/html", "feed"),
        ("rdf_rss10.xml", "", "feed"),
        ("rss091_doctype.xml", "", "feed"),
        ("jsonfeed10.json", "", "json"),
        ("html_page.html", "", "html"),
        ("sitemap_news.xml", "", "sitemap"),
        ("sitemap_index.xml", "", "sitemap"),
        ("sitemap_plain.xml.gz", "", "sitemap"),
    ],
)
def test_sniff_kind(name, content_type, kind):
    assert sniff_kind(fixture(name), content_type) == kind


def test_sniff_kind_unknowns():
    assert sniff_kind(b"", "") == "unknown"
    assert sniff_kind(b"hello", "text/plain") == "unknown"
    assert sniff_kind(b"<note/>", "") == "unknown"
    assert sniff_kind(b"", "text/html") == "html"
    assert sniff_kind("<feed xmlns='http://www.w3.org/2005/Atom'/>".encode("utf-16"), "") == "feed"


# ----------------------------------------------------------------------------- robustness


def assert_well_formed(feed: ParsedFeed) -> None:
    """What the pipeline relies on, whatever the input was."""
    guids = [e.guid for e in feed.entries if e.guid]
    assert len(guids) == len(set(guids))
    for entry in feed.entries:
        assert entry.url == "" or entry.url.startswith(("http://", "https://"))
        for moment in (entry.published_at, entry.updated_at):
            assert moment is None or moment.utcoffset() == timedelta(0)
        assert isinstance(entry.title, str) and isinstance(entry.summary, str)


def parse_or_refuse(body: bytes) -> None:
    try:
        feed = parse_feed(body, "https://fuzz.example/feed")
    except ParseError:
        return
    assert_well_formed(feed)


@pytest.mark.slow  # 300 generated inputs
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_arbitrary_bytes_raise_only_parse_errors(body):
    parse_or_refuse(body)


ALL_FIXTURES = sorted(p.name for p in FIXTURES.iterdir())


@pytest.mark.slow  # 300 generated inputs
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(ALL_FIXTURES),
    st.integers(min_value=0, max_value=5000),
    st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 255)), max_size=6),
)
def test_damaged_feeds_raise_only_parse_errors(name, cut, flips):
    body = bytearray(fixture(name)[:cut])
    for position, value in flips:
        if body:
            body[position % len(body)] = value
    parse_or_refuse(bytes(body))


JSON_KEYS = st.sampled_from(
    ["id", "url", "title", "content_html", "content_text", "summary", "image", "authors",
     "author", "tags", "date_published", "date_modified", "language", "name", "items"]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JSON_KEYS, inner, max_size=5),
    max_leaves=20,
)


@pytest.mark.slow  # 200 generated inputs
@settings(max_examples=200, deadline=None)
@given(st.dictionaries(JSON_KEYS, JSON_VALUES, max_size=6))
def test_odd_json_feeds_raise_only_parse_errors(document):
    document["version"] = "https://jsonfeed.org/version/1.1"
    parse_or_refuse(json.dumps(document).encode())
