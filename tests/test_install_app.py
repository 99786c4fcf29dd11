"""Installing Broadsheet as an app: manifest, icons, service worker and offline page."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from pages_fixtures import make_reader

from broadsheet.web import pwa

pytestmark = pytest.mark.django_db


def png_size(path: str) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    with open(path, "rb") as handle:
        head = handle.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def static_file(url: str) -> str:
    name = url.removeprefix(static(""))
    found = finders.find(name)
    assert found, f"{url} is not a static file"
    return found


def test_manifest_describes_an_installable_news_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Broadsheet"
    assert manifest["short_name"]
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["categories"] == ["news"]
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])


def test_manifest_colours_are_the_pages_colours(client):
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    css = Path(finders.find("web/broadsheet.css")).read_text()
    light = css.split("@media (prefers-color-scheme: dark)")[0]
    assert f"--accent: {manifest['theme_color']}" in light
    assert f"--paper: {manifest['background_color']}" in light
    page = client.get("/").content.decode()
    assert f'name="theme-color" content="{manifest["theme_color"]}"' in page


def test_manifest_icons_exist_at_their_stated_sizes(client):
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    pngs = {(icon["sizes"], icon.get("purpose", "any")): icon for icon in manifest["icons"]
            if icon["type"] == "image/png"}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(pngs)
    for (sizes, _purpose), icon in pngs.items():
        width, height = png_size(static_file(icon["src"]))
        assert f"{width}x{height}" == sizes
    svg = [icon for icon in manifest["icons"] if icon["type"] == "image/svg+xml"]
    assert svg and Path(static_file(svg[0]["src"])).read_text().lstrip().startswith("<svg")


def test_every_page_links_the_manifest_and_icons(client):
    page = client.get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    for href in re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="([^"]+)"', page):
        static_file(href)


def worker_settings(script: str) -> dict:
    """The settings the server writes in front of the worker's source."""
    first = script.split("\n", 1)[0]
    return json.loads(first.removeprefix("self.BROADSHEET = ").removesuffix(";"))


def test_service_worker_is_served_from_the_root_and_never_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]
    script = response.content.decode()
    assert script.startswith("self.BROADSHEET = {")
    assert "addEventListener(\"fetch\"" in script


def test_service_worker_knows_the_apps_paths_and_shell(client):
    script = client.get("/sw.js").content.decode()
    config = worker_settings(script)
    assert config["offline"] == reverse("offline")
    assert config["signout"] == reverse("signout")
    assert config["save"].replace("{id}", "7") == reverse("save_toggle", args=[7])
    assert config["article"].replace("{id}", "7") == reverse("article", args=[7, "-"])
    assert reverse("offline") in config["shell"]
    assert static("web/broadsheet.css") in config["shell"]
    for url in config["shell"]:
        if url.startswith(static("")):
            static_file(url)
    for private in ("/api/", "/reader/", "/account/", "/accounts/"):
        assert private in config["neverCache"]
    assert 10 <= config["pagesKept"] <= 100
    assert re.fullmatch(r"[0-9a-f]{12}", config["version"])


def test_service_worker_version_follows_its_files(client, monkeypatch):
    """A new shell (or worker) gives a new version, so browsers install the new worker."""
    before = worker_settings(client.get("/sw.js").content.decode())
    pwa._worker_script.cache_clear()
    monkeypatch.setattr(pwa, "SHELL_FILES", pwa.SHELL_FILES[:-1])
    after = worker_settings(client.get("/sw.js").content.decode())
    pwa._worker_script.cache_clear()
    assert before["version"] != after["version"]


def test_offline_page_is_the_same_for_every_reader(client):
    visitor = client.get("/offline/")
    assert visitor.status_code == 200
    assert "You are offline" in visitor.content.decode()
    assert "public" in visitor["Cache-Control"]
    reader = make_reader()
    client.force_login(reader)
    member = client.get("/offline/")
    body = member.content.decode()
    assert reader.email not in body
    assert "csrfmiddlewaretoken" not in body
    assert "Sign out" not in body
    assert 'data-cache="bs-saved"' in body and 'data-cache="bs-pages"' in body


def waiting_message(text: str) -> str:
    """A flash message as Django's cookie storage keeps it between requests."""
    storage = CookieStorage(HttpRequest())
    storage.add(constants.SUCCESS, text)
    carrier = HttpResponse()
    storage.update(carrier)
    return carrier.cookies["messages"].value


def test_offline_page_leaves_messages_for_the_next_real_page(client):
    """The worker stores the offline page in the background: it must not eat a reader's message."""
    text = "Welcome to Broadsheet. Your free trial has started."
    client.cookies["messages"] = waiting_message(text)
    offline = client.get("/offline/")
    assert text not in offline.content.decode()
    home = client.get("/")
    assert text in home.content.decode()


def test_manifest_and_worker_refuse_writes(client):
    assert client.post("/manifest.webmanifest").status_code == 405
    assert client.post("/sw.js").status_code == 405
    assert client.post("/offline/").status_code == 405
