"""A controllable clock for scheduling tests: times written as people write them, in a zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from storage.models import utcnow

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
