"""The operator's endpoints, answered before anything else, and each page's time.

``/healthz``, ``/readyz`` and ``/metrics`` are answered by the first middleware: before the
host name check (a probe may call by address), sessions, rate limits and page caches, so they
cost nothing beyond their own checks and no proxy keeps a copy (``Cache-Control: no-store``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from broadsheet import metrics

from . import health

Handler = Callable[[HttpRequest], HttpResponse]


def healthz(request: HttpRequest) -> HttpResponse:
    """Alive: this process answers. No database, no queue."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    checks = health.readiness()
    failed = [check.name for check in checks if not check.ok]
    body = {"status": "fail" if failed else "ok", "failed": failed,
            "checks": {check.name: check.as_json() for check in checks}}
    return JsonResponse(body, status=503 if failed else 200)


def metrics_view(request: HttpRequest) -> HttpResponse:
    from .scrape import metrics_response

    return metrics_response(request)


ENDPOINTS: dict[str, Handler] = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_view}


class OperationsMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        endpoint = ENDPOINTS.get(request.path_info)
        if endpoint is None:
            return self.get_response(request)
        if request.method not in {"GET", "HEAD"}:
            response: HttpResponse = JsonResponse(
                {"error": f"{request.method} is not allowed here; use GET"}, status=405)
            response["Allow"] = "GET, HEAD"
        else:
            response = endpoint(request)
        # Django's request logging skips a response so marked: a failing probe is not a server
        # error to log.
        vars(response)["_has_been_logged"] = True
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class PageTimingMiddleware:
    """Each request's time, by the name of the view that answered (never its raw path)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.page_answered(view_label(request), time.perf_counter() - started)
        return response


def view_label(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name or match._func_path
    if request.path_info.startswith(settings.STATIC_URL):
        return "static"
    return "unmatched"  # 404s and answers given before URL resolution
