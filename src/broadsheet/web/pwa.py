"""The installable app: web manifest, service worker and the offline page.

The service worker is served from the site root (so it may control every page) with its
settings written in front of it: the app shell to precache and the app's own paths, taken from
the URL names, so that the worker never hard-codes a path the pages could move. Its version is
a digest of the worker and the shell's files, so that any change installs a fresh worker.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

THEME_COLOUR = "#13294b"  # --accent in broadsheet.css (navy)
BACKGROUND_COLOUR = "#fbfaf7"  # --paper in broadsheet.css
PAGES_KEPT = 30  # the last pages read that stay available offline
ID_MARK = "{id}"  # stands for an article's number in the paths given to the worker
WORKER_FILE = "web/sw.js"

# Static files every page needs; precached when the app is installed.
SHELL_FILES = (
    "web/broadsheet.css",
    "web/app.js",
    "web/pwa.js",
    "web/offline.js",
    "web/icons/icon.svg",
    "web/icons/icon-192.png",
    "web/icons/icon-512.png",
    "web/icons/icon-maskable-512.png",
    "django_htmx/htmx-2.min.js",
)

# Paths whose responses are never kept: accounts, the JSON and reader APIs, feeds, admin.
NEVER_CACHED_NAMES = ("account",)
NEVER_CACHED_PREFIXES = ("/api/", "/reader/", "/accounts/", "/feeds/", "/admin/")


def manifest_data() -> dict:
    """The web manifest: what a phone needs to install Broadsheet as an app."""
    icons = [
        {"src": static("web/icons/icon-192.png"), "sizes": "192x192", "type": "image/png",
         "purpose": "any"},
        {"src": static("web/icons/icon-512.png"), "sizes": "512x512", "type": "image/png",
         "purpose": "any"},
        {"src": static("web/icons/icon-maskable-512.png"), "sizes": "512x512",
         "type": "image/png", "purpose": "maskable"},
        {"src": static("web/icons/icon.svg"), "sizes": "any", "type": "image/svg+xml",
         "purpose": "any"},
    ]
    return {
        "id": "/",
        "name": "Broadsheet",
        "short_name": "Broadsheet",
        "description": "All your news in one place: hundreds of publishers, one app.",
        "lang": "en",
        "dir": "ltr",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "categories": ["news"],
        "icons": icons,
        "shortcuts": [
            {"name": "Search", "url": reverse("search")},
            {"name": "Saved articles", "url": reverse("saved")},
        ],
    }


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    response = JsonResponse(manifest_data(), json_dumps_params={"indent": 1})
    response["Content-Type"] = "application/manifest+json"
    patch_cache_control(response, public=True, max_age=3600)
    return response


def _path_with_id(name: str, *args: object) -> str:
    """A URL of the app with the article number left as ``{id}`` for the worker to fill in."""
    path = reverse(name, args=[987654321, *args])
    return path.replace("987654321", ID_MARK, 1)


def worker_config() -> dict:
    """What the service worker needs to know about the app (paths come from URL names)."""
    never = [reverse(name) for name in NEVER_CACHED_NAMES]
    return {
        "shell": [static(name) for name in SHELL_FILES if finders.find(name)]
        + [reverse("offline")],
        "static": settings.STATIC_URL,
        "offline": reverse("offline"),
        "saved": reverse("saved"),
        "article": _path_with_id("article", "-"),
        "print": _path_with_id("article_print"),
        "save": _path_with_id("save_toggle"),
        "signin": reverse("signin"),
        "signup": reverse("signup"),
        "signout": reverse("signout"),
        "accountDelete": reverse("account_delete"),
        "neverCache": sorted({*never, *NEVER_CACHED_PREFIXES}),
        "pagesKept": PAGES_KEPT,
    }


def _file_bytes(name: str) -> bytes:
    found = finders.find(name)
    return Path(found).read_bytes() if found else b""


@lru_cache(maxsize=4)
def _worker_script(debug: bool) -> str:
    """The worker's source with its settings in front; cached (the files change on deploy)."""
    config = worker_config()
    source = _file_bytes(WORKER_FILE)
    digest = hashlib.sha256(source)
    digest.update(json.dumps(config, sort_keys=True).encode())
    for name in SHELL_FILES:
        digest.update(_file_bytes(name))
    config["version"] = digest.hexdigest()[:12]
    header = f"self.BROADSHEET = {json.dumps(config, sort_keys=True)};\n"
    return header + source.decode()


def worker_script() -> str:
    """The service worker as served; re-read on every request while developing."""
    if settings.DEBUG:
        _worker_script.cache_clear()
    return _worker_script(settings.DEBUG)


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(worker_script(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    patch_cache_control(response, no_cache=True, max_age=0)
    return response


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    """The page shown offline when the page asked for was never kept.

    It is stored by every reader's worker, so it is rendered as for a visitor: no account
    links, no CSRF token, and no flash messages (they stay for the reader's next real page).
    """
    request.user = AnonymousUser()
    response = render(request, "web/offline.html", {"messages": [], "user": request.user})
    patch_cache_control(response, public=True, max_age=3600)
    return response
