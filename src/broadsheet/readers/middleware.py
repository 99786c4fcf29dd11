"""Secure cookies over HTTPS.

SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE are fixed for the whole site, but one Broadsheet may
be reached both over plain HTTP (on 127.0.0.1) and over HTTPS (behind a proxy that sets
X-Forwarded-Proto). This marks every cookie of a response ``Secure`` when its request came over
HTTPS, so a session made over HTTPS is never sent back over plain HTTP.

It must come before SessionMiddleware and CsrfViewMiddleware in MIDDLEWARE, so that it sees the
cookies they set on the way out.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SecureCookiesOverHttpsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
