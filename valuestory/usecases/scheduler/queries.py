"""The scheduler's statements about notices (the digest, retention notices): plan, claim, put on
the wire, record, give back, and recover a stopped process's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import Community, Event, MemberEmail, Narrative, Notice, Prompt
from valuestory.usecases.scheduler.rules import insert_new

DUE, CLAIMED, SENDING, UNCERTAIN = "due", "claimed", "sending", "uncertain"


async def add_due(db: Database, session: AsyncSession, kind: str, community_id: int, round: str,
                  people: Iterable[int], details: dict[str, Any]) -> None:
    """A due notice for each person, unless this round already has theirs."""
    rows = [{"kind": kind, "community_id": community_id, "round": round,
             "telegram_user_id": person, "status": DUE, "again": False, "details": details}
            for person in people]
    if rows:
        await session.execute(insert_new(db, Notice).values(rows))


async def claim_due(session: AsyncSession, worker: str, now: dt.datetime, kinds: Sequence[str],
                    community_id: int | None, round: str | None) -> list[Notice]:
    """Claim the due notices of these kinds (of one community and round, if given), oldest first."""
    query = (select(Notice).where(Notice.status == DUE, Notice.kind.in_(kinds))
             .order_by(Notice.id).with_for_update(skip_locked=True))
    if community_id is not None:
        query = query.where(Notice.community_id == community_id)
    if round is not None:
        query = query.where(Notice.round == round)
    found = list((await session.scalars(query)).all())
    for notice in found:
        notice.status, notice.claimed_by, notice.claimed_at = CLAIMED, worker, now
    return found


async def on_wire(session: AsyncSession, notice_id: int, worker: str, now: dt.datetime) -> bool:
    marked = await session.execute(
        update(Notice).where(Notice.id == notice_id, Notice.status == CLAIMED,
                             Notice.claimed_by == worker)
        .values(status=SENDING, wire_at=now).execution_options(synchronize_session=False))
    return bool(marked.rowcount)  # type: ignore[attr-defined]


async def record(session: AsyncSession, notice_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(Notice).where(Notice.id == notice_id, Notice.status == SENDING)
                          .values(**values).execution_options(synchronize_session=False))


async def give_back(session: AsyncSession, ids: Sequence[int], worker: str) -> None:
    """Claims that surely did not arrive (on the wire or not): due again, as before them."""
    await session.execute(
        update(Notice).where(Notice.id.in_(ids), Notice.status.in_((CLAIMED, SENDING)),
                             Notice.claimed_by == worker)
        .values(status=DUE, claimed_by=None, claimed_at=None, wire_at=None)
        .execution_options(synchronize_session=False))


async def recover(session: AsyncSession, alive: Select[Any], worker: str) -> tuple[int, list[str]]:
    """A stopped process's notices: claims due again (how many), those on the wire in doubt (kinds).

    In doubt, a notice is due once more as its "in case" version; an "in case" in doubt is left.
    """
    orphan = or_(Notice.claimed_by == worker, Notice.claimed_by.not_in(alive))
    released = (await session.execute(
        update(Notice).where(Notice.status == CLAIMED, orphan)
        .values(status=DUE, claimed_by=None, claimed_at=None)
        .returning(Notice.id).execution_options(synchronize_session=False))).all()
    again = (await session.execute(
        update(Notice).where(Notice.status == SENDING, Notice.again.is_(False), orphan)
        .values(status=DUE, again=True, claimed_by=None, claimed_at=None,
                error="on the wire when its process stopped")
        .returning(Notice.kind).execution_options(synchronize_session=False))).scalars().all()
    left = (await session.execute(
        update(Notice).where(Notice.status == SENDING, Notice.again.is_(True), orphan)
        .values(status=UNCERTAIN, error="on the wire when its process stopped")
        .returning(Notice.kind).execution_options(synchronize_session=False))).scalars().all()
    return len(released), [*again, *left]


# --- Emails: what a letter about a prompt says, and to whom ---------------------------------


async def letter_about(session: AsyncSession, prompt_id: int) -> Any:
    """(address, community, event title, prompt kind, story id, member id) for an email about a
    prompt, if the member's address may still be written to; else None."""
    return (await session.execute(
        select(MemberEmail.address, Community.name, Event.title, Prompt.kind, Prompt.story_id,
               Prompt.member_id)
        .join(Prompt, Prompt.member_id == MemberEmail.member_id)
        .join(Community, Community.id == Prompt.community_id)
        .join(Event, Event.id == Prompt.event_id)
        .where(Prompt.id == prompt_id, MemberEmail.unsubscribed_at.is_(None),
               MemberEmail.unreachable_at.is_(None)))).first()


async def plan_of(session: AsyncSession, story_id: str, member_id: int) -> str | None:
    """The plan a member made in a story (their answer to its intention question), if any."""
    return await session.scalar(
        select(Narrative.text).where(Narrative.story_id == story_id,
                                     Narrative.member_id == member_id,
                                     Narrative.intended.is_(True))
        .order_by(Narrative.id.desc()).limit(1))
