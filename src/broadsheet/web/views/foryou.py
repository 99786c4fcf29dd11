"""For you in the app: the page, "Show fewer like this", what has been learned, and the reading
reports that article pages send.

Forms work without JavaScript (post, then back); with HTMX a "fewer" press replaces the card
with a short confirmation. Every answer is the reader's own: never cached.
"""

from __future__ import annotations

import json
import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from broadsheet.curation import interests
from broadsheet.curation.foryou import for_you
from broadsheet.curation.models import Fewer, Interest
from broadsheet.curation.reading import UnknownArticle, report_read
from broadsheet.curation.targets import feature_for
from broadsheet.readers.models import Follow
from broadsheet.readers.nextpath import safe_next

from ..caching import mark_private
from ..queries import decorate
from .common import signin_url

log = logging.getLogger("broadsheet.web")

PAGE_ITEMS = 30
BEACON_MAX_REPORTS = 20
KINDS = tuple(Interest.Kind.values)


def _private(response: HttpResponse) -> HttpResponse:
    mark_private(response)
    return response


@login_required
def page(request):
    items = for_you(request.user, PAGE_ITEMS)
    decorate([item.article for item in items])
    return _private(render(request, "web/for_you.html", {"items": items}))


@require_POST
def fewer(request):
    """"Show fewer like this" for one section, publisher or topic (``kind`` and ``slug``)."""
    back = safe_next(request, reverse("for_you"))
    if not request.user.is_authenticated:
        return redirect(signin_url(back))
    feature = feature_for(request.POST.get("kind", ""), request.POST.get("slug", ""))
    if feature is None:
        return HttpResponseBadRequest("Choose a section, publisher or topic to see fewer of.")
    interests.show_fewer(request.user, feature)
    if request.htmx:
        return _private(render(request, "web/_fewer_done.html", {"fewer": feature}))
    return redirect(back)


@login_required
def learned(request):
    """"What Broadsheet has learned about you": interests in words, follows, fewer, reset."""
    follows = Follow.objects.filter(user=request.user).select_related("publisher", "section")
    return _private(render(request, "web/for_you_learned.html", {
        "interests": interests.profile(request.user),
        "fewer": Fewer.objects.filter(user=request.user),
        "follows": follows,
    }))


@login_required
@require_POST
def forget(request):
    """Remove one learned interest, or one "fewer" (``what`` says which)."""
    kind, slug = request.POST.get("kind", ""), request.POST.get("slug", "")
    if kind not in KINDS:
        return HttpResponseBadRequest("Unknown kind of interest.")
    if request.POST.get("what") == "fewer":
        interests.show_again(request.user, kind, slug)
    else:
        interests.forget(request.user, kind, slug)
    return redirect("for_you_learned")


@login_required
@require_POST
def reset(request):
    interests.reset(request.user)
    return redirect("for_you_learned")


@require_POST
def reads(request):
    """Reading reports from article pages, sent with ``navigator.sendBeacon``.

    The form field ``reads`` holds a JSON list of ``{"article_id", "seconds", "finished"}``;
    the CSRF token travels in the form as usual. Unknown or removed articles are skipped.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "Sign in to record reading."}, status=401)
    try:
        reports = json.loads(request.POST.get("reads", ""))
        reports = [(int(r["article_id"]), int(r.get("seconds", 0)), bool(r.get("finished")))
                   for r in reports[:BEACON_MAX_REPORTS]]
    except (ValueError, TypeError, KeyError, AttributeError):
        return JsonResponse({"detail": "reads must be a JSON list of {article_id, seconds, "
                                       "finished}."}, status=400)
    stored = 0
    for article_id, seconds, finished in reports:
        if seconds < 0:
            continue
        try:
            report_read(request.user, article_id, seconds, finished)
            stored += 1
        except UnknownArticle as missing:
            log.info("reading report skipped: %s", missing)
    return _private(JsonResponse({"stored": stored}))
