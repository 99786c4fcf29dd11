"""Page caching for visitors: shared pages are cached briefly; signed-in pages never are.

Visitors' pages carry no CSRF token and no personal state, so one rendering serves every visitor
for a minute, both here (Django's cache) and in browsers and proxies (``Cache-Control: public``).
Saving an article, publisher or section moves the content generation (``broadsheet.freshness``),
part of every key, so an edit is seen on the next request rather than after the timeout.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from django.core.cache import cache
from django.utils.cache import patch_cache_control, patch_vary_headers

from broadsheet.freshness import generation

VISITOR_MAX_AGE = 60  # seconds browsers and proxies may keep a visitor's page
SERVER_SECONDS = 60  # seconds the rendered page stays in Django's cache


def page_key(request) -> str:
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    htmx = "h" if request.headers.get("HX-Request") else "p"
    return f"web:page:{generation()}:{htmx}:{digest}"


def mark_private(response) -> None:
    patch_cache_control(response, private=True, max_age=0)
    patch_vary_headers(response, ["Cookie"])


def visitor_cache(view):
    """Serve visitors' GET requests from the cache; mark signed-in readers' pages private."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        cacheable = (request.method in ("GET", "HEAD")
                     and not request.user.is_authenticated
                     and "messages" not in request.COOKIES)
        if not cacheable:
            response = view(request, *args, **kwargs)
            mark_private(response)
            return response
        key = page_key(request)
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if (response.status_code == 200 and not response.cookies
                and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
                and not getattr(response, "streaming", False)):
            patch_cache_control(response, public=True, max_age=VISITOR_MAX_AGE)
            patch_vary_headers(response, ["Cookie"])
            cache.set(key, response, SERVER_SECONDS)
        else:
            mark_private(response)
        return response

    return wrapper
