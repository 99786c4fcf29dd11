"""Who is asking: personal tokens (hashed at rest) and the browser session.

Four doors use tokens: ``Authorization: Bearer <token>`` on the JSON API,
``Authorization: GoogleLogin auth=<token>`` on the Google Reader API, the secret in a
private feed address, and the Fever API's ``api_key`` (from an app password). Each door accepts
only its own kind of token, so a leaked feed address cannot drive the API. A token says who the
reader is; what they may read is still decided by the paywall policy on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from broadsheet.readers.models import User

from .models import ApiToken

TOKEN_PREFIX = "bs_"
# Google Reader apps log in again now and then; keep only their most recent logins.
GREADER_TOKENS_KEPT = 10
# How often a token's last-used time is written (not on every request).
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly made token: ``secret`` is shown once and never stored."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue_token(user, kind: str = ApiToken.Kind.API, name: str = "",
                expires_at: datetime | None = None) -> IssuedToken:
    """Make a new token for ``user``; the returned secret is the only copy."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, kind=kind, name=name[:100],
                                    key_hash=hash_secret(secret), prefix=secret[:10],
                                    expires_at=expires_at)
    if kind == ApiToken.Kind.GREADER:
        stale = ApiToken.objects.filter(user=user, kind=kind).order_by("-created_at", "-id")
        stale_ids = list(stale.values_list("id", flat=True)[GREADER_TOKENS_KEPT:])
        if stale_ids:
            ApiToken.objects.filter(id__in=stale_ids).delete()
    return IssuedToken(token, secret)


def fever_api_key(email: str, app_password: str) -> str:
    """What a Fever app sends as ``api_key``: MD5 of ``email:password``, as the protocol says."""
    return hashlib.md5(f"{email}:{app_password}".encode(), usedforsecurity=False).hexdigest()


def issue_fever_password(user, name: str = "") -> IssuedToken:
    """A random app password for Fever apps, never the account's own password.

    Fever apps send MD5(email:password) on every request, so whatever password they are given
    is as good as that key: it must be one made for them, random (the MD5 cannot be reversed to
    anything worth having) and revocable. Only the SHA-256 of the key is stored.
    """
    secret = "-".join(secrets.token_hex(3) for _ in range(4))
    token = ApiToken.objects.create(user=user, kind=ApiToken.Kind.FEVER, name=name[:100],
                                    key_hash=hash_secret(fever_api_key(user.email, secret)),
                                    prefix=secret[:6])
    return IssuedToken(token, secret)


def user_for_token(secret: str | None, kind: str):
    """The active user a live token of ``kind`` belongs to, or None."""
    if not secret or len(secret) > 200:
        return None
    token = (ApiToken.objects.select_related("user", "user__membership")
             .filter(key_hash=hash_secret(secret.strip()), kind=kind).first())
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def private_feed_url(user, name: str = "Private feed") -> str:
    """Make a secret full-text feed address for ``user`` (shown once; revoke by deleting it)."""
    from django.conf import settings
    from django.urls import reverse

    issued = issue_token(user, ApiToken.Kind.FEED, name)
    return settings.SITE_URL + reverse("feed_private_latest", args=[issued.secret])


BEARER_SEEN = "_broadsheet_bearer"


def bearer_user(request: HttpRequest) -> tuple[object | None, str | None]:
    """The user behind the request's ``Authorization: Bearer`` token, and the token's digest.

    ``(None, None)`` without an Authorization header; ``(None, digest)`` for a token that is not
    valid (``""`` for another scheme). Looked up once per request: the rate limit and the
    endpoint's authentication share the answer.
    """
    if hasattr(request, BEARER_SEEN):
        return getattr(request, BEARER_SEEN)
    header = request.headers.get("Authorization")
    if header is None:
        seen: tuple[object | None, str | None] = (None, None)
    else:
        scheme, _, secret = header.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            seen = (None, "")
        else:
            seen = (user_for_token(secret, ApiToken.Kind.API), hash_secret(secret))
    setattr(request, BEARER_SEEN, seen)
    return seen


class ReaderAuth(HttpBearer):
    """JSON API authentication: a Bearer token, else the signed-in browser session.

    With ``optional=True`` a request without credentials passes as an anonymous visitor (who
    then gets teasers); a request with a wrong or expired token is refused with 401 rather than
    silently treated as a visitor, so an app notices that its token stopped working.
    Session requests that change something must carry the CSRF token, as forms do.
    """

    def __init__(self, optional: bool = False) -> None:
        self.optional = optional
        super().__init__()

    def __call__(self, request: HttpRequest):
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, secret = header.partition(" ")
            if scheme.lower() != "bearer":
                raise HttpError(401, "Use 'Authorization: Bearer <token>' with a personal token.")
            user = self.authenticate(request, secret.strip())
            if user is None:
                raise HttpError(401, "This token is not valid: it may have been revoked or "
                                     "have expired.")
            request.user = user
            return user
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            if request.method not in ("GET", "HEAD", "OPTIONS", "TRACE") and check_csrf(request):
                raise HttpError(403, "CSRF check failed: send the X-CSRFToken header with the "
                                     "csrftoken cookie's value, or use a personal token.")
            return user
        if self.optional:
            return AnonymousUser()
        return None

    def authenticate(self, request: HttpRequest, token: str):
        user, digest = bearer_user(request)
        if digest == hash_secret(token):
            return user
        return user_for_token(token, ApiToken.Kind.API)


def greader_user(request: HttpRequest):
    """The user behind ``Authorization: GoogleLogin auth=<token>``, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "googlelogin":
        return None
    key, _, secret = rest.strip().partition("=")
    if key.strip().lower() != "auth":
        return None
    return user_for_token(secret.strip(), ApiToken.Kind.GREADER)


def greader_action_token(user) -> str:
    """The short-lived ``T`` value apps fetch from /reader/api/0/token before editing."""
    from django.core import signing

    return signing.dumps(user.pk, salt="broadsheet.greader.action")


def reader_or_visitor_of(request: HttpRequest) -> User | AnonymousUser:
    """Who ``ReaderAuth(optional=True)`` let in: a reader, or an anonymous visitor.

    django-ninja stores the authenticator's answer as ``request.auth``, which Django's request
    type does not declare; this names it with its real type for the endpoints that accept both.
    """
    who = getattr(request, "auth", None)
    if isinstance(who, (User, AnonymousUser)):
        return who
    raise HttpError(401, "Sign in, or send 'Authorization: Bearer <token>'.")


def reader_of(request: HttpRequest) -> User:
    """The signed-in reader that ``ReaderAuth()`` let in, for endpoints that require one."""
    who = getattr(request, "auth", None)
    if isinstance(who, User):
        return who
    raise HttpError(401, "Sign in, or send 'Authorization: Bearer <token>'.")
