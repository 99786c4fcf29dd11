"""Show times in the reader's own time zone (their setting, else the site's default)."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone


def reader_zone(user) -> zoneinfo.ZoneInfo | None:
    """The zone a signed-in reader chose, or None (the site's default) when unset or unknown."""
    name = getattr(user, "time_zone", "") if getattr(user, "is_authenticated", False) else ""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class ReaderTimeZoneMiddleware:
    """Activates the reader's zone for the request; place it after AuthenticationMiddleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        zone = reader_zone(getattr(request, "user", None))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
