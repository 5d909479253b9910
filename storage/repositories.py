"""Repositories: add and get. They never commit; the caller's unit of work does."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Insert,
    Integer,
    Select,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import (
    Choice,
    Community,
    Consent,
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


async def community_by_invite(session: AsyncSession, code: str) -> Community | None:
    return await session.scalar(select(Community).where(Community.invite_code == code))


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


async def consent(session: AsyncSession, member_id: int, version: str) -> Consent | None:
    return await session.scalar(
        select(Consent).where(Consent.member_id == member_id, Consent.version == version)
    )


async def pseudonym_taken(session: AsyncSession, community_id: int, pseudonym: str) -> bool:
    found = await session.scalar(
        select(Membership.id).where(
            Membership.community_id == community_id, Membership.pseudonym == pseudonym
        )
    )
    return found is not None


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


async def narratives_of_story(session: AsyncSession, story_id: str) -> Sequence[Narrative]:
    return (await session.scalars(
        select(Narrative).where(Narrative.story_id == story_id).order_by(Narrative.id)
    )).all()


async def narratives_of_member(session: AsyncSession, member_id: int) -> Sequence[Narrative]:
    return (await session.scalars(
        select(Narrative).where(Narrative.member_id == member_id).order_by(Narrative.id)
    )).all()


# A prompt's answers and choices in one round trip, as plain rows: what the conversation needs at
# every step to know where the member is.
_PROMPT_ID = bindparam("prompt_id", type_=Integer())
_ANSWERS = union_all(
    select(literal("n"), Narrative.question_id, Narrative.text)
    .where(Narrative.prompt_id == _PROMPT_ID),
    select(literal("c"), Choice.question_id, cast(Choice.values, Text))
    .where(Choice.prompt_id == _PROMPT_ID),
)


async def answers_of_prompt(
    session: AsyncSession, prompt_id: int,
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """What was said so far, by question, and what was chosen, by question."""
    said: dict[str, str] = {}
    chosen: dict[str, tuple[str, ...]] = {}
    for kind, question_id, value in await session.execute(_ANSWERS, {"prompt_id": prompt_id}):
        if kind == "n":
            said[question_id] = value
        else:
            chosen[question_id] = tuple(json.loads(value))
    return said, chosen


Answers = tuple[dict[str, str], dict[str, tuple[str, ...]]]


def _answers_of(picked: Any) -> Any:
    """The answers and choices of the prompts whose id is `picked` (a bound id, or a subquery of
    ids with `in_`), as one derived table: prompt_id, kind ("n" or "c"), question_id, value."""
    def where(column: Any) -> Any:
        return column.in_(picked) if isinstance(picked, Select) else column == picked

    return union_all(
        select(Narrative.prompt_id.label("prompt_id"), literal("n").label("kind"),
               Narrative.question_id.label("question_id"), Narrative.text.label("value"))
        .where(where(Narrative.prompt_id)),
        select(Choice.prompt_id, literal("c"), Choice.question_id, cast(Choice.values, Text))
        .where(where(Choice.prompt_id)),
    ).subquery("answers")


def _prompts_with_answers(query: Select[Any], answers: Any, lock: bool) -> Select[Any]:
    """`query`'s prompts (with their events), a row per answer; `lock` locks the prompts' rows.

    Each prompt is loaded from its first row only, so this is for a unit of work that has not
    read these prompts yet: a locked read must see them as locked, not as an earlier read left
    them. Built once: building a statement costs more than the rows it reads."""
    query = (query.options(joinedload(Prompt.event, innerjoin=True))
             .add_columns(answers.c.kind, answers.c.question_id, answers.c.value)
             .outerjoin(answers, answers.c.prompt_id == Prompt.id))
    return query.with_for_update(of=Prompt) if lock else query


_MEMBER_ID = bindparam("member_id", type_=Integer())
_OPEN = (select(Prompt).where(Prompt.member_id == _MEMBER_ID, Prompt.status == PromptStatus.OPEN)
         .order_by(Prompt.opened_at, Prompt.id))
_OPEN_IDS = select(Prompt.id).where(Prompt.member_id == _MEMBER_ID,
                                    Prompt.status == PromptStatus.OPEN)
_ONE = select(Prompt).where(Prompt.id == _PROMPT_ID)
_WITH_ANSWERS = {
    (one, lock): _prompts_with_answers(*((_ONE, _answers_of(_PROMPT_ID)) if one
                                         else (_OPEN, _answers_of(_OPEN_IDS))), lock)
    for one in (True, False) for lock in (True, False)
}


async def _with_answers(session: AsyncSession, statement: Select[Any],
                        params: dict[str, int]) -> list[tuple[Prompt, Answers]]:
    found: dict[int, tuple[Prompt, Answers]] = {}
    for prompt, kind, question_id, value in await session.execute(statement, params):
        said, chosen = found.setdefault(prompt.id, (prompt, ({}, {})))[1]
        if kind == "n":
            said[question_id] = value
        elif kind == "c":
            chosen[question_id] = tuple(json.loads(value))
    return list(found.values())


async def prompt_with_answers(session: AsyncSession, prompt_id: int, *,
                              lock: bool = False) -> tuple[Prompt, Answers] | None:
    """`prompt` and `answers_of_prompt` in one round trip; `lock` locks the prompt's row only."""
    found = await _with_answers(session, _WITH_ANSWERS[True, lock], {"prompt_id": prompt_id})
    return found[0] if found else None


async def open_prompts_with_answers(session: AsyncSession, member_id: int, *,
                                    lock: bool = False) -> list[tuple[Prompt, Answers]]:
    """`open_prompts`, each with its answers, in one round trip."""
    return await _with_answers(session, _WITH_ANSWERS[False, lock], {"member_id": member_id})


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
) -> Narrative:
    """Store what a member said: a new answer, more of the answer being written, or a revision.

    `language` is the one the question was asked in, kept with the question as asked.
    `spoken`: the text is a voice note's transcript; a narrative with any spoken part is spoken.
    `first`: the caller read, in this unit of work, that nothing was said to this question yet.
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
        )
        session.add(narrative)
    elif append:
        narrative.text = f"{narrative.text}\n\n{text}"
        narrative.spoken = narrative.spoken or spoken
        narrative.updated_at = now
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
        narrative.revised_at = now
        narrative.updated_at = now
    # Written with the rest of the unit of work when it commits (or when a later read needs it):
    # flushing here too made every answer flush twice.
    return narrative


async def save_choice(
    session: AsyncSession, prompt_id: int, question_id: str, values: list[str]
) -> None:
    choice = await session.scalar(
        select(Choice).where(Choice.prompt_id == prompt_id, Choice.question_id == question_id)
    )
    if choice is None:
        session.add(Choice(prompt_id=prompt_id, question_id=question_id, values=values))
    else:
        choice.values = values
        choice.updated_at = utcnow()


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


# PostgreSQL: the inbox clearing and the handled marks in one statement, one round trip.
_SETTLE_POSTGRES = text(
    "WITH cleared AS (DELETE FROM inbox_updates WHERE update_id = :update_id) "
    "INSERT INTO handled_updates (key, handled_at) "
    "SELECT key, CAST(:now AS TIMESTAMP WITH TIME ZONE) FROM unnest(CAST(:keys AS VARCHAR[])) AS key "
    "ON CONFLICT DO NOTHING RETURNING key")


async def settle_update(session: AsyncSession, update_id: int, *keys: str) -> bool:
    """Mark keys handled and clear an update from the inbox; False if any key already was.

    The marks and the clearing commit or roll back together with the caller's unit of work."""
    if session.get_bind().dialect.name != "postgresql":
        fresh = await mark_handled(session, *keys)
        await update_handled(session, update_id)
        return fresh
    inserted = await session.scalars(
        _SETTLE_POSTGRES, {"update_id": update_id, "now": utcnow(), "keys": list(keys)})
    return len(inserted.all()) == len(keys)


async def forget_handled_before(session: AsyncSession, before: dt.datetime) -> None:
    await session.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < before))


async def keep_update(on: AsyncSession | AsyncConnection, update_id: int, payload: str,
                      handled_key: str) -> bool:
    """Keep an incoming update until it is handled, in one statement; True if it is new here.

    A second copy, or one handled already (its `handled_key` recorded), is not kept again.
    """
    fresh = select(literal(update_id), literal(payload), literal(utcnow())).where(
        ~exists().where(HandledUpdate.key == handled_key))
    kept = await on.scalars(
        _insert_or_skip(on, InboxUpdate)
        .from_select(["update_id", "payload", "received_at"], fresh)
        .returning(InboxUpdate.update_id)
    )
    return kept.first() is not None


# PostgreSQL: however many updates a long poll brought, kept in one statement.
_KEEP_POSTGRES = text(
    "INSERT INTO inbox_updates (update_id, payload, received_at) "
    "SELECT u.update_id, u.payload, CAST(:now AS TIMESTAMP WITH TIME ZONE) "
    "FROM unnest(CAST(:ids AS BIGINT[]), CAST(:payloads AS TEXT[]), CAST(:keys AS VARCHAR[])) "
    "AS u(update_id, payload, key) "
    "WHERE NOT EXISTS (SELECT 1 FROM handled_updates AS h WHERE h.key = u.key) "
    "ON CONFLICT DO NOTHING RETURNING update_id")


async def keep_updates(on: AsyncSession | AsyncConnection,
                       updates: Sequence[tuple[int, str, str]]) -> set[int]:
    """Keep incoming updates (id, payload, handled key) until they are handled; the ids of those
    new here. On PostgreSQL in one statement, so it may run as its own transaction (each round
    trip counts there, and one long poll under load brings dozens); on SQLite one alone in
    keep_update's one statement, more in two."""
    if len(updates) == 1:
        update_id, payload, key = updates[0]
        return {update_id} if await keep_update(on, update_id, payload, key) else set()
    if _dialect(on) == "postgresql":
        kept = await on.scalars(_KEEP_POSTGRES, {
            "now": utcnow(), "ids": [u[0] for u in updates], "payloads": [u[1] for u in updates],
            "keys": [u[2] for u in updates]})
        return set(kept.all())
    handled = set((await on.scalars(select(HandledUpdate.key).where(
        HandledUpdate.key.in_([key for _, _, key in updates])))).all())
    now = utcnow()
    rows = [{"update_id": update_id, "payload": payload, "received_at": now}
            for update_id, payload, key in updates if key not in handled]
    if not rows:
        return set()
    inserted = await on.scalars(
        _insert_or_skip(on, InboxUpdate).returning(InboxUpdate.update_id), rows)
    return set(inserted.all())


_CLEAR = delete(InboxUpdate).where(InboxUpdate.update_id == bindparam("update_id"))


async def update_handled(session: AsyncSession, update_id: int) -> None:
    # A plain statement: the ORM's delete would first look for the row among loaded objects.
    await (await session.connection()).execute(_CLEAR, {"update_id": update_id})


async def kept_updates(session: AsyncSession) -> Sequence[InboxUpdate]:
    return (await session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id))).all()
