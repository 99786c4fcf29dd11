"""The admin's sign-in form (``/admin/login/``) behind the same throttle as the web sign-in.

Django's admin login view does the signing in; this books the attempt first (under the shared
``signin_throttle``, so guesses here and at ``/account/signin/`` count together) and answers a
refused attempt with HTTP 429, ``Retry-After`` and a page that says when to try again.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from .forms import normalise_email
from .throttle import client_address, signin_throttle


@never_cache
@sensitive_post_parameters("password")
@csrf_protect
def admin_login(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return admin.site.login(request)
    email = normalise_email(request.POST.get("username", ""))
    attempt = signin_throttle.attempt(email, client_address(request))
    if not attempt.allowed:
        response = render(request, "readers/throttled.html", {
            "throttled": attempt.verdict.message, "back_url": request.path}, status=429)
        response["Retry-After"] = str(attempt.verdict.retry_after)
        return response
    response = admin.site.login(request)
    if response.status_code == 302 and request.user.is_authenticated:
        attempt.succeeded()
    elif email and request.POST.get("password"):
        attempt.failed()  # a wrong password, or a right one for an account that is not staff
    else:
        attempt.release()  # an incomplete form guessed nothing
    return response
