"""The daily briefing: who wants it, when it is due, and the claim that sends it once a day.

A reader opts in with a local hour and an IANA time zone. Their briefing is due from that hour
for ``WINDOW_HOURS`` hours of their local day (a worker that was down at 07:00 still sends at
09:00; opting in at 20:00 for 07:00 waits for tomorrow), once per local date: the date is the
key, so a repeated hour when the clocks go back never sends twice, and an hour skipped when
they go forward still sends (the local hour is then past the chosen one).

Once per day is made by a claim: a ``BriefingDelivery`` row per (reader, local date), inserted
before sending. The unique constraint lets exactly one worker insert it, on SQLite and on
PostgreSQL. The claim is then *handed over* (``handed_at``) just before the email goes to the
mail server, and marked sent after. A claim that was never handed over is released when the
send fails or after ``CLAIM_TIMEOUT`` when its worker died, so it is tried again; one that was
handed over is never sent again, even if the worker died before marking it sent: at most once.

The email itself (what it holds, how it looks, sending it) is ``broadsheet.web.briefing``.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Briefing, BriefingDelivery

DEFAULT_HOUR = 7
WINDOW_HOURS = 4  # hours after the chosen one in which a missed briefing is still sent
CLAIM_TIMEOUT = timedelta(minutes=15)  # a claim not handed over by then was abandoned
UNSUBSCRIBE_SALT = "broadsheet.curation.briefing-unsubscribe"


class BriefingError(ValueError):
    """A setting that cannot be taken as given; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- the reader's choice ----------------------------------------------------------------------

def zone_named(name: str | None) -> zoneinfo.ZoneInfo | None:
    """The IANA time zone ``name`` ("Europe/London"), or None when there is no such zone."""
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def check_zone(name: str) -> str:
    if zone_named(name) is None:
        raise BriefingError("time_zone", f"Unknown time zone {name!r}: use an IANA name such "
                                         "as Europe/London or America/New_York.")
    return name


def check_hour(hour: int) -> int:
    if not isinstance(hour, int) or isinstance(hour, bool) or not 0 <= hour <= 23:
        raise BriefingError("hour", "The hour is a whole number from 0 to 23.")
    return hour


def default_zone(user) -> str:
    """The zone a new briefing starts with: the reader's own, else the site's."""
    own = getattr(user, "time_zone", "") or ""
    return own if zone_named(own) else settings.TIME_ZONE


def preferences(user) -> Briefing:
    """The reader's briefing settings; an unsaved, disabled one when they never chose."""
    found = Briefing.objects.filter(user=user).first()
    return found or Briefing(user=user, enabled=False, hour=DEFAULT_HOUR,
                             time_zone=default_zone(user))


def update(user, *, enabled: bool | None = None, hour: int | None = None,
           time_zone: str | None = None) -> Briefing:
    """Change what is given (None leaves a setting as it is); raises BriefingError."""
    if hour is not None:
        check_hour(hour)
    if time_zone is not None:
        check_zone(time_zone)
    for _attempt in range(2):
        try:
            with transaction.atomic():
                briefing = Briefing.objects.select_for_update().filter(user=user).first()
                if briefing is None:
                    briefing = preferences(user)
                if enabled is not None:
                    briefing.enabled = bool(enabled)
                if hour is not None:
                    briefing.hour = hour
                if time_zone is not None:
                    briefing.time_zone = time_zone
                briefing.save()
                return briefing
        except IntegrityError:  # made by a parallel request a moment ago: change that one
            continue
    raise BriefingError("briefing", "The briefing settings changed meanwhile; try again.")


def set_enabled(user, enabled: bool) -> Briefing:
    return update(user, enabled=enabled)


# --- unsubscribing without signing in ---------------------------------------------------------

def unsubscribe_token(user) -> str:
    """A signed token naming the reader, for the email's unsubscribe link (it does not expire:
    a months-old email must still unsubscribe)."""
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT)


def reader_of(token: str):
    """The reader a genuine unsubscribe token names; None for a forged, damaged or stale one."""
    from django.contrib.auth import get_user_model

    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    return get_user_model().objects.filter(pk=data["u"]).first()


# --- when it is due ---------------------------------------------------------------------------

def local_date(briefing: Briefing, now: datetime) -> date:
    return now.astimezone(zone_named(briefing.time_zone) or timezone.get_default_timezone()).date()


def due_hours(local_hour: int) -> list[int]:
    """The chosen hours for which a briefing is due when it is ``local_hour`` o'clock."""
    return [h for h in range(24) if h <= local_hour < h + WINDOW_HOURS]


@dataclass(frozen=True)
class Due:
    briefing: Briefing
    local_date: date
    claimed: bool  # today's briefing is claimed (sent, or being sent) already


def due(now: datetime | None = None, force: bool = False) -> list[Due]:
    """Enabled briefings in their sending window now (every enabled one with ``force``), each
    with the reader's local date and whether that date's briefing is claimed already.

    Only active readers with an address. One query per time zone in use, and one for claims.
    """
    now = now or timezone.now()
    enabled = Briefing.objects.filter(enabled=True, user__is_active=True).exclude(user__email="")
    found: list[tuple[Briefing, date]] = []
    for name in sorted(set(enabled.values_list("time_zone", flat=True))):
        zone = zone_named(name)
        if zone is None:
            continue  # validated on the way in; a zone the system no longer knows is skipped
        local = now.astimezone(zone)
        chosen = enabled.filter(time_zone=name).select_related("user")
        if not force:
            chosen = chosen.filter(hour__in=due_hours(local.hour))
        found += [(briefing, local.date()) for briefing in chosen.order_by("user_id")]
    release_abandoned(now)
    dates = {day for _, day in found}
    claimed = set(BriefingDelivery.objects.filter(
        user_id__in=[b.user_id for b, _ in found], local_date__in=dates)
        .values_list("user_id", "local_date")) if found else set()
    return [Due(b, day, (b.user_id, day) in claimed) for b, day in found]


# --- claiming, handing over, marking sent -----------------------------------------------------

def claim(user, day: date, now: datetime | None = None) -> BriefingDelivery | None:
    """Claim the reader's briefing for ``day``; None when another worker has it already."""
    try:
        with transaction.atomic():
            return BriefingDelivery.objects.create(user=user, local_date=day,
                                                   claimed_at=now or timezone.now())
    except IntegrityError:
        return None


def hand_over(delivery: BriefingDelivery) -> bool:
    """Mark the claim handed to the mail server, just before sending. False when the claim was
    taken away meanwhile (released as abandoned): then the email must not be sent."""
    now = timezone.now()
    changed = BriefingDelivery.objects.filter(pk=delivery.pk, handed_at__isnull=True).update(
        handed_at=now)
    delivery.handed_at = now
    return changed == 1


def release(delivery: BriefingDelivery) -> None:
    """Give the claim up: nothing reached the mail server, so the next run tries again."""
    BriefingDelivery.objects.filter(pk=delivery.pk, sent_at__isnull=True).delete()


def mark_sent(delivery: BriefingDelivery, items: int) -> None:
    delivery.sent_at = timezone.now()
    delivery.items = items
    BriefingDelivery.objects.filter(pk=delivery.pk).update(sent_at=delivery.sent_at, items=items,
                                                           error="")


def mark_unsure(delivery: BriefingDelivery, error: str) -> None:
    """The mail server stopped answering after it was given the email: it may have arrived, so
    it is not sent again (at most once), and the reason is kept for the operator."""
    delivery.error = error[:300]
    BriefingDelivery.objects.filter(pk=delivery.pk).update(error=delivery.error)


def release_abandoned(now: datetime | None = None) -> int:
    """Release claims whose worker died before handing them over (nothing was sent)."""
    now = now or timezone.now()
    deleted, _ = BriefingDelivery.objects.filter(
        handed_at__isnull=True, sent_at__isnull=True,
        claimed_at__lt=now - CLAIM_TIMEOUT).delete()
    return deleted
