"""``/metrics``: every process's counts added up, and the queue and store counted now.

Who may read it: clients on this machine (loopback), and anyone sending
``Authorization: Bearer <BROADSHEET_METRICS_TOKEN>`` when that setting is set. Others get 404
when no token is set (from outside there is nothing there) and 401 when one is set but not
given, or given wrongly. Behind a reverse proxy (``BROADSHEET_BEHIND_PROXY=1``) the client is
the address the proxy names, so the proxy's own loopback address opens nothing.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from broadsheet import metrics

from . import heartbeat

log = logging.getLogger("broadsheet.metrics")


def metrics_response(request: HttpRequest) -> HttpResponse:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics.DIRECTORY))
    registry.register(NowCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    token = settings.METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return None
    if _loopback(request) and not given:
        return None
    if not token:
        return JsonResponse({"error": "not found"}, status=404)
    answer = JsonResponse({"error": "metrics need Authorization: Bearer <token>"}, status=401)
    answer["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return answer


def _loopback(request: HttpRequest) -> bool:
    address = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        address = forwarded or address
    try:
        return ipaddress.ip_address(address.strip()).is_loopback
    except ValueError:
        return False


class NowCollector:
    """Figures read at scrape time from the queue and the database, not counted by processes."""

    def collect(self) -> Iterator[Metric]:
        yield from self._queue()
        yield from self._store()

    @staticmethod
    def _queue() -> Iterator[Metric]:
        from huey.contrib.djhuey import HUEY

        try:
            pending, scheduled = HUEY.pending_count(), HUEY.scheduled_count()
            beat = heartbeat.last_beat()
        except Exception as error:  # noqa: BLE001 - the other figures are still worth a scrape
            log.warning("metrics: the queue cannot be read: %s", error)
            return
        yield GaugeMetricFamily("broadsheet_queue_pending_tasks",
                                "Tasks waiting in the queue for a worker.", value=pending)
        yield GaugeMetricFamily("broadsheet_queue_scheduled_tasks",
                                "Tasks scheduled for later (retries, delayed tasks).",
                                value=scheduled)
        if beat is not None:
            yield GaugeMetricFamily("broadsheet_worker_heartbeat_age_seconds",
                                    "Seconds since a worker last wrote its heartbeat.",
                                    value=max(0.0, time.time() - float(beat["at"])))

    @staticmethod
    def _store() -> Iterator[Metric]:
        from broadsheet.articles.models import Article
        from broadsheet.stories.models import Story

        try:
            articles = Article.objects.count()
            waiting = Article.objects.filter(story__isnull=True).count()
            stories = Story.objects.count()
        except Exception as error:  # noqa: BLE001
            log.warning("metrics: the database cannot be read: %s", error)
            return
        yield GaugeMetricFamily("broadsheet_articles", "Articles in the store.", value=articles)
        yield GaugeMetricFamily("broadsheet_articles_without_story",
                                "Stored articles not yet placed in a story.", value=waiting)
        yield GaugeMetricFamily("broadsheet_stories", "Stories.", value=stories)
