"""Running as a service, Telegram side: counting updates, noticing Telegram's answers, daily
retention."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.context import Context, database
from storage.availability import outage, unavailable
from valuestory.process.metrics import METRICS, UPDATES_HANDLED, Metrics
from valuestory.usecases import retention
from valuestory.usecases.times import utcnow

log = logging.getLogger(__name__)

RETENTION_JOB = "valuestory.usecases.retention"
RETENTION_EVERY_SECONDS = 3600  # wakes hourly; a database marker makes the work once a day


class WrappedRequest(BaseRequest):
    """A request that passes everything to the real one; subclasses add to `do_request`."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        return await self.inner.do_request(url, method, request_data, *args, **kwargs)


class TrackedRequest(WrappedRequest):
    """Wraps the real request so any answer from Telegram marks the Bot API as reachable."""

    def __init__(self, inner: BaseRequest, metrics: Metrics = METRICS) -> None:
        super().__init__(inner)
        self.metrics = metrics

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        asked_at = utcnow()
        try:
            status, body = await super().do_request(url, method, request_data, *args, **kwargs)
        except NetworkError as exc:
            if not (isinstance(exc, TimedOut) and is_long_poll(url)):
                self.metrics.api_failed(_cause(exc), utcnow())
            raise
        # A 4xx is still Telegram answering (a 429 is it asking us to slow down); only 5xx and
        # network errors mean it is not there.
        if status >= 500:
            self.metrics.api_failed(f"HTTP {status}", utcnow())
        else:
            self.metrics.api_answered(utcnow(), asked_at)
            if status == 429:
                self.metrics.api_slowed(utcnow())
        return status, body


def is_long_poll(url: str) -> bool:
    """getUpdates is a long poll: its timing out is not Telegram being away."""
    return url.endswith("/getUpdates")


def _cause(exc: NetworkError) -> str:
    cause = exc.__cause__
    return type(cause).__name__ if cause is not None else type(exc).__name__


async def count_update(update: Update, context: Context) -> None:
    """Count an update; never look at what it says."""
    UPDATES_HANDLED.inc()


async def retention_job(context: Context) -> None:
    """The daily retention check, called with the real clock; no exception escapes a job.

    A notice it gives is sent to the conveners by the scheduler's next look."""
    try:
        await retention.run(database(context), utcnow())
    except Exception as exc:
        if unavailable(exc):
            outage(database(context)).report(exc)  # its watcher says so, once a minute
        else:
            log.exception("retention check failed; it runs again within the hour")


def schedule_jobs(application: Application) -> None:  # type: ignore[type-arg]
    """Ops jobs on the JobQueue, under fixed names so a restart never doubles them."""
    if application.job_queue is None:
        return
    for job in application.job_queue.get_jobs_by_name(RETENTION_JOB):
        job.schedule_removal()
    application.job_queue.run_repeating(
        retention_job, interval=RETENTION_EVERY_SECONDS, first=60, name=RETENTION_JOB
    )
