"""Structured JSON logs: one object per line on stderr, each carrying the request id."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from contextvars import ContextVar
from typing import Any

__all__ = ["LOGGER_NAME", "JsonFormatter", "configure_logging", "current_request_id", "request_id_var"]

LOGGER_NAME = "greenfin.api"

request_id_var: ContextVar[str | None] = ContextVar("greenfin_request_id", default=None)
"""The id of the request being served (set by the request-context middleware)."""

_RESERVED = set(vars(logging.makeLogRecord({})))


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request.

    Returns
    -------
    str or None
        The request id.
    """
    return request_id_var.get()


class _RequestIdFilter(logging.Filter):
    """Stamp each record with the request id when it is created (formatting may happen later)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """Format a log record as one JSON object: time, level, logger, message, request id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as a JSON line.

        Parameters
        ----------
        record : logging.LogRecord
            The record.

        Returns
        -------
        str
            One line of JSON.
        """
        payload: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            payload["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in payload and not key.startswith("_"):
                payload[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            payload["exc_type"] = record.exc_info[0].__name__
            payload["traceback"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def configure_logging(level: str) -> logging.Logger:
    """Send the API's logger to stderr as JSON lines at ``level`` (idempotent).

    Parameters
    ----------
    level : str
        ``DEBUG``, ``INFO``, ``WARNING`` or ``ERROR``.

    Returns
    -------
    logging.Logger
        The API logger.
    """
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    if not any(isinstance(f, _RequestIdFilter) for f in logger.filters):
        logger.addFilter(_RequestIdFilter())
    if not any(getattr(h, "_greenfin_json", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._greenfin_json = True  # type: ignore[attr-defined]  # marks our handler so it is added once
        logger.addHandler(handler)
    logger.propagate = False
    return logger
