"""Publishers' pictures reach readers through the site's own image proxy (/img/), never
straight from the publisher: signed addresses only, images only (by their bytes), size-capped,
no internal addresses, kept on disk after the first fetch."""

from __future__ import annotations

import os
import re
import struct
import threading
import time
import zlib

import pytest
from django.test import Client
from netfixture import redirect
from pages_fixtures import make_article, make_publisher, make_reader

from broadsheet.web.images import signing, store
from broadsheet.web.images.kinds import image_type
from broadsheet.web.links import article_path


def png(width: int = 2, height: int = 2) -> bytes:
    """A real, valid PNG of ``width`` × ``height`` grey pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PICTURE = png()
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b'<rect width="10" height="10"/></svg>')


@pytest.fixture
def proxy(settings, tmp_path):
    """The proxy with its disk under a fresh home, allowed to reach the test server here."""
    settings.HOME = tmp_path
    settings.IMAGES = {**settings.IMAGES, "allow_loopback": True, "max_bytes": 64 * 1024}
    return settings


def get(client: Client, url: str):
    return client.get(signing.proxied(url))


def test_a_picture_is_served_from_the_site_and_kept(db, client, http_server, proxy):
    url = http_server.route("/photo", body=PICTURE, headers={"Content-Type": "image/png"})
    first = get(client, url)
    assert first.status_code == 200
    assert first.content == PICTURE
    assert first["Content-Type"] == "image/png"
    assert "max-age=31536000" in first["Cache-Control"]
    assert first["X-Content-Type-Options"] == "nosniff"
    request = http_server.last_request("/photo")
    assert "image/" in request.headers["accept"]
    assert "cookie" not in request.headers and "referer" not in request.headers

    again = get(client, url)
    assert again.status_code == 200 and again.content == PICTURE
    assert http_server.hits("/photo") == 1  # the second answer came from the disk


def test_type_comes_from_the_bytes_not_the_header(db, client, http_server, proxy):
    url = http_server.route("/mislabelled", body=PICTURE, headers={"Content-Type": "text/html"})
    response = get(client, url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_wrong_signature_is_refused_without_a_fetch(db, client, http_server, proxy):
    url = http_server.route("/photo", body=PICTURE)
    good = signing.proxied(url)
    prefix, sig, encoded = good.rsplit("/", 2)
    forged = f"{prefix}/{'A' * len(sig)}/{encoded}"
    response = client.get(forged)
    assert response.status_code == 403
    assert "signature" in response.content.decode()
    other = signing.proxied(http_server.url("/other"))
    mixed = f"{prefix}/{sig}/{other.rsplit('/', 1)[1]}"  # a real signature, another address
    assert client.get(mixed).status_code == 403
    assert client.get(f"{prefix}/{sig}/%25%25%25").status_code in (400, 403)
    assert http_server.hits("/photo") == 0


@pytest.mark.parametrize("body, kind", [
    (b"<!doctype html><title>Login</title><p>Not a picture", "text/html"),
    (SVG, "image/svg+xml"),
    (b'<?xml version="1.0"?>' + SVG, "image/svg+xml"),
])
def test_html_and_svg_are_refused(db, client, http_server, proxy, body, kind):
    url = http_server.route("/fake", body=body, headers={"Content-Type": kind})
    response = get(client, url)
    assert response.status_code == 502
    text = response.content.decode()
    assert "Not an image" in text and kind in text
    assert response["Content-Type"].startswith("text/plain")


def test_oversize_is_refused(db, client, http_server, proxy):
    big = PICTURE + b"\x00" * (proxy.IMAGES["max_bytes"])
    declared = http_server.route("/big", body=big, headers={"Content-Type": "image/png"})
    response = get(client, declared)
    assert response.status_code == 502
    assert "limit" in response.content.decode()

    def chunked(_request):  # no Content-Length: the cap stops the reading
        return 200, {"Content-Type": "image/png"}, iter([big[:40000], big[40000:]])

    streamed = http_server.route("/big-chunked", handler=chunked)
    assert get(client, streamed).status_code == 502


@pytest.mark.parametrize("address", [
    "http://10.1.2.3/x.png", "http://169.254.169.254/latest/meta-data",
    "http://[fd00::1]/x.png", "http://192.168.0.1/x.png",
])
def test_private_addresses_are_refused(db, client, proxy, address):
    response = get(client, address)
    assert response.status_code == 403
    assert "address" in response.content.decode()


def test_loopback_is_refused_unless_allowed(db, client, http_server, settings, tmp_path):
    settings.HOME = tmp_path
    settings.IMAGES = {**settings.IMAGES, "allow_loopback": False}
    settings.FETCH = {**settings.FETCH, "allow_private": True}  # does not open the proxy
    url = http_server.route("/photo", body=PICTURE)
    by_name = url.replace("127.0.0.1", "localhost")  # refused after the name is resolved
    for address in (url, by_name):
        response = get(client, address)
        assert response.status_code == 403, address
        assert "loopback" in response.content.decode()
    assert http_server.hits("/photo") == 0


def test_redirects_are_rechecked_and_limited(db, client, http_server, proxy):
    http_server.route("/photo", body=PICTURE)
    hop = http_server.route("/hop", handler=lambda _r: redirect("/photo"))
    assert get(client, hop).content == PICTURE
    inward = http_server.route("/inward", handler=lambda _r: redirect("http://10.0.0.8/x.png"))
    assert get(client, inward).status_code == 403
    for n in range(6):
        http_server.route(f"/r{n}", handler=lambda _r, n=n: redirect(f"/r{n + 1}"))
    assert get(client, http_server.url("/r0")).status_code == 502


def test_missing_and_dead_pictures_are_clear_answers(db, client, http_server, proxy):
    gone = http_server.route("/gone", status=404, body=b"no")
    assert get(client, gone).status_code == 404
    broken = http_server.route("/broken", status=500, body=b"oops")
    response = get(client, broken)
    assert response.status_code == 502 and "500" in response.content.decode()
    assert get(client, "http://127.0.0.1:9/nothing-listens.png").status_code == 502
    assert get(client, broken).status_code == 502
    assert http_server.hits("/broken") == 1  # a failure is remembered for a while


def test_only_get_and_head(db, client, http_server, proxy):
    url = signing.proxied(http_server.route("/photo", body=PICTURE))
    assert client.post(url).status_code == 405
    assert client.head(url).status_code == 200


def test_pages_point_their_pictures_at_the_proxy(db, http_server, proxy):
    lead = http_server.route("/lead.png", body=PICTURE)
    inline = http_server.url("/inline.png?w=640&h=360")
    http_server.route("/inline.png", body=PICTURE)
    article = make_article(make_publisher(), title="Harbour wall rebuilt", image_url=lead)
    article.url = article.canonical_url = http_server.url("/news/harbour-wall")
    article.html = f'<p>Opening paragraph.</p><p><img src="{inline.replace("&", "&amp;")}" ' \
                   f'alt="The wall"></p>' + article.html
    article.save()
    member = Client()
    member.force_login(make_reader())
    page = member.get(article_path(article)).content.decode()
    sources = re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)
    assert signing.proxied(lead) in sources
    assert signing.proxied(inline) in sources
    assert all(src.startswith(("/img/", "/static/")) for src in sources), sources
    assert "127.0.0.1" not in "".join(sources)
    for src in sources:
        if src.startswith("/img/"):
            answer = member.get(src)
            assert answer.status_code == 200 and answer.content == PICTURE
    home = Client().get("/").content.decode()
    assert signing.proxied(lead) in home and lead not in re.findall(r'src="([^"]*)"', home)


@pytest.mark.parametrize("head, kind", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
    (PICTURE[:16], "image/png"),
    (b"GIF89a\x01\x00\x01\x00", "image/gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "image/avif"),
    (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", "image/avif"),
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", None),  # a video
    (SVG, None), (b"<html>", None), (b"", None),
])
def test_kinds_are_read_from_the_bytes(head, kind):
    assert image_type(head) == kind


def _age(path, days: float) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def _prune_finished() -> None:
    for thread in threading.enumerate():
        if thread.name == "image-prune":
            thread.join(10)


def test_pictures_no_one_views_are_pruned_once_a_day(db, client, http_server, proxy):
    proxy.IMAGES = {**proxy.IMAGES, "keep_days": 90}
    urls = [http_server.route(f"/photo{n}", body=png(n + 1),
                              headers={"Content-Type": "image/png"}) for n in range(4)]
    for url in urls[:2]:
        assert get(client, url).status_code == 200
    forgotten, viewed = (store.path_for(url) for url in urls[:2])
    _age(forgotten, 100)
    _age(viewed, 100)
    assert get(client, urls[1]).status_code == 200  # a view makes it recent again
    _age(store.directory() / store.PRUNED_MARK, 2)

    assert get(client, urls[2]).status_code == 200  # keeping a picture prunes, the day being up
    _prune_finished()
    assert not forgotten.exists()
    assert viewed.exists() and store.path_for(urls[2]).exists()
    assert get(client, urls[0]).status_code == 200  # wanted again: fetched again
    assert http_server.hits("/photo0") == 2

    _age(viewed, 100)
    assert get(client, urls[3]).status_code == 200  # the same day: no second prune
    _prune_finished()
    assert viewed.exists()


def test_keep_days_zero_keeps_every_picture(db, client, http_server, proxy):
    proxy.IMAGES = {**proxy.IMAGES, "keep_days": 0}
    first, second = (http_server.route(f"/keep{n}", body=png(n + 1),
                                       headers={"Content-Type": "image/png"}) for n in range(2))
    assert get(client, first).status_code == 200
    _age(store.path_for(first), 1000)
    assert get(client, second).status_code == 200
    _prune_finished()
    assert store.path_for(first).exists()
