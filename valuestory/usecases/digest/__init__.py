"""The conveners' weekly digest: what it holds, for whom, and sending it once to each.

The scheduler alone decides when a digest is due (once per community per week, claimed in the
database); `plan_weekly` then makes one notice per convener who wants it and remembers when it
went, so the next matrix can say what is new since. The scheduler's notices send them under the
same promise as prompts (`scheduler.notices`): nothing lost in a crash, nothing twice; a digest
that may or may not have arrived goes once more under "in case this week's digest didn't reach
you". What a digest says is `content`, a function of its own (what changed in the week before it, from
`week`, and the matrix's picture); `compose` only adds the "in case"; `/digest preview` shows it
to the convener who asks, at once, and records nothing.
Each convener reads it in their own language: their member row's, if they are also a member,
else the community's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from html import escape

from flows import i18n, texts
from storage.db import Database
from storage.models import Community
from valuestory.usecases import community_settings, matrix, speaking
from valuestory.usecases.communities.queries import find_community
from valuestory.usecases.digest import queries, week
from valuestory.usecases.digest.queries import last_digest_at, record_digest
from valuestory.usecases.out import Out
from valuestory.usecases.scheduler import Notice, Sender, by_community, deliver, plan_notices
from valuestory.usecases.times import utcnow

log = logging.getLogger(__name__)

KIND = "digest"


async def content(db: Database, community_id: int, now: dt.datetime,
                  languages: set[str]) -> dict[str, list[Out]]:
    """What the community's digest says now, in each of these languages: what changed in the
    week before (`week`), then the matrix as a picture; members' words as they wrote them."""
    async with db.session() as session:
        community = await queries.community(session, community_id)
    if community is None:
        return {}
    changed = await week.read(db, community, now)
    built = await matrix.build_matrix(db, community, matrix.Period(), now)
    said: dict[str, list[Out]] = {}
    for language in sorted(languages):
        t = texts.In(language)
        png = await asyncio.to_thread(matrix.render_png, built, language)
        caption = t.MATRIX_CAPTION.format(community=speaking.value(language, built.community),
                                          period=speaking.value(language, built.period.said(language)))
        said[language] = [Out(week.render(changed, language)), Out(caption, photo=png)]
    return said


async def compose(db: Database, notices: list[Notice], now: dt.datetime) -> dict[int, list[Out]]:
    """What each digest notice says: the digest in its convener's language, and, for one that
    may not have arrived, a first line saying it comes again in case."""
    said: dict[int, list[Out]] = {}
    for community, mine, language_of in await by_community(db, notices):
        by_language = await content(db, community.id, now, set(language_of.values()))
        for notice in mine:
            language = language_of[notice.telegram_user_id]
            outs = by_language.get(language)
            if not outs:
                continue
            if notice.again:
                first, *rest = outs
                outs = [Out(texts.In(language).DIGEST_IN_CASE + "\n\n" + first.text), *rest]
            said[notice.id] = outs
    return said


async def plan_weekly(db: Database, community_id: int, now: dt.datetime,
                      round: str | None = None) -> int:
    """This week's digest is due: one notice for each convener who wants it (sent by the
    scheduler's next look, or at once by `send_weekly`); how many."""
    async with db.session() as session:
        if await queries.community(session, community_id) is None:
            return 0
        to = await queries.recipients(session, community_id)
        # The scheduler alone decides when a digest is due; this only remembers when one went
        # out, so the next one can say what is new since.
        await record_digest(session, community_id, now)
    await plan_notices(db, KIND, community_id, round or now.isoformat(), to)
    return len(to)


async def send_weekly(db: Database, sender: Sender, community_id: int, now: dt.datetime) -> int:
    """The digest, text and picture, to every convener of the community who wants it, now;
    how many it reached."""
    round = now.isoformat()
    if not await plan_weekly(db, community_id, now, round):
        return 0
    return await deliver(db, sender, now, {KIND: compose}, community_id=community_id, round=round)


async def send_now(db: Database, sender: Sender, community: str,
                   now: dt.datetime) -> tuple[str, int]:
    """`send_weekly` now, to a community given by name or id: its name and how many it reached."""
    async with db.session() as session:
        c = await find_community(session, community)
    return c.name, await send_weekly(db, sender, c.id, now)


async def preferences(db: Database, user_id: int, community: Community, arg: str, *,
                      language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """/digest: on or off for this convener, the community's day and time, or how it stands."""
    t = speaking.say(language)
    words = arg.lower().split()
    if words == ["preview"]:  # this week's digest, now, to this convener alone
        said = await content(db, community.id, utcnow(), {language})
        return said.get(language, [])
    async with db.session() as session:
        c = await queries.community(session, community.id)
        assert c is not None
        grant = await queries.convener_grant(session, user_id, c.id)
        if words in (["on"], ["off"]):
            if grant is None:
                return [Out(t.DIGEST_NOT_CONVENER)]
            grant.digest_enabled = words == ["on"]
        elif len(words) == 2:
            try:
                community_settings.apply(c, community_settings.Change(digest=" ".join(words)))
            except community_settings.SettingError:
                return [Out(t.DIGEST_USAGE)]
        elif words:
            return [Out(t.DIGEST_USAGE)]
        enabled = grant is not None and grant.digest_enabled
        return [Out(t.DIGEST_STATUS.format(
            community=speaking.value(language, c.name), state=t.DIGEST_ON if enabled else t.DIGEST_OFF,
            day=t.WEEKDAYS[c.digest_weekday], time=c.digest_time, zone=escape(c.timezone))
            + "\n" + t.DIGEST_PREVIEW_HINT)]


__all__ = ["KIND", "compose", "content", "last_digest_at", "plan_weekly", "preferences",
           "record_digest", "send_now", "send_weekly"]
