"""Helpers shared by the page views."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

PER_PAGE = 20


def paginate(request, items, per_page: int = PER_PAGE) -> Page:
    """The requested ?page= of ``items``; a missing or bad number gives the nearest real page."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def safe_next(request, fallback: str) -> str:
    """Where to go after a form: the posted ``next`` if it stays on this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


def signin_url(next_path: str) -> str:
    return f"{reverse('signin')}?{urlencode({'next': next_path})}"


def signup_url(next_path: str) -> str:
    return f"{reverse('signup')}?{urlencode({'next': next_path})}"
