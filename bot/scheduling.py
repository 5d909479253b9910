"""The scheduler in the bot: a JobQueue job that wakes up and runs `scheduler.tick`, and the
Telegram side of sending (limits, retries, and what an error means for the member)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application

from bot.context import BotData, Context, database, settings
from bot.send import keyboard, not_delivered, send_file, split_message
from bot.wire import Mark, OnWire, Withheld, marking, marks
from storage.availability import outage, unavailable
from valuestory.process.metrics import JOB_LAG, METRICS
from valuestory.usecases import digest, retention, scheduler
from valuestory.usecases.out import Out
from valuestory.usecases.scheduler import Outcome, SendResult
from valuestory.usecases.times import utcnow

log = logging.getLogger(__name__)

JOB_NAME = "scheduler-tick"
START_JOB_NAME = "scheduler-tick-on-start"
# What each kind of notice to conveners says when the scheduler sends it.
NOTICES: dict[str, scheduler.Compose] = {digest.KIND: digest.compose,
                                         retention.KIND: retention.compose}
# Longest we wait on one 429 before giving the message up as failed (Telegram asks for seconds).
MAX_RETRY_AFTER = 60.0


class TelegramSender:
    """Sends scheduled messages through the bot, paced under Telegram's overall limit.

    Retries only what provably did not arrive (5xx answers, failed connections, 429s);
    a timeout after the request went out may have been delivered, so it is never repeated.
    A send's `on_wire` is awaited just before its first request is handed to HTTP (`bot.wire`).
    """

    def __init__(self, bot: Bot, rate: float = 30.0, retries: int = 3, backoff: float = 1.0) -> None:
        self.bot = bot
        self.rate = rate
        # Half a second's burst at most: less than Telegram tolerates, so arrival jitter on the
        # way there does not turn into 429s.
        burst = max(1.0, rate * 0.5)
        self.limiter = AsyncLimiter(burst, burst / rate) if rate > 0 else None
        self.retries = retries
        self.backoff = backoff

    async def pace(self) -> None:
        if self.limiter is not None:
            await self.limiter.acquire()

    async def _one(self, chat_id: int, text: str, markup: Any, file: Out | None = None) -> SendResult:
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                if file is not None:
                    message = await send_file(self.bot, chat_id, file)
                else:
                    # Explicit, not left to the Bot's defaults: the command line's plain Bot has none.
                    message = await self.bot.send_message(
                        chat_id, text, reply_markup=markup, parse_mode=ParseMode.HTML,
                        link_preview_options=LinkPreviewOptions(is_disabled=True))
                return SendResult(Outcome.SENT, message.message_id)
            except Forbidden:
                return SendResult(Outcome.UNREACHABLE, error="Forbidden")
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
                if last or seconds > MAX_RETRY_AFTER:
                    return SendResult(Outcome.NOT_SENT, error="RetryAfter")
                await asyncio.sleep(seconds)
            except BadRequest as exc:
                return SendResult(Outcome.FAILED, error=f"BadRequest: {str(exc)[:150]}")
            except NetworkError as exc:
                if isinstance(exc.__cause__, Withheld):  # not marked on the wire: not written
                    return SendResult(Outcome.NOT_SENT, error="not marked on the wire")
                if not not_delivered(exc):
                    cause = type(exc.__cause__).__name__ if exc.__cause__ else "answer"
                    return SendResult(Outcome.UNCERTAIN, error=f"{type(exc).__name__} ({cause})")
                if last:  # Telegram is away: given back, and sent once it answers again
                    return SendResult(Outcome.NOT_SENT, error=type(exc).__name__)
                await asyncio.sleep(self.backoff * 2**attempt)
            except TelegramError as exc:
                return SendResult(Outcome.FAILED, error=type(exc).__name__)
            except Exception as exc:  # unknown: it may have gone out, so it is never repeated
                log.exception("unexpected error sending a scheduled message")
                return SendResult(Outcome.UNCERTAIN, error=type(exc).__name__)
        return SendResult(Outcome.FAILED, error="retries exhausted")  # pragma: no cover

    async def send(self, chat_id: int, outs: Sequence[Out],
                   on_wire: OnWire | None = None) -> SendResult:
        if on_wire is None:
            return await self._send(chat_id, outs)
        mark = Mark(on_wire)
        if not marks(self.bot):  # a bot of our own making marks as it writes; a plain one cannot
            try:
                await mark.before_writing()
            except Withheld:
                if mark.error is not None:
                    raise mark.error from None
                return SendResult(Outcome.NOT_SENT, error="not marked on the wire")
        with marking(mark):
            result = await self._send(chat_id, outs)
        if mark.error is not None:  # the mark itself failed (the database is away): say so
            raise mark.error
        return result

    async def _send(self, chat_id: int, outs: Sequence[Out]) -> SendResult:
        result = SendResult(Outcome.SENT)
        parts = 0
        for out in outs:
            if out.photo is not None or out.document is not None:
                result = await self._one(chat_id, out.text, None, file=out)
                if result.outcome is not Outcome.SENT:
                    return _after(parts, result)
                parts += 1
                continue
            chunks = split_message(out.text)
            for i, chunk in enumerate(chunks):
                markup = keyboard(out) if i == len(chunks) - 1 else None
                result = await self._one(chat_id, chunk, markup)
                if result.outcome is not Outcome.SENT:
                    return _after(parts, result)
                parts += 1
        return result


def _after(parts: int, result: SendResult) -> SendResult:
    """A failure after part of the messages went: they cannot be taken back, nor sent again."""
    if parts and result.outcome is Outcome.NOT_SENT:
        return SendResult(Outcome.FAILED, error=result.error)
    return result


def sender_for(application: Application) -> TelegramSender:  # type: ignore[type-arg]
    """The application's one sender, so pacing holds across ticks."""
    data: BotData = application.bot_data
    found = data.scheduler_sender
    if not isinstance(found, TelegramSender):
        found = TelegramSender(application.bot, rate=data.settings.telegram_max_rate)
        data.scheduler_sender = found
    return found


def lease_for(interval: float) -> dt.timedelta:
    """How long another process waits before taking over this one's claims once it stops.

    Renewed at every tick and while a fan-out runs; three ticks' worth, and never under ten
    seconds, so a busy moment is not taken for a crash.
    """
    return dt.timedelta(seconds=max(3 * interval, 10.0))


def _alive() -> None:
    """The scheduler is still at work: /healthz must not call a long fan-out a hang."""
    METRICS.last_tick_at = utcnow()


async def on_tick(context: Context) -> None:
    """The JobQueue callback: run the scheduler with the real clock. Nothing escapes it.

    One tick at a time per process (the start-up run and the repeating one may meet): a tick that
    finds another running leaves the work to it. Claims carry one name per process.
    """
    running = context.bot_data.tick_running
    if running.locked():
        return
    async with running:
        await _tick(context)


async def _tick(context: Context) -> None:
    now = utcnow()
    interval = settings(context).scheduler_interval_seconds
    data = context.bot_data
    started = data.tick_started_at
    if started is not None:
        expected = started + dt.timedelta(seconds=interval)
        JOB_LAG.set(max(0.0, (now - expected).total_seconds()))
    data.tick_started_at = now
    if data.worker is None:
        data.worker = scheduler.worker_name()
    METRICS.last_tick_at = now
    if outage(database(context)).away:
        return  # the database is away: its watcher says so, and the first tick after looks
    try:
        report = await scheduler.tick(
            database(context), sender_for(context.application), now,
            on_digest_due=lambda community_id, at: digest.plan_weekly(
                database(context), community_id, at),
            notices=NOTICES,
            stop=data.stopping,
            heartbeat=_alive,
            worker=data.worker,
            lease=lease_for(interval),
        )
    except Exception as exc:  # the next tick tries again; the database still says what is due
        if unavailable(exc):
            outage(database(context)).report(exc)
        else:
            log.exception("scheduler tick failed")
        return
    counts = {k: v for k, v in vars(report).items() if v and k != "errors"}
    if counts or report.errors:
        log.info("scheduler tick: %s%s", counts, f" errors={report.errors}" if report.errors else "")


def schedule(application: Application, interval: float) -> None:  # type: ignore[type-arg]
    """Wake the scheduler at once on start, then every `interval` seconds."""
    if application.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        log.warning("no JobQueue: scheduled prompts will not be sent")
        return
    # A repeating job's first run is fixed when it is added, before the JobQueue starts, so by
    # then it has just passed and the job would first run one interval late: a one-off run looks
    # at once instead; on_tick lets only one of them run at a time.
    application.job_queue.run_once(on_tick, when=0, name=START_JOB_NAME,
                                   job_kwargs={"misfire_grace_time": None})
    application.job_queue.run_repeating(
        on_tick, interval=interval, first=interval, name=JOB_NAME,
        # A long fan-out must not overlap the next run; late runs collapse into one. A run that
        # meets a running one returns at once (on_tick), so two may start: one at most would
        # have the job queue warn once an interval while a long tick (an outage) lasts.
        job_kwargs={"max_instances": 2, "coalesce": True, "misfire_grace_time": None},
    )
