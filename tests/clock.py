"""A controllable clock for scheduling tests: times written as people write them, in a zone."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot.scheduling import TelegramSender
from storage.models import utcnow
from tests.harness import Harness
from valuestory.usecases import scheduler
from valuestory.usecases.scheduler import TickReport

ZONE = "Europe/London"


def day(offset: int) -> dt.date:
    """A calendar day `offset` days after today, so members always join before the event."""
    return utcnow().astimezone(ZoneInfo(ZONE)).date() + dt.timedelta(days=offset)


def at(date: dt.date, hhmm: str, zone: str = ZONE) -> dt.datetime:
    """`hhmm` on `date` in `zone`, as an aware UTC timestamp."""
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(date, dt.time(hours, minutes), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def text(date: dt.date, hhmm: str) -> str:
    """The same moment as an admin would type it on the command line."""
    return f"{date.isoformat()} {hhmm}"


async def tick(h: Harness, now: dt.datetime, **kwargs: Any) -> TickReport:
    """One scheduler run against the harness's Telegram, at `now`."""
    kwargs.setdefault("batch", 3)  # claims several at once, as at high sending rates
    return await scheduler.tick(h.db, TelegramSender(h.app.bot, rate=0, backoff=0), now, **kwargs)
