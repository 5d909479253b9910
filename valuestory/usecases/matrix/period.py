"""The stretch of time a matrix covers, read from what a person typed.

A period is everything since a moment (or all time); a matrix over it counts the narratives
answered in it and the events that started in it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo


class PeriodError(ValueError):
    """A period a person typed that we can't read."""


@dataclass(frozen=True)
class Period:
    """The stretch of time a matrix covers: everything since `since`, or all time."""

    since: dt.datetime | None = None
    label: str = "all time"


def parse_period(text: str, zone: str, now: dt.datetime) -> Period:
    """'' or 'all' (all time), '30d', '8w', 'since 2026-09-01' (midnight in the community's zone)."""
    words = " ".join(text.lower().split())
    if words in ("", "all", "all time"):
        return Period()
    m = re.fullmatch(r"(\d{1,4})\s*([dw])", words)
    if m:
        days = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
        if days == 0:
            raise PeriodError(text)
        unit = "week" if m.group(2) == "w" else "day"
        n = int(m.group(1))
        return Period(now - dt.timedelta(days=days), f"the last {n} {unit}{'s' if n != 1 else ''}")
    m = re.fullmatch(r"(?:since\s+)?(\d{4}-\d{2}-\d{2})", words)
    if m:
        try:
            day = dt.date.fromisoformat(m.group(1))
        except ValueError:
            raise PeriodError(text) from None
        since = dt.datetime.combine(day, dt.time(), ZoneInfo(zone)).astimezone(dt.UTC)
        return Period(since, f"since {day:%-d %b %Y}")
    raise PeriodError(text)
