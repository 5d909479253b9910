"""Reading what people type or press: ids, times of day, durations, weekdays.

ASCII digits only: str.isdigit() accepts "²" and other digits int() rejects, and an unbounded
number overflows a database integer, so a forged button or a stray character would crash a
handler instead of getting a kind reply.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# 18 digits always fit a signed 64-bit integer, as every Telegram id does; our own rows are
# numbered in 32 bits.
_ID = re.compile(r"[0-9]{1,18}")
ROW_ID_MAX = 2**31 - 1
_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DURATION = re.compile(
    r"(?:([0-9]{1,4})\s*(w|d|h|m|min|mins|minutes)?)"
    r"|(?:([0-9]{1,3})\s*h\s*([0-9]{1,3})\s*(?:m|min|mins|minutes)?)"
)
UNITS = {"m": 1, "min": 1, "mins": 1, "minutes": 1, "h": 60, "d": 60 * 24, "w": 60 * 24 * 7}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def check_timezone(name: str) -> str:
    """The name, if it is an IANA time zone; else ValueError saying what to type."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone name; try one like Europe/London") from None
    return name


def parse_id(text: str) -> int | None:
    """The id of one of our rows (a community, an event), typed or pressed; None if it can't be."""
    value = parse_telegram_id(text)
    return value if value is not None and value <= ROW_ID_MAX else None


def parse_telegram_id(text: str) -> int | None:
    """A Telegram user id typed by a person; None if it can't be one."""
    return int(text) if _ID.fullmatch(text) else None


def parse_count(text: str, high: int) -> int | None:
    """A whole number from 0 to `high` in ASCII digits; None otherwise."""
    found = re.fullmatch(r"[0-9]{1,9}", text.strip())
    value = int(found.group()) if found else None
    return value if value is not None and value <= high else None


def parse_hhmm(text: str) -> str | None:
    """'9:00' or '09:00' as '09:00'; None if it isn't a time of day."""
    found = _HHMM.fullmatch(text.strip())
    if found is None:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2))
    if hours > 23 or minutes > 59:
        return None
    return f"{hours:02d}:{minutes:02d}"


def clock(text: str) -> dt.time:
    """A stored 'HH:MM' as a time of day (it was checked by parse_hhmm when saved)."""
    parsed = parse_hhmm(text)
    if parsed is None:
        raise ValueError(f"not a time of day: {text!r}")
    hours, minutes = parsed.split(":")
    return dt.time(int(hours), int(minutes))


def parse_duration(text: str, bare_unit: str = "m") -> int | None:
    """'90', '90m', '1h30', '1h 30m', '2h', '7d', '1w' in minutes; a bare number is `bare_unit`."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None:
        return None
    if found.group(1) is not None:
        return int(found.group(1)) * UNITS[found.group(2) or bare_unit]
    return int(found.group(3)) * 60 + int(found.group(4))


def parse_weekday(word: str) -> int | None:
    """'mon', 'Monday', 'thurs' as 0-6 (Monday is 0); None if it isn't a day of the week."""
    word = word.strip().lower()
    if len(word) < 3:
        return None
    for i, name in enumerate(WEEKDAYS):
        if name.startswith(word):
            return i
    return None


# An address as mail servers take it in practice: one @, no spaces, brackets or quotes, a dotted
# domain. Whether it reaches anyone only the mail server can say.
EMAIL_PATTERN = re.compile(r"^[^\s@<>(),;:\"\[\]]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def parse_email(text: str) -> str | None:
    """An email address as typed, trimmed; None unless it looks like one."""
    text = text.strip()
    return text if len(text) <= 254 and EMAIL_PATTERN.match(text) else None
