"""Readers take what they follow to a feed reader as OPML, and bring a feed reader's list back.

Through the API (``/api/v1/opml``, token or session) and on the account page. Outlines are
matched by this site's feed and page addresses, by a publisher's own feed or site, or by name;
the rest are reported as not found. Hostile or broken files are refused whole with a 4xx.
"""

from __future__ import annotations

import pytest
from api_support import make_publisher, make_reader
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from for_you_support import topic
from lxml import etree

from broadsheet.api.auth import issue_token
from broadsheet.curation.models import Section
from broadsheet.readers.models import Follow

pytestmark = pytest.mark.django_db
SITE = settings.SITE_URL


@pytest.fixture
def gazette():
    publisher = make_publisher("The Harbour Gazette")
    publisher.homepage_url = "https://www.harbour-gazette.example/"
    publisher.save()
    return publisher


@pytest.fixture
def courier():
    return make_publisher("Valley Courier", "Sport")


def bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user).secret}"}


def opml(*outlines: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><opml version="2.0"><head>'
            "<title>My feeds</title></head><body>" + "".join(outlines)
            + "</body></opml>").encode()


def outline(title: str = "", xml_url: str = "", html_url: str = "") -> str:
    attributes = " ".join(f'{name}="{value}"' for name, value in (
        ("text", title), ("xmlUrl", xml_url), ("htmlUrl", html_url)) if value)
    return f'<outline type="rss" {attributes}/>'


def follows(user) -> set[tuple[str, str]]:
    return {(f.kind, f.publisher.slug if f.publisher else f.section.slug if f.section
             else f.topic) for f in Follow.objects.filter(user=user)
            .select_related("publisher", "section")}


def post_opml(client, user, data: bytes):
    return client.post("/api/v1/opml", data, content_type="text/x-opml", **bearer(user))


@pytest.fixture
def follower(gazette, courier):
    reader = make_reader("trial")
    topic("Sea walls")
    Follow.objects.create(user=reader, kind="publisher", publisher=gazette)
    Follow.objects.create(user=reader, kind="section", section=Section.objects.get(slug="sport"))
    Follow.objects.create(user=reader, kind="topic", topic="sea-walls")
    Follow.objects.create(user=reader, kind="topic", topic="harbour dredging")
    return reader


# --- export -----------------------------------------------------------------------------------

def test_export_lists_every_follow_in_folders_pointing_at_this_sites_feeds(client, follower):
    response = client.get("/api/v1/opml", **bearer(follower))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/x-opml; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    root = etree.fromstring(response.content)
    assert root.get("version") == "2.0"
    folders = {f.get("text"): [(o.get("text"), o.get("xmlUrl"), o.get("htmlUrl")) for o in f]
               for f in root.find("body")}
    assert folders == {
        "Publications": [("The Harbour Gazette",
                          SITE + "/feeds/publication/the-harbour-gazette.xml",
                          SITE + "/publication/the-harbour-gazette/")],
        "Sections": [("Sport", SITE + "/feeds/section/sport.xml", SITE + "/section/sport/")],
        "Topics": [("harbour dredging", SITE + "/feeds/search.xml?q=harbour+dredging",
                    SITE + "/search?q=harbour+dredging"),
                   ("Sea walls", SITE + "/feeds/topic/sea-walls.xml", SITE + "/topic/sea-walls/")],
    }
    for entries in folders.values():
        for _, xml_url, _ in entries:
            assert client.get(xml_url.removeprefix(SITE)).status_code == 200, xml_url


def test_export_needs_a_reader(client, follower):
    assert client.get("/api/v1/opml").status_code == 401


def test_an_export_imported_by_another_reader_follows_the_same(client, follower):
    exported = client.get("/api/v1/opml", **bearer(follower)).content
    other = make_reader("active")
    response = post_opml(client, other, exported)
    assert response.status_code == 200, response.content
    body = response.json()
    assert follows(other) == follows(follower)
    assert body["not_found"] == []
    assert body["summary"] == ("Now following 4 more (1 publication, 1 section, 2 topics); "
                               "nothing left out.")
    again = post_opml(client, other, exported).json()
    assert again["followed"] == [] and len(again["already_followed"]) == 4


# --- import: what is matched and what is reported ---------------------------------------------

def test_import_matches_by_address_or_name_and_reports_the_rest(client, gazette, courier):
    topic("Sea walls")
    reader = make_reader("trial")
    data = opml(
        '<outline text="News">',
        outline("Courier, by its feed", "https://valley-courier.example/feed.xml"),
        outline("Gazette, by its site", "https://elsewhere.example/rss",
                "http://harbour-gazette.example"),
        "</outline>",
        outline("Business"),
        outline("sea walls"),
        outline("JSON feed here", SITE + "/feeds/topic/sea-walls.json"),
        outline("Watching", SITE + "/feeds/search.json?q=ferry+strike"),
        outline("Broadsheet latest", SITE + "/feeds/latest.xml"),
        outline("Unknown blog", "https://blog.example/feed"),
        outline("", "", ""),
    )
    response = post_opml(client, reader, data)
    assert response.status_code == 200, response.content
    body = response.json()
    assert follows(reader) == {("publisher", "valley-courier"),
                               ("publisher", "the-harbour-gazette"), ("section", "business"),
                               ("topic", "sea-walls"), ("topic", "ferry strike")}
    assert [(n["title"], n["reason"]) for n in body["not_found"]] == [
        ("Broadsheet latest", "a Broadsheet feed that is not a publication, section or topic"),
        ("Unknown blog", "no publication, section or topic on Broadsheet matches it"),
        ("", "the outline has no title or address")]
    assert body["not_found"][1]["xml_url"] == "https://blog.example/feed"
    assert body["summary"] == ("Now following 5 more (2 publications, 1 section, 2 topics); "
                               "3 not found.")


def test_import_as_a_multipart_upload(client, gazette):
    reader = make_reader("trial")
    upload = SimpleUploadedFile("feeds.opml", opml(outline("The Harbour Gazette")))
    response = client.post("/api/v1/opml", {"file": upload}, **bearer(reader))
    assert response.status_code == 200, response.content
    assert follows(reader) == {("publisher", "the-harbour-gazette")}


HOSTILE = {
    "entity bomb": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                    b'<opml version="2.0"><body><outline text="&lol2;"/></body></opml>', 400),
    "external entity": (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM '
                        b'"file:///etc/passwd">]><opml><body><outline text="&x;"/></body></opml>',
                        400),
    "not XML": (b"name,url\nGazette,https://gazette.example/feed\n", 400),
    "not OPML": (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', 400),
    "cut short": (b'<opml version="2.0"><body><outline text="Business"', 400),
    "too big": (opml(outline("Business") + "<!--" + "x" * (1024 * 1024) + "-->"), 413),
    "too many outlines": (opml(outline("Business") * 5001), 413),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_or_broken_files_are_refused_and_change_nothing(client, gazette, name):
    reader = make_reader("trial")
    Follow.objects.create(user=reader, kind="topic", topic="tides")
    data, status = HOSTILE[name]
    response = post_opml(client, reader, data)
    assert response.status_code == status
    assert response.json()["detail"]
    assert follows(reader) == {("topic", "tides")}


def test_an_empty_request_says_what_to_send(client, gazette):
    response = post_opml(client, make_reader("trial"), b"")
    assert response.status_code == 400
    assert "Send an OPML file" in response.json()["detail"]
    assert client.post("/api/v1/opml", opml(), content_type="text/x-opml").status_code == 401


# --- the account page -------------------------------------------------------------------------

def test_account_page_offers_download_and_upload(client, follower):
    client.force_login(follower)
    page = client.get("/account/").content.decode()
    assert 'href="/account/following.opml"' in page
    assert 'action="/account/following/import/"' in page
    assert 'enctype="multipart/form-data"' in page
    download = client.get("/account/following.opml")
    assert download.status_code == 200
    assert download["Content-Type"] == "text/x-opml; charset=utf-8"
    assert b"/feeds/section/sport.xml" in download.content


def test_download_needs_signing_in(client, follower):
    response = client.get("/account/following.opml")
    assert response.status_code == 302 and "/account/signin/" in response["Location"]


def test_upload_on_the_account_page_follows_and_lists_what_was_not_found(client, gazette):
    reader = make_reader("trial")
    client.force_login(reader)
    upload = SimpleUploadedFile("feeds.opml", opml(outline("The Harbour Gazette"),
                                                   outline("Unknown blog", "https://b.example/")))
    response = client.post("/account/following/import/", {"opml": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Now following 1 more (1 publication); 1 not found." in page
    assert "Not found on Broadsheet" in page and "Unknown blog" in page
    assert follows(reader) == {("publisher", "the-harbour-gazette")}


@pytest.mark.parametrize("name", ["entity bomb", "not XML", "too big"])
def test_upload_of_a_bad_file_is_refused_with_a_message(client, gazette, name):
    reader = make_reader("trial")
    client.force_login(reader)
    data, status = HOSTILE[name]
    response = client.post("/account/following/import/",
                           {"opml": SimpleUploadedFile("feeds.opml", data)})
    assert response.status_code == status
    assert "Nothing was changed." in response.content.decode()
    assert follows(reader) == set()
    assert client.post("/account/following/import/").status_code == 400


def test_opml_is_in_the_openapi_document(client):
    operations = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/opml"]
    assert "text/x-opml" in operations["post"]["requestBody"]["content"]
    assert "multipart/form-data" in operations["post"]["requestBody"]["content"]
    assert "text/x-opml" in operations["get"]["responses"]["200"]["content"]
