"""gunicorn's own log lines as JSON, for ``broadsheet web`` and ``run`` with
``BROADSHEET_LOG_FORMAT=json``.

gunicorn logs through loggers of its own (``gunicorn.error``, ``gunicorn.access``) with handlers
and formats it sets up itself, in a process that ``broadsheet web`` replaces itself with. This
logger class, named on gunicorn's command line, gives those handlers the JSON format of
:mod:`broadsheet.logs`, sends the access log to standard error with the rest (one stream for a
collector), and wraps standard error before gunicorn starts its web processes, so that a
warning or a crash in any of them is a JSON line too. Each access line carries the request's
fields (``method``, ``path``, ``status``, ``bytes``, ``duration_ms``, ``remote``,
``user_agent``) beside gunicorn's usual text in ``message``.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

from gunicorn.glogging import Logger

from broadsheet.logs import JsonFormatter, json_stderr


def _fields(atoms: dict[str, Any]) -> dict[str, Any]:
    """The request's fields of an access line, from gunicorn's atoms."""
    status = str(atoms.get("s", ""))
    return {"method": atoms.get("m"), "path": atoms.get("U"), "query": atoms.get("q") or "",
            "status": int(status) if status.isdigit() else status,
            "bytes": atoms.get("B"), "duration_ms": round(atoms.get("D", 0) / 1000, 3),
            "remote": atoms.get("h"), "user_agent": atoms.get("a")}


class JsonLogger(Logger):
    """gunicorn's logger with every line one JSON object on standard error."""

    def setup(self, cfg: Any) -> None:
        json_stderr()
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not getattr(handler, "_gunicorn", False):
                    continue
                handler.setFormatter(JsonFormatter())
                if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                    handler.setStream(sys.stderr)

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        """One JSON line per request, its fields beside the usual access-log text."""
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        try:
            self.access_log.info(self.cfg.access_log_format, self.atoms_wrapper_class(atoms),
                                 extra=_fields(atoms))
        except Exception:  # gunicorn's own rule: a bad access format must not stop a request
            self.error(traceback.format_exc())
