"""The conversation's statements: a member with the prompt they are answering and what they
said so far, in one read; choices; joining's lookups. And the steps of telling a story that run
inside a unit of work someone else owns: the scheduler's opening, reminder and "in case"
message, an action on a prompt already locked (a voice note's, a pause's), where the member is
(after /language): each door that runs one owns the transaction.

A member's every message and tap runs these, so each read is one statement, built once
(building a statement costs more than the rows it reads), and each write one statement too: on
SQLite every statement is three or four trips to aiosqlite's thread, on PostgreSQL a round trip.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from collections.abc import Sequence
from typing import Any, Literal

from prometheus_client import Counter
from sqlalchemy import BigInteger, Integer, Select, Text, bindparam, cast, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import joinedload

from flows import engine, i18n
from flows.engine import Action, Begin, Context, Continue, Progress, Reply, Step
from flows.questions import PromptKind, Question, QuestionSet, Script, load_question_set
from storage import repositories as repo
from storage.db import driver_execute, driver_rows, driver_stored
from storage.models import (
    AnsweredIn,
    Choice,
    Community,
    Consent,
    Event,
    Member,
    Membership,
    Narrative,
    Prompt,
    PromptStatus,
    utcnow,
)
from valuestory.usecases import callbacks
from valuestory.usecases.callbacks import Prefix
from valuestory.usecases.out import Out
from valuestory.usecases.speaking import say
from valuestory.usecases.speaking import value as in_language

log = logging.getLogger(__name__)

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


# --- Telling the story ----------------------------------------------------------------------

# A message after a prompt closed is told so for this long; after that it is simply news.
CLOSED_NOTICE_DAYS = 14

ANSWERS_STORED = Counter("valuestory_answers_stored", "Answer messages committed to the database.")


def prompt_token(prompt_id: int, action: Action) -> str:
    return callbacks.encode(Prefix.PROMPT, prompt_id, engine.encode_action(action))


def _out(prompt_id: int, reply: Reply) -> Out:
    rows = tuple(
        tuple((b.label, prompt_token(prompt_id, b.action)) for b in row) for row in reply.buttons
    )
    return Out(reply.text, rows, reply.edit)



def script_of(question_set: str, kind: str, language: str) -> Script:
    """The script a member is asked, in their language; English as the engine always spoke it."""
    qs = load_question_set(question_set)
    if language == i18n.BASE_LANGUAGE:
        return qs.script(PromptKind(kind))
    return qs.script(PromptKind(kind), language=language)


def _asked_in(qs: QuestionSet, script: Script, q: Question) -> str:
    """The language a question's text was actually shown in: the base one where it fell back."""
    if script.language is None or script.language == qs.language:
        return qs.language
    base = qs.script(script.kind).question(q.id)
    if base is not None and base.text == q.text:
        return qs.language
    return script.language


def answer_fields(qs: QuestionSet, script: Script, q: Question, ctx: Context) -> dict[str, Any]:
    """What a narrative keeps of the question it answers: its id, its text as asked and the
    language it was asked in, its cycle and capital, and whether it is a plan."""
    assert q.cycle is not None
    return {"question_id": q.id,
            "question_text": q.text.format(event=ctx.event, aspiration=ctx.aspiration),
            "cycle": q.cycle.value, "capital": q.capital.value if q.capital else None,
            "intended": q.intended, "language": _asked_in(qs, script, q)}


async def read_progress(session: AsyncSession, prompt: Prompt) -> Progress:
    return progress_of(prompt, await answers_of_prompt(session, prompt.id))


def progress_of(prompt: Prompt, answered: Answers) -> Progress:
    answers, chosen = answered
    if prompt.attended and "attended" not in chosen:
        chosen = {**chosen, "attended": ("yes",)}  # checked in at the event: no need to ask
    return Progress(
        question_id=prompt.question_id,
        fresh=prompt.fresh,
        held=prompt.held,
        held_message=prompt.held_message,
        answers=answers,
        choices=chosen,
    )


async def context_of(session: AsyncSession, prompt: Prompt) -> Context:
    # Already in the session where the prompt was read with it (`repo.prompt`): no query then.
    event = await session.get(Event, prompt.event_id)
    assert event is not None
    aspiration = ""
    if prompt.kind != PromptKind.POST_EVENT:
        for n in await narratives_of_story(session, prompt.story_id):
            if n.intended:
                aspiration = n.text
    return Context(event=event.title, aspiration=aspiration)


async def apply(session: AsyncSession, prompt: Prompt, action: Action, now: dt.datetime,
                 language: str, progress: Progress | None = None,
                 spoken: bool = False, channel: str = AnsweredIn.TELEGRAM) -> list[Out]:
    """Run one action through the engine, in `language`, and persist everything it decided.

    `spoken`: the action's text is the transcript of a voice note the member kept.
    `channel`: where the member is telling it (`AnsweredIn`), kept with what they said.
    """
    qs = load_question_set(prompt.question_set)
    script = script_of(prompt.question_set, prompt.kind, language)
    ctx = await context_of(session, prompt)
    if progress is None:
        progress = await read_progress(session, prompt)
    result: Step = engine.step(script, progress, action, ctx)
    if result.store_text is not None:
        q = result.store_text.question
        await repo.save_answer(
            session, prompt, **answer_fields(qs, script, q, ctx), text=result.store_text.text,
            append=result.store_text.append, now=now, spoken=spoken,
            first=q.id not in progress.answers, channel=channel,
        )
        ANSWERS_STORED.inc()
    if result.store_choice is not None:
        q = result.store_choice.question
        await save_choice(session, prompt.id, q.id, list(result.store_choice.values))
        if q.id == "attended":
            prompt.attended = "yes" in result.store_choice.values
    prompt.question_id = result.progress.question_id
    prompt.fresh = result.progress.fresh
    prompt.held = result.progress.held
    prompt.held_message = result.progress.held_message
    outs = [_out(prompt.id, r) for r in result.replies]
    if result.finished:
        prompt.status = (PromptStatus(result.finished)
                         if result.finished in PromptStatus.__members__.values()
                         else PromptStatus.COMPLETED)
        prompt.finished_at = now
        membership = await repo.membership(session, prompt.member_id, prompt.community_id)
        # Pseudonym only: logs never name a member or carry what they said.
        log.info("%s finished prompt %s: %s", membership.pseudonym if membership else "a member",
                 prompt.id, prompt.status)
        member = await session.get(Member, prompt.member_id)
        assert member is not None
        outs += await resume(session, member, now, announce=True)
    return outs


async def apply_action(session: AsyncSession, prompt: Prompt, action: Action, now: dt.datetime,
                       spoken: bool = False) -> list[Out]:
    """Run one action on a prompt the caller has locked, in the caller's unit of work."""
    return await apply(session, prompt, action, now, await _language_of(session, prompt, None),
                        spoken=spoken)


async def resume(session: AsyncSession, member: Member, now: dt.datetime | None = None,
                  announce: bool = False) -> list[Out]:
    """Pick up the member's open prompt, if any, where they left it."""
    pending = await repo.open_prompts(session, member.id)
    if not pending:
        return []
    nxt = pending[0]
    outs = []
    if announce:
        event = await session.get(Event, nxt.event_id)
        assert event is not None
        outs.append(Out(say(member.language).NEXT_PROMPT_WAITING.format(
            event=in_language(member.language, event.title))))
    return outs + await apply(session, nxt, Begin(), now or utcnow(), member.language)


async def carry_on(session: AsyncSession, member: Member, now: dt.datetime) -> list[Out]:
    """Where the member is in their open story, asked again (in their language as it is now)."""
    return await resume(session, member, now)


async def _language_of(session: AsyncSession, prompt: Prompt, language: str | None) -> str:
    if language is not None:
        return language
    member = await session.get(Member, prompt.member_id)
    return member.language if member is not None else i18n.BASE_LANGUAGE


async def opening(session: AsyncSession, prompt: Prompt, now: dt.datetime,
                  language: str | None = None) -> list[Out]:
    """The first message of a prompt the scheduler is opening; its progress is kept in `session`.

    `language` is the member's, when the caller read it already; otherwise it is looked up.
    """
    # A prompt never opened has no answers yet: no need to look them up for every member.
    fresh = Progress() if prompt.question_id is None else None
    return await apply(session, prompt, Begin(), now, await _language_of(session, prompt, language),
                        fresh)


async def _nudge(session: AsyncSession, prompt: Prompt, language: str | None,
                 text: Literal["REMINDER", "IN_CASE"]) -> list[Out]:
    """A short word about a prompt, in the member's language, with a Continue button; `text`
    names the catalog's text (its event and minutes filled in)."""
    event = await session.get(Event, prompt.event_id)
    assert event is not None
    language = await _language_of(session, prompt, language)
    t = say(language)
    script = script_of(prompt.question_set, prompt.kind, language)
    said = getattr(t, text).format(event=in_language(language, event.title),
                                   minutes=t.plural(script.minutes, "minute"))
    return [Out(said, (((t.BTN_CONTINUE, prompt_token(prompt.id, Continue())),),))]


async def reminder(session: AsyncSession, prompt: Prompt, language: str | None = None) -> list[Out]:
    """The one nudge about a prompt the member has not finished, in the member's language."""
    return await _nudge(session, prompt, language, "REMINDER")


async def in_case(session: AsyncSession, prompt: Prompt, language: str | None = None) -> list[Out]:
    """The one message sent when the prompt's opening may not have arrived: reads well either way."""
    return await _nudge(session, prompt, language, "IN_CASE")


async def closed_lately(session: AsyncSession, member: Member, now: dt.datetime) -> bool:
    """Whether the member's latest prompt closed (its window passed) in the last few weeks."""
    latest = await latest_finished(session, member.id)
    return (latest is not None and latest.status == PromptStatus.CLOSED
            and latest.finished_at is not None
            and latest.finished_at >= now - dt.timedelta(days=CLOSED_NOTICE_DAYS))


# --- An answer sent from a member's page, as plain statements ------------------------------------
# Every answer sent on a page runs these: one read, and for the usual step (a first answer to a
# question, a choice, moving on) one write, said to the driver (`driver_rows`, `driver_execute`),
# no ORM objects. On PostgreSQL the write is one statement (a WITH of its parts): one round trip;
# on SQLite a statement for each part, one trip each to aiosqlite's thread. Anything else (a new
# version of an answer, a story finished) goes through `apply`, in the same unit of work.

def _on_page(lock: str, link: str = "") -> str:
    """The read of `prompt_by_link`; with `link` (a statement finding one link, whose first
    columns are its id, member, community, revoked at, last used at, language and joined), the
    member is the link's, unless it is revoked, and every row begins with those 7 columns."""
    member = "(SELECT member_id FROM link WHERE revoked_at IS NULL)" if link else ":member_id"
    first = ("link.id, link.member_id, link.community_id, link.revoked_at, link.last_used_at, "
             "link.language, link.joined, ") if link else ""
    return f"""WITH {f"link AS ({link}),{chr(10)}" if link else ""}m AS (
  SELECT id, language FROM members WHERE id = {member}{lock}),
p AS (SELECT id, kind, question_set, question_id, fresh, held, held_message, attended, event_id,
  story_id, status, community_id FROM prompts
  WHERE id = :prompt_id AND member_id = {member}{lock})
SELECT {first}m.language, p.id, p.kind, p.question_set, p.question_id, p.fresh, p.held,
  p.held_message, p.attended, e.title,
  CASE WHEN p.kind = '{PromptKind.POST_EVENT.value}' THEN '' ELSE
    (SELECT n.text FROM narratives n WHERE n.story_id = p.story_id AND n.intended
     ORDER BY n.id DESC LIMIT 1) END,
  p.status, p.community_id, p.event_id, p.story_id, a.kind, a.question_id, a.value
FROM {"link LEFT JOIN m ON 1 = 1" if link else "m"} LEFT JOIN p ON 1 = 1
LEFT JOIN events e ON e.id = p.event_id
LEFT JOIN (SELECT 'n' AS kind, question_id, text AS value FROM narratives
  WHERE prompt_id = :prompt_id
  UNION ALL
  SELECT 'c', question_id, CAST("values" AS TEXT) FROM choices WHERE prompt_id = :prompt_id
) AS a ON p.id IS NOT NULL"""


# The member's and the prompt's rows locked on PostgreSQL, as `member_by_id_with_prompt` locks
# them (one person's answers one at a time); SQLite's writers take turns already (BEGIN IMMEDIATE).
@functools.lru_cache(maxsize=8)
def _on_page_by_link(dialect: str, link: str) -> str:
    return _on_page(" FOR UPDATE" if dialect == "postgresql" else "", link)


async def prompt_by_link(conn: AsyncConnection, link: str, token_hash: str, prompt_id: int
                         ) -> Sequence[Sequence[Any]]:
    """The member whose link `link` finds by `:token_hash` (its first 7 columns: id, member,
    community, revoked at, last used at, language, joined) and that prompt of theirs, locked,
    with what was answered so far, in one statement: no rows if there is no such link; else a
    row for each answer (at least one), each with the link's 7 columns, then the member's
    language (None, and nothing locked, if the link is revoked), the prompt's id (None if it is
    not theirs), kind, question set, question id, fresh, held, held message, attended, event
    title, aspiration (a follow-up's plan, else ""), status, community, event and story; then
    the answer's kind ("n" or "c"), question id and value (a choice's as JSON). Values as the
    driver gives them."""
    return await driver_rows(conn, _on_page_by_link(conn.dialect.name, link),
                             {"token_hash": token_hash, "prompt_id": prompt_id})

_TELL = (
    "INSERT INTO narratives (prompt_id, member_id, community_id, event_id, story_id, "
    "question_id, question_text, language, cycle, capital, intended, text, spoken, channel, "
    "version, answered_at, updated_at) VALUES (:prompt_id, :member_id, :community_id, "
    ":event_id, :story_id, :told_question, :question_text, :language, :cycle, :capital, "
    ":intended, :text, :spoken, :channel, 1, :now, :now)")
_CHOOSE_PLAIN = (
    'INSERT INTO choices (prompt_id, question_id, "values", updated_at) '
    "VALUES (:prompt_id, :chosen_question, {values}, :now) "
    'ON CONFLICT (prompt_id, question_id) DO UPDATE SET "values" = excluded."values", '
    "updated_at = excluded.updated_at")
_CHOSEN = {"postgresql": _CHOOSE_PLAIN.format(values="CAST(:chosen AS JSON)"),
           "sqlite": _CHOOSE_PLAIN.format(values=":chosen")}
_STEP_ON = ("UPDATE prompts SET question_id = :at_question, fresh = :fresh, held = :held, "
            "held_message = :held_message, attended = :attended, updated_at = :now "
            "WHERE id = :prompt_id")


async def write_on_page(conn: AsyncConnection, prompt_id: int, now: dt.datetime, *,
                        told: dict[str, Any] | None = None,
                        chosen: tuple[str, Sequence[str]] | None = None,
                        step: dict[str, Any] | None = None) -> None:
    """What an answer on the page decided, in the caller's unit of work: a first answer to a
    question (`told`: the narrative's fields, as `answer_fields` and the prompt give them),
    a choice replacing the one before (`chosen`: question id, values), and where the prompt is
    now (`step`: question id, fresh, held, held message, attended). The prompt's id is theirs."""
    dialect = conn.dialect.name
    parts: list[str] = []
    values: dict[str, Any] = {"prompt_id": prompt_id, "now": driver_stored(now, dialect)}
    if told is not None:
        parts.append(_TELL)
        values |= {**told, "told_question": told["question_id"], "spoken": False}
    if chosen is not None:
        parts.append(_CHOSEN[dialect])
        values |= {"chosen_question": chosen[0], "chosen": json.dumps(list(chosen[1]))}
    if step is not None:
        parts.append(_STEP_ON)
        values |= {"at_question": step["question_id"], "fresh": step["fresh"],
                   "held": step["held"], "held_message": step["held_message"],
                   "attended": step["attended"]}
    if not parts:
        return
    if dialect == "postgresql":
        # One statement, one round trip: each part but the last a WITH of the one after.
        *before, last = parts
        await driver_execute(conn, "".join(
            f"{'WITH' if i == 0 else ','} w{i} AS ({sql}) " for i, sql in enumerate(before))
            + last, values)
        return
    for sql in parts:
        await driver_execute(conn, sql, values)
