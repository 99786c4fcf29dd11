"""Security headers on every answer: a Content-Security-Policy that runs no inline script, and a
Permissions-Policy that turns off the browser features a news site never uses.

Bodies are sanitised before they are stored (``broadsheet.articles.cleaning``); the policy is the
second wall, for a path that was missed or a row written past the model: a stored ``<script>`` or
``onerror=`` attribute does not run, because scripts come only from this site's own files, or
carry the nonce of the request. No template has an inline script or style; htmx is told not to
add its indicator ``<style>`` (``htmx-config`` in ``web/base.html``).

Images come only from this site, publishers' pictures through its image proxy
(``broadsheet.web.images``, so no publisher or tracker sees who reads what), and ``data:`` URIs
(the API documentation's icons). Forms may post only here, except that Stripe Checkout and its
customer portal are reached by a redirect from our own form when payments are on (browsers apply
``form-action`` to that redirect too).

With ``BROADSHEET_DEBUG=1``, error answers go without the policy: Django's debug pages use inline
styles and scripts. Production never runs in debug mode.

Strict-Transport-Security comes from Django's ``SecurityMiddleware`` (``SECURE_HSTS_SECONDS``,
set only behind a proxy; see ``config/settings.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

STRIPE_FORM_TARGETS = ("https://checkout.stripe.com", "https://billing.stripe.com")

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture",
    "encrypted-media", "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer",
    "microphone", "midi", "payment", "publickey-credentials-get", "screen-wake-lock", "serial",
    "usb", "xr-spatial-tracking",
))


def form_targets() -> tuple[str, ...]:
    """Where forms may send the browser: here, and Stripe's pages when payments are on."""
    return ("'self'", *(STRIPE_FORM_TARGETS if settings.BILLING == "stripe" else ()))


def content_security_policy(nonce: str) -> str:
    """The policy for one response; ``nonce`` lets a script element the request made run."""
    directives = {
        "default-src": ("'self'",),
        "script-src": ("'self'", f"'nonce-{nonce}'"),
        "style-src": ("'self'",),
        "img-src": ("'self'", "data:"),
        "font-src": ("'self'",),
        "connect-src": ("'self'",),
        "manifest-src": ("'self'",),
        "worker-src": ("'self'",),
        "media-src": ("'none'",),
        "frame-src": ("'none'",),
        "object-src": ("'none'",),
        "base-uri": ("'self'",),
        "frame-ancestors": ("'none'",),
        "form-action": form_targets(),
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeadersMiddleware:
    """Adds the policies to every response; ``request.csp_nonce`` is this request's nonce."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        vars(request)["csp_nonce"] = nonce  # this product's attribute, unknown to Django's types
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if settings.DEBUG and response.status_code >= 400:
            return response  # Django's debug pages are styled and scripted inline
        response["Content-Security-Policy"] = content_security_policy(nonce)
        return response
