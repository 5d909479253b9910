"""The stretch of time a matrix covers, read from what a person typed.

A period is everything since a moment (or all time); a matrix over it counts the narratives
answered in it and the events that started in it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flows import i18n, texts
from valuestory.usecases.times import short_date


class PeriodError(ValueError):
    """A period a person typed that we can't read."""


@dataclass(frozen=True)
class Period:
    """The stretch of time a matrix covers: everything since `since`, or all time."""

    since: dt.datetime | None = None
    label: str = "all time"
    # What the person asked for, so the label can be said in any language: a count of days or
    # weeks back, or the day it starts.
    days: int | None = None
    weeks: bool = False
    day: dt.date | None = None

    def said(self, language: str = i18n.BASE_LANGUAGE) -> str:
        """The period in words in `language`: 'all time', 'the last 30 days', 'since 1 Sep 2026'."""
        t = texts.In(language)
        if self.day is not None:
            return t.PERIOD_SINCE.format(date=short_date(self.day, language))
        if self.days is not None:
            return t.PERIOD_WEEKS(self.days // 7) if self.weeks else t.PERIOD_DAYS(self.days)
        return t.PERIOD_ALL_TIME if self.since is None else self.label


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
        return Period(now - dt.timedelta(days=days), f"the last {n} {unit}{'s' if n != 1 else ''}",
                      days=days, weeks=m.group(2) == "w")
    m = re.fullmatch(r"(?:since\s+)?(\d{4}-\d{2}-\d{2})", words)
    if m:
        try:
            day = dt.date.fromisoformat(m.group(1))
        except ValueError:
            raise PeriodError(text) from None
        since = dt.datetime.combine(day, dt.time(), ZoneInfo(zone)).astimezone(dt.UTC)
        return Period(since, f"since {day:%-d %b %Y}", day=day)
    raise PeriodError(text)


def period_or_all(text: str, zone: str, now: dt.datetime) -> tuple[Period, bool]:
    """The period typed in a filter, or all time and False when it can't be read."""
    try:
        return parse_period(text, zone, now), True
    except PeriodError:
        return Period(), False
