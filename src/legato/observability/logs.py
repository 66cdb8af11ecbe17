"""The scheduler's and server's own log lines (python logging, the "legato" logger): plain
text by default, JSON lines with LEGATO_LOG_FORMAT=json, for a log pipeline to index.

A JSON line has `timestamp` (UTC, ISO 8601 with milliseconds), `level`, `logger`, `message`,
and `dag_id`, `run_id`, `task_id`, `map_index`, `try_number` when the call passed them in
`extra=` (then a line can be joined with its run), and `exc_info` with the traceback. The
per-try log files (engine/tasklog.py) are a separate thing and keep their own format.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from ..config import Settings

CONTEXT_FIELDS = ("dag_id", "run_id", "task_id", "map_index", "try_number")
TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in CONTEXT_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                doc[name] = value
        if record.exc_info:
            doc["exc_info"] = self.formatException(record.exc_info)
        elif record.stack_info:
            doc["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(doc, default=str, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when the line is logged (as logging.lastResort does),
    so a replaced or captured stderr never leaves the handler writing to a closed stream."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def formatter_for(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"LEGATO_LOG_FORMAT={log_format!r} is not one of text, json")


def configure_logging(settings: Settings, level: int = logging.INFO) -> logging.Handler:
    """Give the "legato" logger one stderr handler in the configured format (calling this
    again replaces it). Lines still propagate, so handlers an embedding application set on
    the root logger see them too."""
    logger = logging.getLogger("legato")
    for old in [h for h in logger.handlers if getattr(h, "_legato", False)]:
        logger.removeHandler(old)
    handler = _StderrHandler()
    handler.setFormatter(formatter_for(settings.log_format))
    handler._legato = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return handler
