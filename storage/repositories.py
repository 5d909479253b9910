"""Repositories: add and get. They never commit; the caller's unit of work does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import (
    Insert,
    delete,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import (
    Community,
    Event,
    HandledUpdate,
    InboxUpdate,
    Member,
    Membership,
    Narrative,
    NarrativeRevision,
    Prompt,
    PromptStatus,
    SchedulerState,
    utcnow,
)


async def community_by_name_or_id(
    session: AsyncSession, name: str, community_id: int | None = None
) -> Community | None:
    """The community with this id, else the one with this name."""
    if community_id is not None:
        found = await session.get(Community, community_id)
        if found:
            return found
    return await session.scalar(select(Community).where(Community.name == name))


async def communities(session: AsyncSession) -> Sequence[Community]:
    return (await session.scalars(select(Community).order_by(Community.name))).all()


async def member_by_telegram_id(
    session: AsyncSession, telegram_user_id: int, *, lock: bool = False
) -> Member | None:
    query = select(Member).where(Member.telegram_user_id == telegram_user_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def membership(session: AsyncSession, member_id: int, community_id: int) -> Membership | None:
    return await session.scalar(
        select(Membership).where(
            Membership.member_id == member_id, Membership.community_id == community_id
        )
    )


async def memberships_of(session: AsyncSession, member_id: int) -> Sequence[Membership]:
    return (await session.scalars(
        select(Membership).where(Membership.member_id == member_id).order_by(Membership.id)
    )).all()


async def events(session: AsyncSession, community_id: int | None = None) -> Sequence[Event]:
    query = select(Event).order_by(Event.starts_at)
    if community_id is not None:
        query = query.where(Event.community_id == community_id)
    return (await session.scalars(query)).all()


async def prompt(session: AsyncSession, prompt_id: int, *, lock: bool = False) -> Prompt | None:
    """A prompt, with its event (read with it, not after); `lock` locks the prompt's row only."""
    query = (select(Prompt).where(Prompt.id == prompt_id)
             .options(joinedload(Prompt.event, innerjoin=True)))
    if lock:
        query = query.with_for_update(of=Prompt)
    return await session.scalar(query)


async def open_prompts(
    session: AsyncSession, member_id: int, *, lock: bool = False
) -> Sequence[Prompt]:
    """A member's open prompts, the one to answer first at the head; `lock` locks them all."""
    query = (select(Prompt)
             .where(Prompt.member_id == member_id, Prompt.status == PromptStatus.OPEN)
             .options(joinedload(Prompt.event, innerjoin=True))
             .order_by(Prompt.opened_at, Prompt.id))
    if lock:
        # Read the rows as locked, not as an earlier read of this unit of work left them; only
        # the prompts' rows: everyone answering about one event must not queue on its row.
        query = query.with_for_update(of=Prompt).execution_options(populate_existing=True)
    return (await session.scalars(query)).all()


async def prompt_for(
    session: AsyncSession, member_id: int, event_id: int, kind: str
) -> Prompt | None:
    return await session.scalar(
        select(Prompt).where(
            Prompt.member_id == member_id, Prompt.event_id == event_id, Prompt.kind == kind
        )
    )


async def save_answer(
    session: AsyncSession,
    prompt: Prompt,
    *,
    question_id: str,
    question_text: str,
    cycle: str,
    capital: str | None,
    intended: bool,
    text: str,
    append: bool,
    now: dt.datetime,
    language: str = "en",
    spoken: bool = False,
    first: bool = False,
    channel: str = "telegram",
) -> Narrative:
    """Store what a member said: a new answer, more of the answer being written, or a revision.

    `language` is the one the question was asked in, kept with the question as asked.
    `spoken`: the text is a voice note's transcript; a narrative with any spoken part is spoken.
    `first`: the caller read, in this unit of work, that nothing was said to this question yet.
    `channel`: where it was told (`AnsweredIn`); a revision or more of it says where, last.
    """
    narrative = None if first else await session.scalar(
        select(Narrative).where(
            Narrative.prompt_id == prompt.id, Narrative.question_id == question_id
        )
    )
    if narrative is None:
        narrative = Narrative(
            prompt_id=prompt.id, member_id=prompt.member_id, community_id=prompt.community_id,
            event_id=prompt.event_id, story_id=prompt.story_id, question_id=question_id,
            question_text=question_text, language=language, cycle=cycle, capital=capital,
            intended=intended, text=text, spoken=spoken, answered_at=now, updated_at=now,
            channel=channel,
        )
        session.add(narrative)
    elif append:
        narrative.text = f"{narrative.text}\n\n{text}"
        narrative.spoken = narrative.spoken or spoken
        narrative.updated_at = now
        if narrative.channel != channel:
            narrative.channel = channel
    else:
        session.add(NarrativeRevision(
            narrative_id=narrative.id, version=narrative.version, text=narrative.text,
            written_at=narrative.updated_at, replaced_at=now,
        ))
        narrative.text = text
        narrative.spoken = spoken
        narrative.question_text = question_text
        narrative.language = language
        narrative.version += 1
        narrative.channel = channel
        narrative.revised_at = now
        narrative.updated_at = now
    # Written with the rest of the unit of work when it commits (or when a later read needs it):
    # flushing here too made every answer flush twice.
    return narrative


async def put_state(session: AsyncSession, key: str, value: str) -> None:
    """Set a shared marker, whether or not a row for it exists yet; two processes may race."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    now = utcnow()
    await session.execute(insert(SchedulerState).values(key=key, value=value, at=now)
                          .on_conflict_do_update(index_elements=[SchedulerState.key],
                                                 set_={"value": value, "at": now}))


def _dialect(on: AsyncSession | AsyncConnection) -> str:
    return on.dialect.name if isinstance(on, AsyncConnection) else on.get_bind().dialect.name


def _insert_or_skip(on: AsyncSession | AsyncConnection,
                    model: type[HandledUpdate | InboxUpdate]) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING, one statement: a row already there is left alone."""
    dialect = postgresql if _dialect(on) == "postgresql" else sqlite
    return dialect.insert(model).on_conflict_do_nothing()  # type: ignore[no-any-return]


async def mark_handled(session: AsyncSession, *keys: str) -> bool:
    """Record updates as handled; False if any of them already was (a redelivery)."""
    # Plain statements on the session's connection, in its transaction: through the ORM, a
    # list of rows takes its bulk-insert path, which cost more than the rest of a step's reads.
    # The rows as parameters, not as a multi-row VALUES: that one is compiled afresh each time.
    conn = await session.connection()
    now = utcnow()
    statement = _insert_or_skip(conn, HandledUpdate).returning(HandledUpdate.key)
    if len(keys) == 1:
        inserted = await conn.execute(statement, {"key": keys[0], "handled_at": now})
    else:
        inserted = await conn.execute(statement, [{"key": key, "handled_at": now} for key in keys])
    return len(inserted.all()) == len(keys)


async def forget_handled_before(session: AsyncSession, before: dt.datetime) -> None:
    await session.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < before))
