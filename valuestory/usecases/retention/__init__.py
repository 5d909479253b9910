"""Retention: erase narratives older than a community's limit, once a day, with notice and audit.

A function of (db, now) so tests drive it on their own clock; the JobQueue calls it with the real
one. Safe to run from several processes at once: a database marker per community per day means
the work is done once. The week's notice to conveners is recorded with one notice per convener
in the same commit, and sent as the scheduler sends every notice (`scheduler.notices`): once,
and after a crash once more "in case" if it may not have arrived. What it says is `compose`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n
from storage.db import Database
from storage.models import Community
from valuestory.usecases import speaking
from valuestory.usecases.communities.queries import find_community
from valuestory.usecases.errors import AdminError
from valuestory.usecases.out import Out
from valuestory.usecases.parsing import parse_count
from valuestory.usecases.retention import queries
from valuestory.usecases.retention.queries import set_months
from valuestory.usecases.scheduler import Notice, Sender, by_community, deliver
from valuestory.usecases.times import local_date

log = logging.getLogger(__name__)

NOTICE_AHEAD = dt.timedelta(days=7)
# Telegram redelivers an unconfirmed update for about a day; a week of keys is plenty.
HANDLED_UPDATES_KEPT = dt.timedelta(days=7)
ACTOR = "retention"
KIND = "retention"


@dataclass(frozen=True)
class Outcome:
    """What one community's daily check did."""

    community_id: int
    erased: int = 0
    revisions: int = 0
    noticed: int = 0  # narratives announced for erasure a week from now
    conveners_told: int = 0


def months_before(moment: dt.datetime, months: int, zone: ZoneInfo) -> dt.datetime:
    """The same wall-clock time `months` calendar months earlier, in the community's zone."""
    local = moment.astimezone(zone)
    index = local.year * 12 + (local.month - 1) - months
    year, month = divmod(index, 12)
    day = min(local.day, calendar.monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day).astimezone(dt.UTC)


def parse_months(text: str, problem: str) -> int | None:
    """A retention typed by a person: a whole number of months (1 to 1200), or "keep" (None).
    AdminError(`problem`) for anything else."""
    value = text.strip().lower()
    if value == "keep":
        return None
    months = parse_count(value, 1200)
    if not months:
        raise AdminError(problem)
    return months


@dataclass(frozen=True)
class Kept:
    """A community's retention as the command line set it: its name, and the reply as plain
    text in its language (whoever runs the command line has none of their own here)."""

    community: str
    said: str


async def set_for(db: Database, community: str, months: int | None, actor: str) -> Kept:
    """`set_months` for a community given by name or id."""
    async with db.session() as session:
        c = await find_community(session, community)
        await set_months(session, c, months, actor=actor)
    t = speaking.say(c.language)
    name = c.name if t.language == i18n.BASE_LANGUAGE else i18n.isolate(c.name)
    said = (t.RETENTION_SET.format(community=name, months=t.plural(months, "month")) if months
            else t.RETENTION_UNLIMITED.format(community=name))
    return Kept(c.name, said)


async def run(db: Database, now: dt.datetime, sender: Sender | None = None) -> list[Outcome]:
    """Check every community with a retention limit; at most once per community per local day.

    A notice given is sent by the scheduler's next look, or here at once with a `sender`.
    """
    async with db.session() as session:
        ids = await queries.limited(session, now - HANDLED_UPDATES_KEPT)
    outcomes = []
    for community_id in ids:
        outcome = await _check(db, community_id, now)
        if outcome is None:
            continue
        if outcome.noticed and sender is not None:
            told = await deliver(db, sender, now, {KIND: compose}, community_id=community_id,
                                 round=now.isoformat())
            outcome = Outcome(community_id, noticed=outcome.noticed, conveners_told=told)
        outcomes.append(outcome)
    return outcomes


async def _check(db: Database, community_id: int, now: dt.datetime) -> Outcome | None:
    async with db.session() as session:
        community = await queries.community(session, community_id)
        if community is None or community.retention_months is None:
            return None
        zone = ZoneInfo(community.timezone)
        if not await queries.claim_today(session, community_id,
                                         now.astimezone(zone).date().isoformat(), now):
            return None
        months = community.retention_months
        if not await queries.erased_before(session, community_id):
            given = await queries.notice_given_at(session, community_id)
            if given is None:
                return await _give_notice(db, session, community, now, zone)
            if now - given < NOTICE_AHEAD:
                return Outcome(community_id)
        erased, revisions = await queries.erase(session, community,
                                                months_before(now, months, zone), now)
    if erased:
        log.info("retention: community %s, erased %d narratives and %d earlier versions",
                 community_id, erased, revisions)
    return Outcome(community_id, erased=erased, revisions=revisions)


async def _give_notice(db: Database, session: AsyncSession, community: Community,
                       now: dt.datetime, zone: ZoneInfo) -> Outcome:
    """Record the notice, with one for each convener to be sent."""
    assert community.retention_months is not None
    erase_on = now + NOTICE_AHEAD
    cutoff = months_before(erase_on, community.retention_months, zone)
    due = await queries.count_before(session, community.id, cutoff)
    if not due:
        return Outcome(community.id)
    await queries.record_notice(db, session, community, now, KIND, {
        "narratives": due, "months": community.retention_months,
        "erase_from": erase_on.isoformat(), "told_before": cutoff.isoformat()})
    log.info("retention: community %s, %d narratives announced for erasure", community.id, due)
    return Outcome(community.id, noticed=due)


async def compose(db: Database, notices: list[Notice], now: dt.datetime) -> dict[int, list[Out]]:
    """What each retention notice says, in its convener's language; for one that may not have
    arrived, under a first line saying it comes again in case."""
    said: dict[int, list[Out]] = {}
    for community, mine, languages in await by_community(db, notices):
        zone = community.timezone
        for notice in mine:
            language = languages[notice.telegram_user_id]
            t = speaking.say(language)
            d = notice.details
            text = t.RETENTION_NOTICE.format(
                community=speaking.value(language, community.name),
                months=t.plural(int(d["months"]), "month"),
                count=t.plural(int(d["narratives"]), "answer"),
                date=local_date(dt.datetime.fromisoformat(d["erase_from"]), zone, language),
                cutoff=local_date(dt.datetime.fromisoformat(d["told_before"]), zone, language),
            )
            if notice.again:
                text = t.RETENTION_IN_CASE + "\n\n" + text
            said[notice.id] = [Out(text)]
    return said


__all__ = ["ACTOR", "HANDLED_UPDATES_KEPT", "KIND", "NOTICE_AHEAD", "Outcome", "compose",
           "months_before", "parse_months", "run", "set_for", "set_months"]
