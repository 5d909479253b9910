"""How times are shown to people: one format, always in the community's own zone, in the reader's
language (English as it always read; another language as its own calendar writes dates)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton

from flows import i18n
from storage.models import utcnow as utcnow  # the clock front ends read

LOCAL_DAY = "%a %-d %b %Y"
LOCAL_TIME = LOCAL_DAY + ", %H:%M"


def local_time(at: dt.datetime, zone: str, language: str = i18n.BASE_LANGUAGE) -> str:
    """'Thu 3 Dec 2026, 14:00' in the zone (an IANA name); 'jue, 3 dic 2026, 14:00' in Spanish."""
    here = at.astimezone(ZoneInfo(zone))
    if language == i18n.BASE_LANGUAGE:
        return here.strftime(LOCAL_TIME)
    return f"{format_skeleton('yMMMEd', here, locale=language)}, {here:%H:%M}"


def record_time(at: dt.datetime, zone: str) -> str:
    """'2026-12-03 14:00 GMT': for records people keep, such as /mydata's file."""
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def local_date(at: dt.datetime, zone: str, language: str = i18n.BASE_LANGUAGE) -> str:
    """'3 December 2026' in the zone; '3 de diciembre de 2026' in Spanish."""
    here = at.astimezone(ZoneInfo(zone))
    if language == i18n.BASE_LANGUAGE:
        return here.strftime("%-d %B %Y")
    return format_date(here.date(), "long", locale=language)


def short_date(day: dt.date, language: str = i18n.BASE_LANGUAGE) -> str:
    """'3 Dec 2026'; '3 dic 2026' in Spanish."""
    if language == i18n.BASE_LANGUAGE:
        return f"{day:%-d %b %Y}"
    return format_skeleton("yMMMd", day, locale=language)
