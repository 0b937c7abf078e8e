"""The service's log lines: text for a terminal, or one JSON object a line
(``server.log_format = "json"``, python-json-logger) for a site's log collector.

A JSON line logged while a frame is answered carries its ``lane_id`` and ``frame_id`` (and any
ids a message was given with ``extra=``) as fields, and the trace and span ids of the frame when
tracing is on, so a slow frame's trace and its log lines are found from each other. No plate text or face data is logged at INFO or above.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

from ..config import LOG_FORMATS

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("opentelemetry",)
"""Libraries whose warnings would flood the log while a collector is down (one a dropped span):
only their errors are logged."""


_FRAME: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("lanescreen_frame_ids", default=())


@contextmanager
def frame_ids(lane_id: str, frame_id: str) -> Iterator[None]:
    """Log records made in this context (this thread, while a frame is answered) name it."""
    token = _FRAME.set((("lane_id", lane_id), ("frame_id", frame_id)))
    try:
        yield
    finally:
        _FRAME.reset(token)


class TraceIds(logging.Filter):
    """Adds the frame's ids being answered, and ``trace_id`` and ``span_id`` of the current span
    when one is recording."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _FRAME.get():
            if not hasattr(record, key):
                setattr(record, key, value)
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True


def json_formatter() -> logging.Formatter:
    return JsonFormatter(
        "{asctime}{levelname}{name}{message}",
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        timestamp=False,
    )


def configure_logging(level: str, log_format: str) -> None:
    """The root logger writes ``level`` and above to stderr in ``log_format``."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    handler = logging.StreamHandler()
    handler.addFilter(TraceIds())
    handler.setFormatter(
        json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level, handlers=[handler])  # a no-op where logging is set up
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.ERROR)
