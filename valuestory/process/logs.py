"""Logging that is safe to keep: one line per event, no token, no member's words or identity.

Our own loggers (valuestory.*) only ever name members by pseudonym and never log content. Other
libraries log request parameters and updates at DEBUG and INFO (python-telegram-bot logs every
Bot API call's parameters; SQLAlchemy and aiosqlite log SQL parameters), so their records below
WARNING are dropped and their warnings are stripped of any SQL parameters or row details.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import TextIO

TOKEN_IN_TEXT = re.compile(r"\d{3,15}:[A-Za-z0-9_-]{30,60}")
OURS = ("valuestory", "bot", "flows", "storage")
# Lines from libraries that say only what the process is doing, never what a member said.
SAFE_LIBRARY_INFO = frozenset({"telegram.ext.Application", "telegram.ext.Updater"})
# Database errors quote the statement's parameters and the offending row: answers, ids.
# (storage.db also builds engines with hide_parameters; this is the second belt.)
SQL_DETAIL = re.compile(r"\[parameters: .*?(?=\n\(Background|\Z)|^\s*DETAIL:.*?$",
                        re.DOTALL | re.MULTILINE)
LIBRARY_LEVELS = {
    "httpx": logging.WARNING, "httpcore": logging.WARNING,
    "sqlalchemy": logging.WARNING, "aiosqlite": logging.WARNING, "asyncpg": logging.WARNING,
    "telegram": logging.INFO, "apscheduler": logging.WARNING, "tornado": logging.WARNING,
    "hpack": logging.WARNING, "aiosmtplib": logging.WARNING,
    # Its one record is a traceback for each message a 429 storm outlasted; the Bot API's requests
    # say Telegram is slowing us down once a minute instead (valuestory.process.metrics).
    "telegram.ext.AIORateLimiter": logging.CRITICAL,
}


def _ours(name: str) -> bool:
    return name.split(".", 1)[0] in OURS


class KeepPrivate(logging.Filter):
    """Drop library chatter below WARNING and strip SQL parameters from what remains."""

    def filter(self, record: logging.LogRecord) -> bool:
        if (not _ours(record.name) and record.levelno < logging.WARNING
                and record.name not in SAFE_LIBRARY_INFO):
            return False
        message = SQL_DETAIL.sub("[parameters hidden]", record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = SQL_DETAIL.sub(
                "[parameters hidden]", logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class RedactSecrets(logging.Filter):
    """Replace anything shaped like a bot token, wherever it appears in a record."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return TOKEN_IN_TEXT.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


class TextFormatter(logging.Formatter):
    """One line per event: a traceback is folded onto the line it belongs to."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        exc_text, record.exc_text = record.exc_text, None
        line = super().format(record)
        record.exc_text = exc_text
        if exc_text:
            line += " | " + exc_text
        return line.replace("\r", "").replace("\n", " | ")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            entry["error"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: tuple[str, ...] = (),
                  stream: TextIO | None = None) -> None:
    """Send every record through the privacy filters to one stream (standard error)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(KeepPrivate())
    handler.addFilter(RedactSecrets(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Also quiet them at the source, so DEBUG does not cost the work of building their records.
    for name, floor in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
