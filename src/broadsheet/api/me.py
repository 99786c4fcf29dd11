"""The signed-in reader in the JSON API, at /api/v1/me: who they are, their membership in
words, their daily briefing and the feeds they can subscribe to; ``me_out`` is the answer every
endpoint about the reader gives back."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError

from broadsheet.curation import briefing
from broadsheet.readers.membership import describe, membership_of
from broadsheet.readers.paywall import can_read_full

from . import present, schemas
from .auth import ReaderAuth, reader_of

reader_required = ReaderAuth()
router = Router(tags=["me"])


@router.get("", response={200: schemas.Me, 401: schemas.Error}, auth=reader_required,
               summary="The signed-in reader and their membership")
def me(request: HttpRequest) -> dict:
    return me_out(reader_of(request))


@router.patch("", response={200: schemas.Me, 401: schemas.Error, 403: schemas.Error,
                               422: schemas.Error}, auth=reader_required,
                 summary="Change the reader's settings: the daily briefing")
def update_me(request: HttpRequest, payload: schemas.MeUpdate) -> dict:
    reader = reader_of(request)
    if payload.briefing is not None:
        try:
            briefing.update(reader, **payload.briefing.model_dump())
        except briefing.BriefingError as error:
            raise HttpError(422, f"Invalid request: payload.briefing.{error.field}: "
                                 f"{error.message}") from error
    return me_out(reader)


def me_out(user) -> dict:
    membership = membership_of(user)
    with timezone.override(_zone(user.time_zone)):
        description = describe(membership)
    return {
        "id": user.pk, "email": user.email, "name": user.get_full_name(),
        "time_zone": user.time_zone, "is_staff": user.is_staff,
        "membership": {
            "state": membership.state if membership else "none",
            "description": description,
            "full_access": can_read_full(user),
            "awaiting_confirmation": bool(membership and membership.awaits_confirmation),
            "trial_ends_at": membership.trial_ends_at if membership else None,
            "current_period_end": membership.current_period_end if membership else None,
        },
        "briefing": _briefing(user),
        "feeds": {"latest_rss": present.site_url(reverse("feed_latest_rss")),
                  "latest_atom": present.site_url(reverse("feed_latest_atom")),
                  "latest_json": present.site_url(reverse("feed_latest_json"))},
    }


def _briefing(user) -> dict:
    chosen = briefing.preferences(user)
    return {"enabled": chosen.enabled, "hour": chosen.hour, "time_zone": chosen.time_zone}


def _zone(name: str) -> ZoneInfo | None:
    """The reader's time zone, or None (the site's) when unset or unknown."""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None
