"""The scheduler's time rules, and who may be messaged: plain functions of a community and a clock.

Nobody is messaged in their community's quiet hours; a prompt is due a set time after its event
ends, closes after its window, and is nudged once before it closes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flows.questions import PromptKind
from storage.models import Community, Event
from valuestory.usecases import parsing

parse_hhmm = parsing.clock


def in_quiet_hours(at: dt.datetime, zone: str, quiet_start: str, quiet_end: str) -> bool:
    start, end = parse_hhmm(quiet_start), parse_hhmm(quiet_end)
    if start == end:
        return False  # quiet hours switched off
    local = at.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def allowed_time(at: dt.datetime, zone: str, quiet_start: str, quiet_end: str) -> dt.datetime:
    """`at`, or the end of the quiet hours it falls in: when a person may be messaged."""
    if not in_quiet_hours(at, zone, quiet_start, quiet_end):
        return at
    tz = ZoneInfo(zone)
    end = parse_hhmm(quiet_end)
    local = at.astimezone(tz)
    candidate = dt.datetime.combine(local.date(), end, tzinfo=tz)
    if candidate.astimezone(dt.UTC) <= at:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), end, tzinfo=tz)
    result = candidate.astimezone(dt.UTC)
    # A quiet end inside a daylight-saving gap lands a little early; step out of the hours.
    while in_quiet_hours(result, zone, quiet_start, quiet_end):
        result += dt.timedelta(minutes=15)
    return result


def _allowed(c: Community, at: dt.datetime) -> dt.datetime:
    return allowed_time(at, c.timezone, c.quiet_start, c.quiet_end)


def due_for(c: Community, event: Event, kind: str) -> dt.datetime:
    """When a prompt of this kind about this event is due for a member of this community."""
    after = {
        PromptKind.POST_EVENT: dt.timedelta(minutes=c.prompt_delay_minutes),
        PromptKind.FOLLOWUP_APPLIED: dt.timedelta(days=c.followup_applied_days),
        PromptKind.FOLLOWUP_REFRAMING: dt.timedelta(days=c.followup_reframing_days),
    }[PromptKind(kind)]
    return _allowed(c, event.ends_at + after)


def closes_for(c: Community, due: dt.datetime) -> dt.datetime:
    return due + dt.timedelta(days=c.window_days)


def remind_for(c: Community, opened: dt.datetime, closes: dt.datetime | None) -> dt.datetime | None:
    at = _allowed(c, opened + dt.timedelta(hours=c.reminder_after_hours))
    return at if closes is None or at < closes else None


def last_slot(community: Community, now: dt.datetime) -> dt.datetime:
    """The most recent weekly digest time at or before `now`, in UTC."""
    zone = ZoneInfo(community.timezone)
    local = now.astimezone(zone)
    hours, minutes = (int(x) for x in community.digest_time.split(":"))
    day = local.date() - dt.timedelta(days=(local.weekday() - community.digest_weekday) % 7)
    slot = dt.datetime.combine(day, dt.time(hours, minutes), zone)
    if slot > local:
        slot = dt.datetime.combine(day - dt.timedelta(days=7), dt.time(hours, minutes), zone)
    return slot.astimezone(dt.UTC)
