"""``/img/<signature>/<encoded URL>``: a publisher's picture, served from this site.

Answers are the image with a year's ``Cache-Control`` (a proxy address always names the same
picture), or a short plain-text reason: 400 for an unreadable address, 403 for a wrong signature
or an internal address, 404 when the publisher has no such image, 502 when what came back is not
an image, is too large, or did not come at all. Never a server error.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from .proxy import ImageRefused, image_for
from .signing import BadImageAddress, verified_url

log = logging.getLogger(__name__)

KEPT_FOR = "public, max-age=31536000, immutable"


def _refusal(status: int, message: str, cache_control: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status,
                            content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = cache_control
    return response


@require_safe
def image(request: HttpRequest, signature: str, encoded: str) -> HttpResponse:
    """The image a signed proxy address names."""
    try:
        url = verified_url(signature, encoded)
    except BadImageAddress as bad:
        return _refusal(bad.status, str(bad), "no-store")
    try:
        found = image_for(url)
    except ImageRefused as refused:
        log.info("image proxy refused %s: %s", url, refused.message,
                 extra={"status": refused.status})
        return _refusal(refused.status, refused.message, "public, max-age=300")
    response = HttpResponse(found.body, content_type=found.content_type)
    response["Cache-Control"] = KEPT_FOR
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
