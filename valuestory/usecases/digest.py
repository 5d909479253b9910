"""The conveners' weekly digest: what it holds, for whom, when, and recording that it went.

The scheduler alone decides when a digest is due (once per community per week, claimed in the
database); this module builds it, sends it through the scheduler's `Sender`, and remembers
when it went so the next matrix can say what is new since. Each convener reads it in their own
language: their member row's, if they are also a member, else the community's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from html import escape

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n, texts
from storage.db import Database
from storage.models import Community, Role, RoleGrant, SchedulerState
from valuestory.usecases import community_settings, matrix, speaking
from valuestory.usecases.communities import find_community
from valuestory.usecases.out import Out
from valuestory.usecases.scheduler import Outcome, Sender

log = logging.getLogger(__name__)


async def _recipients(session: AsyncSession, community_id: int) -> list[int]:
    """Telegram ids of the community's conveners who want the digest."""
    return list((await session.scalars(
        select(RoleGrant.telegram_user_id).where(
            RoleGrant.community_id == community_id, RoleGrant.role == Role.CONVENER,
            RoleGrant.digest_enabled.is_(True),
        ).order_by(RoleGrant.id)
    )).all())


async def _languages_of(session: AsyncSession, community: Community,
                       user_ids: list[int]) -> dict[int, str]:
    """Each convener's language: theirs as a member, if they are one, else the community's."""
    return await speaking.staff_languages(session, community, user_ids)


async def last_digest_at(session: AsyncSession, community_id: int) -> dt.datetime | None:
    state = await session.get(SchedulerState, matrix.digest_key(community_id))
    return state.at if state is not None else None


async def record_digest(session: AsyncSession, community_id: int, now: dt.datetime) -> None:
    """Remember when a digest went out, so the next one can say what is new since."""
    key = matrix.digest_key(community_id)
    updated = await session.execute(
        update(SchedulerState).where(SchedulerState.key == key).values(at=now, value="sent")
        .execution_options(synchronize_session=False))
    if updated.rowcount:  # type: ignore[attr-defined]
        return
    try:
        async with session.begin_nested():
            session.add(SchedulerState(key=key, value="sent", at=now))
    except IntegrityError:
        pass  # another process recorded one at the same moment: either time will do


async def send_weekly(db: Database, sender: Sender, community_id: int, now: dt.datetime) -> int:
    """Send the matrix, text and picture, to every convener of the community who wants it."""
    async with db.session() as session:
        community = await session.get(Community, community_id)
    if community is None:
        return 0
    async with db.long_read() as reading:  # the all-time matrix: off the loop's thread
        built = await matrix.build_matrix(reading, community, matrix.Period(), now)
    async with db.session() as session:
        to = await _recipients(session, community_id)
        language_of = await _languages_of(session, community, to)
        # The scheduler alone decides when a digest is due; this only remembers when one went
        # out, so the next one can say what is new since.
        await record_digest(session, community_id, now)
    if not to:
        return 0
    # Text and picture in each convener's language; members' words as they wrote them.
    by_language: dict[str, list[Out]] = {}
    for language in sorted(set(language_of.values())):
        t = texts.In(language)
        body = matrix.render_text(built, language)
        png = await asyncio.to_thread(matrix.render_png, built, language)
        caption = t.MATRIX_CAPTION.format(community=speaking.value(language, built.community),
                                          period=speaking.value(language, built.period.said(language)))
        by_language[language] = [Out(t.DIGEST_INTRO + "\n\n" + body), Out(caption, photo=png)]
    sent = 0
    for user_id in to:
        result = await sender.send(user_id, by_language[language_of[user_id]])
        if result.outcome is Outcome.SENT:
            sent += 1
        else:
            log.warning("digest for community %s not delivered to a convener: %s",
                        community_id, result.error)
    return sent


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
    async with db.session() as session:
        c = await session.get(Community, community.id)
        assert c is not None
        grant = await session.scalar(select(RoleGrant).where(
            RoleGrant.telegram_user_id == user_id, RoleGrant.community_id == c.id,
            RoleGrant.role == Role.CONVENER))
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
            day=t.WEEKDAYS[c.digest_weekday], time=c.digest_time, zone=escape(c.timezone)))]
