"""Telegram's webhook call at /telegram, and the getMe probe behind /healthz."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from telegram import Update
from telegram.error import NetworkError, TelegramError
from telegram.ext import Application

from bot.inbox import DatabaseAway
from valuestory.process.metrics import METRICS, WEBHOOK_REJECTED
from valuestory.process.web import PlainHandler
from valuestory.usecases.times import utcnow

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# With nothing else reaching Telegram for this long, /healthz asks getMe itself.
PROBE_AFTER = dt.timedelta(seconds=60)
PROBE_TIMEOUT = 10.0


class Receiver(Protocol):
    """What the webhook needs of the running bot."""

    application: Application  # type: ignore[type-arg]
    secret: str
    closing: bool

    def in_flight(self) -> AbstractAsyncContextManager[None]: ...


class TelegramHandler(PlainHandler):
    """Telegram's webhook call. Answers 200 only once the update is handled and committed, so
    an update that was in flight when a process died is delivered again (and deduplicated)."""

    def initialize(self, receiver: Receiver) -> None:
        self.receiver = receiver

    async def post(self) -> None:
        """Check the secret, then handle the update before answering."""
        expected = self.receiver.secret
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            WEBHOOK_REJECTED.inc()
            log.warning("webhook call without the right secret refused")
            self.plain(403, "forbidden")
            return
        if self.receiver.closing:
            # Telegram tries again later: the other replica, or this one after its restart.
            self.set_header("Retry-After", "5")
            self.plain(503, "shutting down")
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.receiver.application.bot) if isinstance(
                data, dict) else None
        except (ValueError, TypeError, KeyError, AttributeError):
            update = None
        if update is None or not isinstance(update.update_id, int):
            self.plain(400, "not a Telegram update")
            return
        async with self.receiver.in_flight():
            try:
                await self.receiver.application.process_update(update)
            except DatabaseAway:
                # Not kept, so not acknowledged: Telegram delivers it again, and it is handled then.
                self.set_header("Retry-After", "10")
                self.plain(503, "database unavailable")
                return
        self.plain(200, "ok")


def webhook_route(path: str, receiver: Receiver) -> tuple[str, Any, dict[str, Any]]:
    return (path, TelegramHandler, {"receiver": receiver})


class Prober:
    """Asks Telegram getMe if nothing has reached it lately; TrackedRequest records the answer."""

    def __init__(self, application: Application) -> None:  # type: ignore[type-arg]
        self.application = application
        self.lock = asyncio.Lock()

    def _recent(self) -> bool:
        last = METRICS.last_api_ok_at
        return last is not None and utcnow() - last < PROBE_AFTER

    async def __call__(self) -> None:
        if self._recent():
            return
        async with self.lock:
            if self._recent():
                return
            try:
                await asyncio.wait_for(self.application.bot.get_me(), PROBE_TIMEOUT)
            except (NetworkError, TimeoutError, OSError) as exc:
                # Telegram away: said once a minute with every other request that finds it so,
                # not once a probe, as a monitor asking /healthz every few seconds would have it.
                METRICS.api_failed(type(exc).__name__, utcnow())
            except TelegramError as exc:  # it answered, and refused: worth saying each time
                log.warning("Telegram did not answer getMe: %s", type(exc).__name__)
