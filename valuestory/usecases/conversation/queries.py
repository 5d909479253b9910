"""The conversation's statements: a member with the prompt they are answering and what they
said so far, in one read; choices; joining's lookups.

A member's every message and tap runs these, so each read is one statement, built once
(building a statement costs more than the rows it reads), and each write one statement too: on
SQLite every statement is three or four trips to aiosqlite's thread, on PostgreSQL a round trip.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, Text, bindparam, cast, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import (
    Choice,
    Community,
    Consent,
    Member,
    Membership,
    Narrative,
    Prompt,
    PromptStatus,
    utcnow,
)

# What was said so far, by question, and what was chosen, by question.
Answers = tuple[dict[str, str], dict[str, tuple[str, ...]]]

_PROMPT_ID = bindparam("prompt_id", type_=Integer())
_USER_ID = bindparam("user_id", type_=BigInteger())


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


_MEMBER_ID = bindparam("member_id", type_=Integer())
_BY_TELEGRAM = Member.telegram_user_id == _USER_ID
_BY_ID = Member.id == _MEMBER_ID  # a member on their page, found by their link


def _member_with(prompts: Any, answers: Any, who: Any = _BY_TELEGRAM,
                 lock: bool = True) -> Select[Any]:
    """The member (`who`: by Telegram id, or by id), each of their `prompts` (with its event)
    and a row per answer, the member's and the prompts' rows locked (`lock`): one person's
    updates one at a time."""
    statement = (select(Member, Prompt, answers.c.kind, answers.c.question_id, answers.c.value)
                 .join(Prompt, (Prompt.member_id == Member.id) & prompts)
                 .options(joinedload(Prompt.event, innerjoin=True))
                 .outerjoin(answers, answers.c.prompt_id == Prompt.id)
                 .where(who))
    return statement.with_for_update(of=(Member, Prompt)) if lock else statement


def _open_ids(who: Any) -> Select[Any]:
    return (select(Prompt.id).join(Member, Member.id == Prompt.member_id)
            .where(who, Prompt.status == PromptStatus.OPEN))


_OPEN_IDS = _open_ids(_BY_TELEGRAM)
_WITH_ONE = _member_with(Prompt.id == _PROMPT_ID, _answers_of(_PROMPT_ID))
_WITH_OPEN = (_member_with(Prompt.status == PromptStatus.OPEN, _answers_of(_OPEN_IDS))
              .order_by(Prompt.opened_at, Prompt.id))
_MEMBER = select(Member).where(_BY_TELEGRAM).with_for_update()
_ONE_BY_ID = _member_with(Prompt.id == _PROMPT_ID, _answers_of(_PROMPT_ID), _BY_ID)
_OPEN_BY_ID = (_member_with(Prompt.status == PromptStatus.OPEN, _answers_of(_open_ids(_BY_ID)),
                            _BY_ID).order_by(Prompt.opened_at, Prompt.id))
_MEMBER_BY_ID = select(Member).where(_BY_ID).with_for_update()
# What a member's page reads: the same, nothing locked (outside any transaction).
_OPEN_BY_ID_SEEN = (_member_with(Prompt.status == PromptStatus.OPEN,
                                 _answers_of(_open_ids(_BY_ID)), _BY_ID, lock=False)
                    .order_by(Prompt.opened_at, Prompt.id))
_MEMBER_BY_ID_SEEN = select(Member).where(_BY_ID)


async def _member_and_prompts(session: AsyncSession, statement: Select[Any],
                              params: dict[str, int], alone: Select[Any] = _MEMBER,
                              ) -> tuple[Member | None, list[tuple[Prompt, Answers]]]:
    member: Member | None = None
    found: dict[int, tuple[Prompt, Answers]] = {}
    for row_member, prompt, kind, question_id, value in await session.execute(statement, params):
        member = row_member  # the same one in every row
        said, chosen = found.setdefault(prompt.id, (prompt, ({}, {})))[1]
        if kind == "n":
            said[question_id] = value
        elif kind == "c":
            chosen[question_id] = tuple(json.loads(value))
    if member is None:  # no such prompt of theirs: is there such a member?
        member = await session.scalar(alone, params)
    return member, list(found.values())


async def member_by_id_with_prompt(session: AsyncSession, member_id: int, prompt_id: int
                                   ) -> tuple[Member | None, tuple[Prompt, Answers] | None]:
    """As `member_with_prompt`, for a member found by id (on their page)."""
    member, found = await _member_and_prompts(
        session, _ONE_BY_ID, {"member_id": member_id, "prompt_id": prompt_id}, _MEMBER_BY_ID)
    return member, found[0] if found else None


async def member_by_id_with_open_prompts(session: AsyncSession, member_id: int, *,
                                         lock: bool = True
                                         ) -> tuple[Member | None, list[tuple[Prompt, Answers]]]:
    """As `member_with_open_prompts`, for a member found by id (on their page); `lock=False`
    for a page that is only read."""
    if not lock:
        return await _member_and_prompts(session, _OPEN_BY_ID_SEEN, {"member_id": member_id},
                                         _MEMBER_BY_ID_SEEN)
    return await _member_and_prompts(session, _OPEN_BY_ID, {"member_id": member_id},
                                     _MEMBER_BY_ID)


async def member_with_prompt(session: AsyncSession, user_id: int, prompt_id: int
                             ) -> tuple[Member | None, tuple[Prompt, Answers] | None]:
    """The member, locked, and that prompt of theirs (None if it is not theirs), locked, with
    what was answered so far: one statement for what a tap needs."""
    member, found = await _member_and_prompts(session, _WITH_ONE,
                                              {"user_id": user_id, "prompt_id": prompt_id})
    return member, found[0] if found else None


async def member_with_open_prompts(session: AsyncSession, user_id: int
                                   ) -> tuple[Member | None, list[tuple[Prompt, Answers]]]:
    """The member, locked, and their open prompts, locked, the one to answer first at the
    head, each with what was answered so far: one statement for what a message needs."""
    return await _member_and_prompts(session, _WITH_OPEN, {"user_id": user_id})


_ANSWERS = union_all(
    select(literal("n"), Narrative.question_id, Narrative.text)
    .where(Narrative.prompt_id == _PROMPT_ID),
    select(literal("c"), Choice.question_id, cast(Choice.values, Text))
    .where(Choice.prompt_id == _PROMPT_ID),
)


async def answers_of_prompt(session: AsyncSession, prompt_id: int) -> Answers:
    """What was said so far, by question, and what was chosen, by question."""
    said: dict[str, str] = {}
    chosen: dict[str, tuple[str, ...]] = {}
    for kind, question_id, value in await session.execute(_ANSWERS, {"prompt_id": prompt_id}):
        if kind == "n":
            said[question_id] = value
        else:
            chosen[question_id] = tuple(json.loads(value))
    return said, chosen


def _choose(dialect: Any) -> Any:
    statement = dialect.insert(Choice).values(
        prompt_id=bindparam("prompt_id"), question_id=bindparam("question_id"),
        values=bindparam("values", type_=Choice.__table__.c["values"].type),
        updated_at=bindparam("now", type_=Choice.__table__.c.updated_at.type))
    return statement.on_conflict_do_update(
        index_elements=[Choice.prompt_id, Choice.question_id],
        set_={"values": statement.excluded["values"], "updated_at": statement.excluded.updated_at})


_CHOOSE = {"postgresql": _choose(postgresql), "sqlite": _choose(sqlite)}


async def save_choice(session: AsyncSession, prompt_id: int, question_id: str,
                      values: list[str]) -> None:
    """What was chosen for a question, replacing what was chosen before: one statement."""
    conn = await session.connection()
    await conn.execute(_CHOOSE[conn.dialect.name], {
        "prompt_id": prompt_id, "question_id": question_id, "values": values, "now": utcnow()})


async def latest_finished(session: AsyncSession, member_id: int) -> Prompt | None:
    """The member's prompt that finished (or closed) last."""
    return await session.scalar(
        select(Prompt).where(Prompt.member_id == member_id, Prompt.finished_at.is_not(None))
        .order_by(Prompt.finished_at.desc(), Prompt.id.desc()).limit(1))


async def community_by_invite(session: AsyncSession, code: str) -> Community | None:
    return await session.scalar(select(Community).where(Community.invite_code == code))


async def community_by_id(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def membership_of(session: AsyncSession, member_id: int, community_id: int) -> bool:
    found = await session.scalar(select(Membership.id).where(
        Membership.member_id == member_id, Membership.community_id == community_id))
    return found is not None


async def consent(session: AsyncSession, member_id: int, version: str) -> Consent | None:
    return await session.scalar(
        select(Consent).where(Consent.member_id == member_id, Consent.version == version))


async def pseudonym_taken(session: AsyncSession, community_id: int, pseudonym: str) -> bool:
    found = await session.scalar(select(Membership.id).where(
        Membership.community_id == community_id, Membership.pseudonym == pseudonym))
    return found is not None


async def narratives_of_story(session: AsyncSession, story_id: str) -> Sequence[Narrative]:
    return (await session.scalars(
        select(Narrative).where(Narrative.story_id == story_id).order_by(Narrative.id))).all()


async def narratives_of_member(session: AsyncSession, member_id: int) -> Sequence[Narrative]:
    return (await session.scalars(
        select(Narrative).where(Narrative.member_id == member_id).order_by(Narrative.id))).all()
