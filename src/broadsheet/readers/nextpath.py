"""Where a form sends the reader afterwards: the one check on every ``next=`` address.

Sign-in, sign-up, saves, follows, For you's controls and the editors' desk all take a ``next``
address from the form or the query string. An address that leaves the site would make
Broadsheet's own sign-in page a springboard to a look-alike one, so every view asks here:

- ``safe_next(request, fallback)``: the ``next`` address when it stays on this site, else
  ``fallback`` (a path or a URL name; the account settings' ``LOGIN_REDIRECT_URL`` when none);
- ``next_value(request)``: the ``next`` address to carry through a form, "" when it is unsafe.

On the site means: a path on this host, or an absolute address on this host with the request's
scheme (https only over https). Protocol-relative ``//host``, ``/\\host``, other schemes
(``javascript:``, ``data:``), control characters and backslash tricks are refused.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

MAX_CHARS = 2000


def stays_on_site(request: HttpRequest, target: str) -> bool:
    """Whether redirecting to ``target`` keeps the reader on this site."""
    if not target or len(target) > MAX_CHARS or "\x00" in target:
        return False
    return url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure())


def next_value(request: HttpRequest) -> str:
    """The posted (or asked) ``next`` address to carry through a form; "" when it is unsafe."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if stays_on_site(request, target) else ""


def safe_next(request: HttpRequest, fallback: str | None = None) -> str:
    """Where to go after a form: the ``next`` address if it stays on site, else ``fallback``."""
    return next_value(request) or resolve_url(fallback or settings.LOGIN_REDIRECT_URL)
