"""How times are shown to people: one format, always in the community's own zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_DAY = "%a %-d %b %Y"
LOCAL_TIME = LOCAL_DAY + ", %H:%M"


def local_time(at: dt.datetime, zone: str) -> str:
    """'Thu 3 Dec 2026, 14:00' in the zone (an IANA name)."""
    return at.astimezone(ZoneInfo(zone)).strftime(LOCAL_TIME)


def record_time(at: dt.datetime, zone: str) -> str:
    """'2026-12-03 14:00 GMT': for records people keep, such as /mydata's file."""
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def local_date(at: dt.datetime, zone: str) -> str:
    """'3 December 2026' in the zone."""
    return at.astimezone(ZoneInfo(zone)).strftime("%-d %B %Y")
