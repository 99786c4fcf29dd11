"""The daily briefing's pages: its settings (a box of the account page), and unsubscribing from
the email's link without signing in (also by one click from the mail app, RFC 8058)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from broadsheet.curation import briefing
from broadsheet.readers.views import account

from ..forms import BriefingForm

ONE_CLICK = "One-Click"


@never_cache
@require_POST
@login_required
def briefing_settings(request):
    """Save the account page's briefing box; with errors, the account page again (400)."""
    form = BriefingForm(request.POST, current=briefing.preferences(request.user).time_zone)
    if form.is_valid():
        data = form.cleaned_data
        chosen = briefing.update(request.user, enabled=data["enabled"], hour=data["hour"],
                                 time_zone=data["time_zone"])
        if chosen.enabled:
            messages.success(request, f"Your daily briefing is on: every day at "
                                      f"{chosen.hour:02d}:00, {chosen.time_zone} time.")
        else:
            messages.success(request, "Your daily briefing is off.")
        return redirect(reverse("account") + "#briefing-title")
    request.briefing_form = form  # shown by {% briefing_settings %} on the account page
    response = account(request)
    response.status_code = 400
    return response


def _page(request, reader, *, state: str, status: int = 200, token: str = "") -> HttpResponse:
    return render(request, "web/briefing_unsubscribe.html",
                  {"state": state, "reader": reader, "token": token}, status=status)


@csrf_exempt  # the one-click POST comes from a mail app, which has no CSRF token
@never_cache
def unsubscribe(request, token: str):
    """GET: stop the briefing at once and say so, with "Subscribe again". POST with
    ``List-Unsubscribe=One-Click`` (RFC 8058): stop it and answer 200. A HEAD (a link
    checker) changes nothing. A forged or damaged link changes nothing and answers 400."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    reader = briefing.reader_of(token)
    if reader is None:
        return _page(request, None, state="bad", status=400)
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") != ONE_CLICK:
            return HttpResponse("Send List-Unsubscribe=One-Click to unsubscribe.\n", status=400,
                                content_type="text/plain; charset=utf-8")
        briefing.update(reader, enabled=False)
        return HttpResponse("You are unsubscribed from the Broadsheet daily briefing.\n",
                            content_type="text/plain; charset=utf-8")
    if request.method == "GET":
        briefing.update(reader, enabled=False)
    return _page(request, reader, state="unsubscribed", token=token)


@never_cache
@require_POST
def resubscribe(request, token: str):
    """The unsubscribed page's "Subscribe again" (a form with its CSRF token; no sign-in)."""
    reader = briefing.reader_of(token)
    if reader is None:
        return _page(request, None, state="bad", status=400)
    briefing.update(reader, enabled=True)
    return _page(request, reader, state="subscribed", token=token)
