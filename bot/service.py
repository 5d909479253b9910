"""The bot as a long-running service: start, serve webhook or polling, stop gracefully.

The web server is the process's own (`valuestory.process.web`); other front ends' routes (the
dashboard) arrive as `routes` from whoever composes the process, so this module imports none.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

import tornado.httpserver
import tornado.netutil
from telegram.error import NetworkError, TelegramError
from telegram.request import BaseRequest

from bot import speech
from bot.app import build_application
from bot.webhook import Prober, webhook_route
from storage.db import Database
from valuestory.process import web
from valuestory.process.settings import WEBHOOK_PATH, Settings

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


def _polling_failed(exc: TelegramError) -> None:
    """A long poll failed; PTB tries again with a growing pause. Telegram being away is said once
    a minute where every request is watched (bot.ops.TrackedRequest), not here once a poll."""
    if not isinstance(exc, NetworkError):
        log.warning("long polling: Telegram answered %s", type(exc).__name__)


class Service:
    """One bot process: the Application plus its web server, in polling or webhook mode."""

    def __init__(self, settings: Settings, db: Database, *, webhook: bool,
                 request: BaseRequest | None = None, listen: str | None = None,
                 port: int | None = None, routes: Sequence[Any] = ()) -> None:
        self.settings = settings
        self.db = db
        self.webhook = webhook
        self.application = build_application(settings, db, request=request, webhook=webhook)
        # Set on SIGTERM: long jobs (the scheduler's fan-out) may check it between batches and
        # leave the rest to the next process instead of running past the grace period.
        self.stopping = asyncio.Event()
        self.application.bot_data.stopping = self.stopping
        self.secret = settings.webhook_secret_token() if webhook else ""
        self.listen = listen or settings.webhook_listen
        self.wanted_port = port if port is not None else (
            settings.webhook_port if webhook else settings.health_port)
        self.port = 0
        self.closing = False
        self.probe_api = Prober(self.application)
        self.routes = list(routes)
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._server: tornado.httpserver.HTTPServer | None = None
        self._stopped = False

    @asynccontextmanager
    async def in_flight(self) -> AsyncIterator[None]:
        """Mark an update being handled, so stop() waits for it."""
        self._in_flight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def start(self) -> None:
        """Connect to Telegram, start jobs, listen, and tell Telegram where updates go."""
        # Bound first, so a taken port stops us before Telegram is told anything; accepted only
        # once the Application can handle what arrives.
        sockets = tornado.netutil.bind_sockets(self.wanted_port, self.listen)
        self.port = sockets[0].getsockname()[1]
        try:
            await self.application.initialize()
            if self.application.post_init is not None:
                # Remember our username and queue again what the last run left unhandled.
                await self.application.post_init(self.application)
            await self.application.start()
        except BaseException:
            for sock in sockets:
                sock.close()
            raise
        routes = [webhook_route(WEBHOOK_PATH, self)] if self.webhook else []
        app = web.make_app(self.db, self.probe_api, [*routes, *self.routes])
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        if self.webhook:
            await self.application.bot.set_webhook(
                self.settings.webhook_endpoint(), secret_token=self.secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("taking updates by webhook; listening on %s:%s", self.listen, self.port)
        else:
            updater = self.application.updater
            assert updater is not None
            # start_polling first removes any webhook, so switching modes needs nothing else.
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES,
                                        error_callback=_polling_failed)
            log.info("taking updates by long polling; health on %s:%s", self.listen, self.port)

    def refuse_new_updates(self) -> None:
        """From now on, webhook calls get 503 and no new connection is accepted."""
        if not self.closing:
            self.closing = True
            self.stopping.set()
            if self._server is not None:
                self._server.stop()  # running requests carry on

    async def stop(self) -> None:
        """Stop taking updates, finish what is in flight, then stop jobs and disconnect."""
        if self._stopped:
            return
        self.refuse_new_updates()
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        await self._idle.wait()
        # A voice note being heard gets half the grace period; one not heard by then is left,
        # received, for the next process, rather than holding up the stop.
        await speech.close(self.application, grace=self.settings.shutdown_grace_seconds / 2)
        if self.application.running:
            # Handles updates already fetched, then waits for running jobs (and their sends).
            await self.application.stop()
        await self.application.shutdown()
        if self._server is not None:
            await self._server.close_all_connections()
        self._stopped = True

    async def stop_within(self, seconds: float) -> bool:
        """stop(), but give up after `seconds`; False if work was still running then."""
        try:
            await asyncio.wait_for(self.stop(), seconds)
        except TimeoutError:
            log.error("stopped after %s seconds with %d updates still in flight",
                      seconds, self._in_flight)
            return False
        return True


async def serve(settings: Settings, webhook: bool, routes: Sequence[Any] = (),
                db: Database | None = None) -> None:
    """Run until SIGTERM or SIGINT, then stop gracefully within the configured time.

    `db` is the database the routes were made with, so the process shares one pool.
    """
    db = db or Database(settings.database_url, stock_io=settings.valuestory_stock_io)
    service = Service(settings, db, webhook=webhook, routes=routes)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    try:
        await service.start()
        await stopping.wait()
        service.refuse_new_updates()
        log.info("stop requested: finishing work in flight")
        if await service.stop_within(settings.shutdown_grace_seconds):
            log.info("stopped cleanly")
    finally:
        if not service.closing:
            with suppress(Exception):
                await service.stop_within(settings.shutdown_grace_seconds)
        await db.dispose()
