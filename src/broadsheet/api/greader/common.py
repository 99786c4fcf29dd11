"""What every Google Reader endpoint shares: the stream names, item ids, request parsing and the
``GoogleLogin`` door."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from ..auth import greader_user

LONG_ITEM_PREFIX = "tag:google.com,2005:reader/item/"
READING_LIST = "user/-/state/com.google/reading-list"
READ = "user/-/state/com.google/read"
STARRED = "user/-/state/com.google/starred"
KEPT_UNREAD = "user/-/state/com.google/kept-unread"
FRESH = "user/-/state/com.google/fresh"
LABEL_PREFIX = "user/-/label/"
DEFAULT_ITEMS = 20
MAX_CONTENT_ITEMS = 1000
MAX_ID_ITEMS = 10000


class BadRequest(Exception):
    """A request the API cannot serve; its message goes back to the app."""


# --- answers ----------------------------------------------------------------------------------

def text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


def json(data: dict) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response


def reader_view(methods: tuple[str, ...] = ("GET", "HEAD", "POST")) -> Callable:
    """Authenticate with the GoogleLogin header and allow only ``methods``."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = greader_user(request)
            if user is None:
                response = text("Unauthorized", 401)
                response["WWW-Authenticate"] = 'GoogleLogin realm="broadsheet"'
                return response
            if request.method not in methods:
                response = text(f"Method {request.method} not allowed", 405)
                response["Allow"] = ", ".join(methods)
                return response
            request.user = user
            try:
                return view(request, user, *args, **kwargs)
            except BadRequest as exc:
                return text(f"Error={exc}", 400)

        return wrapper

    return decorate


# --- parameters -------------------------------------------------------------------------------

def param(request: HttpRequest, name: str, default: str = "") -> str:
    return request.POST.get(name) or request.GET.get(name) or default


def params(request: HttpRequest, name: str) -> list[str]:
    return request.POST.getlist(name) + request.GET.getlist(name)


def int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = param(request, name)
    if not raw:
        return default
    try:
        return min(high, max(low, int(raw)))
    except ValueError as exc:
        raise BadRequest(f"{name} must be a number") from exc


def usec(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def from_epoch(value: str, name: str) -> datetime:
    """A time sent as seconds, milliseconds or microseconds since the epoch."""
    try:
        number = int(value)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a number") from exc
    if number > 10**14:
        number //= 1_000_000
    elif number > 10**11:
        number //= 1_000
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise BadRequest(f"{name} is out of range") from exc


# --- item ids ---------------------------------------------------------------------------------

def long_item_id(article_id: int) -> str:
    """``tag:google.com,2005:reader/item/`` and the id as 16 hex digits."""
    return f"{LONG_ITEM_PREFIX}{article_id:016x}"


def parse_item_id(value: str) -> int:
    """An article id from the long form, the short decimal form or bare 16 hex digits; a
    number no database key can hold is refused here, before it reaches a query."""
    value = value.strip()
    found = None
    try:
        if value.lower().startswith(LONG_ITEM_PREFIX):
            found = int(value[len(LONG_ITEM_PREFIX):], 16)
        elif value.isdigit():
            found = int(value)
        elif re.fullmatch(r"[0-9a-fA-F]{16}", value):
            found = int(value, 16)
    except ValueError:
        pass
    if found is None or not 0 < found < 2**63:
        raise BadRequest(f"Unknown item id {value[:60]!r}")
    return found


def item_ids(request: HttpRequest, limit: int) -> list[int]:
    """The items ``i=`` names, each once, in the order asked."""
    return list(dict.fromkeys(parse_item_id(value) for value in params(request, "i")[:limit]))


def normalise_stream(stream_id: str) -> str:
    """``user/1234/state/…`` and ``user/-/state/…`` are the same stream."""
    return re.sub(r"^user/[^/]+/", "user/-/", stream_id.strip())
