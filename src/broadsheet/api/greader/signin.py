"""Signing in: ``/accounts/ClientLogin`` trades the email and password for a token that opens
this API only, under the same throttle as the web sign-in."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from broadsheet.readers.throttle import client_address, signin_throttle

from ..auth import greader_action_token, issue_token
from ..models import ApiToken
from .common import json, reader_view, text


@csrf_exempt
def client_login(request: HttpRequest) -> HttpResponse:
    """Email and Passwd in, ``Auth=<token>`` out (the token works only on this API)."""
    if request.method != "POST":
        # A password in a query string ends up in server logs: only a POST body is read.
        response = text("Error=BadAuthentication\nInfo=Send Email and Passwd in a POST body", 405)
        response["Allow"] = "POST"
        return response
    email = request.POST.get("Email", "").strip().lower()
    password = request.POST.get("Passwd", "")
    client = client_address(request)
    attempt = signin_throttle.attempt(email, client)  # booked before the password is checked
    if not attempt.allowed:
        verdict = attempt.verdict
        response = text(f"Error=BadAuthentication\nInfo={verdict.message}", 429)
        response["Retry-After"] = str(verdict.retry_after)
        return response
    user = authenticate(request, username=email, password=password) if email and password \
        else None
    if user is None or not user.is_active:
        attempt.failed()
        return text("Error=BadAuthentication", 401)
    attempt.succeeded()
    secret = issue_token(user, ApiToken.Kind.GREADER, "Google Reader app").secret
    if request.POST.get("output") == "json":
        return json({"SID": secret, "LSID": "null", "Auth": secret})
    return text(f"SID={secret}\nLSID=null\nAuth={secret}\n")


@reader_view(("GET", "HEAD", "POST"))
def token(request: HttpRequest, user) -> HttpResponse:
    return text(greader_action_token(user))


@reader_view(("GET", "HEAD"))
def user_info(request: HttpRequest, user) -> HttpResponse:
    return json({
        "userId": str(user.pk), "userName": user.get_full_name() or user.email,
        "userProfileId": str(user.pk), "userEmail": user.email, "isBloggerUser": False,
        "signupTimeSec": int(user.date_joined.timestamp()), "isMultiLoginEnabled": False,
    })
