"""Log lines: one per event, plain for people or JSON for log collectors.

``BROADSHEET_LOG_FORMAT=json`` makes every line a command writes to standard error one JSON
object with ``timestamp``, ``level``, ``logger`` and ``message``, and the record's extra fields
(``log.info("...", extra={"source": 7})``); a traceback goes in ``exception``. Text that does not
come through logging (a ``print`` to stderr, a warning, a crash) is wrapped the same way by
:func:`json_stderr`, so a collector never meets a line it cannot parse.
"""

from __future__ import annotations

import atexit
import io
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

# The attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", "taskName"}


def _timestamp(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"timestamp": _timestamp(record.created),
                                 "level": record.levelname, "logger": record.name,
                                 "message": record.getMessage()}
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


class PlainFormatter(logging.Formatter):
    """``time LEVEL logger: message`` with the message kept on its line (a traceback follows)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return super().formatMessage(record).replace("\r\n", " | ").replace("\n", " | ")


def config(log_format: str) -> dict[str, Any]:
    """The LOGGING setting: one console handler on stderr, which Huey's loggers use too.

    Huey's consumer adds a handler of its own to the ``huey`` logger when that logger has none;
    with the root's handler also printing what propagates, every worker line came out twice in
    two formats. Giving ``huey`` our handler (and no propagation) prints each line once.
    """
    formatter = "json" if log_format == "json" else "plain"
    handler = {"class": "logging.StreamHandler", "formatter": formatter,
               "filters": ["outages"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"()": PlainFormatter}, "json": {"()": JsonFormatter}},
        "filters": {"outages": {"()": "broadsheet.outages.OutageFilter"}},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            "broadsheet": {"level": "INFO"},
            "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


class _JsonLines(io.TextIOBase):
    """A stderr that passes JSON lines through and wraps any other line as a JSON object."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending = ""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False  # so nothing draws progress bars or colours here

    def fileno(self) -> int:
        return self._stream.fileno()

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self._emit(line)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def finish(self) -> None:
        if self._pending:
            self._emit(self._pending)
            self._pending = ""
        self._stream.flush()

    def _emit(self, line: str) -> None:
        if not line.strip():
            return
        if not _is_json_object(line):
            line = json.dumps({"timestamp": _timestamp(datetime.now(UTC).timestamp()),
                               "level": "WARNING", "logger": "stderr",
                               "message": line.rstrip()}, ensure_ascii=False)
        self._stream.write(line + "\n")


def _is_json_object(line: str) -> bool:
    if not (line.startswith("{") and line.rstrip().endswith("}")):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def json_stderr() -> None:
    """Make everything this process writes to stderr JSON lines; crashes are logged as one."""
    if isinstance(sys.stderr, _JsonLines):
        return
    wrapped = _JsonLines(sys.stderr)
    sys.stderr = wrapped
    atexit.register(wrapped.finish)
    logging.captureWarnings(True)

    def log_crash(kind, value, traceback) -> None:
        logging.getLogger("broadsheet").critical("uncaught %s: %s", kind.__name__, value,
                                                 exc_info=(kind, value, traceback))

    sys.excepthook = log_crash
