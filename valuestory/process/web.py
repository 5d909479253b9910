"""The process's one small web server: /healthz and /metrics, plus the routes front ends add.

Front ends (the Telegram webhook, the dashboard) hand their routes to `make_app`; this module
knows none of them, so the server is composed where the process is started.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import tornado.web

from storage.availability import outage
from storage.db import Database
from storage.models import utcnow
from valuestory.process import health
from valuestory.process.metrics import CONTENT_TYPE, METRICS
from valuestory.usecases import inbox

log = logging.getLogger(__name__)

# A scrape waits this long at most for the count of replies owed.
COUNT_WITHIN = 2.0

Probe = Callable[[], Awaitable[None]]


class PlainHandler(tornado.web.RequestHandler):
    """A handler that answers in one line of plain text."""

    def plain(self, status: int, body: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(body + "\n")


class HealthHandler(PlainHandler):
    def initialize(self, db: Database, probe: Probe) -> None:
        self.db, self.probe = db, probe

    async def get(self) -> None:
        """200 "ok", or 503 with one line saying what is wrong."""
        await self.probe()
        result = await health.check(self.db, METRICS, utcnow())
        self.plain(200 if result.ok else 503, result.reason)


class MetricsHandler(tornado.web.RequestHandler):
    def initialize(self, db: Database) -> None:
        self.db = db

    async def get(self) -> None:
        """The process's counters in Prometheus text format, with the replies still owed as the
        database says now (or as it last said, while it does not answer)."""
        if not outage(self.db).away:
            try:
                await asyncio.wait_for(inbox.count_owed(self.db), COUNT_WITHIN)
            except Exception as exc:  # the counters are still worth showing
                log.info("could not count the replies owed for /metrics (%s)", type(exc).__name__)
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(METRICS.render())


def make_app(db: Database, probe: Probe, routes: Sequence[Any] = ()) -> tornado.web.Application:
    """/healthz and /metrics, then whatever routes the front ends bring."""
    rules: list[Any] = [
        (r"/healthz", HealthHandler, {"db": db, "probe": probe}),
        (r"/metrics", MetricsHandler, {"db": db}),
        *routes,
    ]
    # Tornado's access log would add a line per health check and show callers' addresses; the
    # handlers log what matters themselves.
    return tornado.web.Application(rules, log_function=lambda _handler: None)
