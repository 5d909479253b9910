"""When an event is: a time as a person types it, read in the community's zone, and the range
an event's time keeps (from 2000 to two years ahead, with a time of day)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from storage.models import utcnow
from valuestory.usecases.errors import AdminError

# Far enough ahead for any planned event, near enough that adding a duration or a follow-up
# can't run past the largest date there is.
FURTHEST_AHEAD = dt.timedelta(days=2 * 365)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class TimeOutOfRange(AdminError):
    """A readable time too far from now to be an event's: before 2000 (`past`) or far ahead."""

    def __init__(self, message: str, past: bool) -> None:
        super().__init__(message)
        self.past = past


class NoTimeOfDay(AdminError):
    """A date alone: taking it as midnight would ask members in the small hours."""


def parse_time(text: str, zone: str, now: dt.datetime | None = None) -> dt.datetime:
    """A time typed by a person: 'YYYY-MM-DD HH:MM' in the community's zone, or ISO 8601.

    Only from 2000 to two years after `now`, and never a date without its time of day.
    """
    text = text.strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        raise NoTimeOfDay(f"{text!r} has no time of day: give a date and time like "
                          f"{day.isoformat()} 14:00")
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise AdminError(f"{text!r} is not a date and time like 2026-12-03 14:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    latest = (now or utcnow()) + FURTHEST_AHEAD
    # The year first: converting a time near the end of year 9999 to UTC overflows.
    if not EARLIEST.year <= parsed.year <= latest.year or not EARLIEST <= parsed <= latest:
        raise TimeOutOfRange(f"{text!r} is too far off: events can be from 2000 up to two years "
                             "from now", past=parsed.year < EARLIEST.year or parsed < EARLIEST)
    return parsed.astimezone(dt.UTC)
