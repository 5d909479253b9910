"""The bot's one small web server: /healthz and /metrics always, /telegram in webhook mode."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
from typing import TYPE_CHECKING, Any

import tornado.web
from telegram import Update
from telegram.error import TelegramError

from storage.models import utcnow
from valuestory import health
from valuestory.metrics import METRICS
from valuestory.settings import WEBHOOK_PATH

if TYPE_CHECKING:
    from bot.service import Service

log = logging.getLogger("valuestory.web")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# With nothing else reaching Telegram for this long, /healthz asks getMe itself.
PROBE_AFTER = dt.timedelta(seconds=60)
PROBE_TIMEOUT = 10.0


class _Base(tornado.web.RequestHandler):
    service: Service

    def initialize(self, service: Service) -> None:
        self.service = service

    def plain(self, status: int, body: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(body + "\n")


class HealthHandler(_Base):
    async def get(self) -> None:
        """200 "ok", or 503 with one line saying what is wrong."""
        await self.service.probe_api()
        result = await health.check(self.service.db, METRICS, utcnow())
        self.plain(200 if result.ok else 503, result.reason)


class MetricsHandler(_Base):
    async def get(self) -> None:
        """The process's counters in Prometheus text format."""
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.finish(METRICS.render())


class TelegramHandler(_Base):
    """Telegram's webhook call. Answers 200 only once the update is handled and committed, so
    an update that was in flight when a process died is delivered again (and deduplicated)."""

    async def post(self) -> None:
        """Check the secret, then handle the update before answering."""
        expected = self.service.secret
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), expected.encode()):
            METRICS.inc("valuestory_webhook_rejected_total")
            log.warning("webhook call without the right secret refused")
            self.plain(403, "forbidden")
            return
        if self.service.closing:
            # Telegram tries again later: the other replica, or this one after its restart.
            self.set_header("Retry-After", "5")
            self.plain(503, "shutting down")
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.service.application.bot) if isinstance(
                data, dict) else None
        except (ValueError, TypeError, KeyError, AttributeError):
            update = None
        if update is None or not isinstance(update.update_id, int):
            self.plain(400, "not a Telegram update")
            return
        async with self.service.in_flight():
            await self.service.application.process_update(update)
        self.plain(200, "ok")


def make_app(service: Service, webhook: bool) -> tornado.web.Application:
    """The routes: /healthz and /metrics, and /telegram in webhook mode."""
    routes: list[Any] = [
        (r"/healthz", HealthHandler, {"service": service}),
        (r"/metrics", MetricsHandler, {"service": service}),
    ]
    if webhook:
        routes.append((WEBHOOK_PATH, TelegramHandler, {"service": service}))
    # Tornado's access log would add a line per health check and show callers' addresses; the
    # handlers log what matters themselves.
    return tornado.web.Application(routes, log_function=lambda _handler: None)


async def probe(service: Service) -> None:
    """Ask Telegram getMe if nothing has reached it lately; TrackedRequest records the answer."""
    last = METRICS.last_api_ok_at
    if last is not None and utcnow() - last < PROBE_AFTER:
        return
    async with service.probe_lock:
        last = METRICS.last_api_ok_at
        if last is not None and utcnow() - last < PROBE_AFTER:
            return
        try:
            await asyncio.wait_for(service.application.bot.get_me(), PROBE_TIMEOUT)
        except (TelegramError, TimeoutError, OSError) as exc:
            log.warning("Telegram did not answer getMe: %s", type(exc).__name__)
