"""Logging for the bot: plain lines (the default) or one JSON object per line (``SAFEER_LOG_FORMAT=json``).

JSON lines carry ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, plus ``guild``,
``command`` and ``interaction`` ids when the line was logged while handling one (set per task by
:func:`set_context`, so concurrent commands never mix theirs up), and ``error`` with the
traceback when there is one. The token is redacted from every line, in both formats.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from typing import Any

from .settings import Secret, Settings

_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("safeer_log_context", default=None)
FORMATS = ("text", "json")


def set_context(**fields: Any) -> None:
    """Attach ids (``guild``, ``command``, ``interaction``) to every line logged from this task on.
    None values are left out."""
    _context.set({k: v for k, v in fields.items() if v is not None})


def context() -> dict[str, Any]:
    return dict(_context.get() or {})


class RedactFilter(logging.Filter):
    """Replace the token wherever it might appear in a log record, tracebacks included."""

    def __init__(self, secret: Secret) -> None:
        super().__init__()
        self._token = secret.reveal()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._token:
            return True
        message = record.getMessage()
        if self._token in message:
            record.msg, record.args = message.replace(self._token, "[token redacted]"), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self._token in record.exc_text:
            record.exc_text = record.exc_text.replace(self._token, "[token redacted]")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; see the module docstring for the fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(context())
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["error"] = record.exc_text
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with the ids in brackets when there are any."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        ids = context()
        return f"{line} [{' '.join(f'{k}={v}' for k, v in ids.items())}]" if ids else line


def setup_logging(settings: Settings) -> None:
    """Everything to stderr (systemd's journal, a container's log), in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(RedactFilter(settings.token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    logging.getLogger("discord").setLevel(max(logging.INFO, logging.getLevelName(settings.log_level)))
    logging.getLogger("discord.client").setLevel(logging.WARNING)  # "logging in using static token"
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one line per pass would drown the log
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # at DEBUG, two lines per query would drown it
