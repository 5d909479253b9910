"""The member's side: joining, consent, and telling a story. Front-end neutral.

The Telegram adapter and the terminal (`valuestory try`) both call these functions and show the
`Out` messages they return. Every call is one unit of work: what the member sent is committed
before anything is said back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Sequence

from prometheus_client import Counter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from flows import engine, texts
from flows.engine import Action, Begin, Context, Continue, Progress, Reply, Step
from flows.questions import PromptKind, load_question_set
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    Community,
    Consent,
    Event,
    Member,
    Membership,
    Prompt,
    PromptStatus,
    utcnow,
)
from valuestory.usecases import callbacks, inbox, parsing
from valuestory.usecases.callbacks import Prefix
from valuestory.usecases.out import Out

CONSENT_VERSION = hashlib.sha256(texts.PARTICIPANT_BODY.encode()).hexdigest()[:12]
PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# A message after a prompt closed is told so for this long; after that it is simply news.
CLOSED_NOTICE_DAYS = 14

log = logging.getLogger(__name__)
ANSWERS_STORED = Counter("valuestory_answers_stored", "Answer messages committed to the database.")

def prompt_token(prompt_id: int, action: Action) -> str:
    return callbacks.encode(Prefix.PROMPT, prompt_id, engine.encode_action(action))


def _out(prompt_id: int, reply: Reply) -> Out:
    rows = tuple(
        tuple((b.label, prompt_token(prompt_id, b.action)) for b in row) for row in reply.buttons
    )
    return Out(reply.text, rows, reply.edit)


def new_pseudonym() -> str:
    return "P-" + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(4))


# --- Joining --------------------------------------------------------------------------------


def _participant_info(community: Community) -> Out:
    from html import escape

    return Out(
        texts.PARTICIPANT_INFO.format(community=escape(community.name)),
        ((
            (texts.BTN_AGREE, callbacks.encode(Prefix.AGREE, community.invite_code, CONSENT_VERSION)),
            (texts.BTN_NOT_NOW, callbacks.encode(Prefix.NOT_NOW, community.invite_code)),
        ),),
    )


async def _join(session: AsyncSession, member: Member, community: Community,
                consent: Consent) -> Membership:
    for _ in range(20):
        pseudonym = new_pseudonym()
        if not await repo.pseudonym_taken(session, community.id, pseudonym):
            break
    membership = Membership(
        member_id=member.id, community_id=community.id, pseudonym=pseudonym, consent_id=consent.id
    )
    session.add(membership)
    await session.flush()
    log.info("%s joined community %s", pseudonym, community.id)
    return membership


async def start(db: Database, user_id: int, chat_id: int, code: str | None) -> list[Out]:
    """/start, with or without an invite code."""
    from html import escape

    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        if member is not None:
            member.chat_id = chat_id
            member.unreachable_at = None
        if not code:
            if member is None:
                return [Out(texts.START_STRANGER)]
            return [Out(texts.START_MEMBER), *await _resume(session, member)]
        community = await repo.community_by_invite(session, code)
        if community is None:
            return [Out(texts.BAD_INVITE)]
        if member is not None:
            name = escape(community.name)
            if await repo.membership(session, member.id, community.id):
                return [Out(texts.ALREADY_MEMBER.format(community=name)),
                        *await _resume(session, member)]
            consent = await repo.consent(session, member.id, CONSENT_VERSION)
            if consent is not None:
                await _join(session, member, community, consent)
                return [Out(texts.JOINED.format(community=name)), *await _resume(session, member)]
        return [_participant_info(community)]


async def answer_consent(
    db: Database, user_id: int, chat_id: int, token: str, now: dt.datetime | None = None
) -> list[Out]:
    """The Agree / Not now buttons under the participant information."""
    from html import escape

    prefix, parts = callbacks.decode(token)
    if prefix is Prefix.NOT_NOW:
        return [Out(texts.NOT_NOW)]
    if prefix is not Prefix.AGREE or len(parts) != 2:
        return [Out(texts.BAD_INVITE)]
    code, version = parts
    now = now or utcnow()
    async with db.session() as session:
        community = await repo.community_by_invite(session, code)
        if community is None:
            return [Out(texts.BAD_INVITE)]
        if version != CONSENT_VERSION:
            # The information changed since it was shown: show the current text to agree to.
            return [_participant_info(community)]
        member = await repo.member_by_telegram_id(session, user_id)
        if member is None:
            member = Member(telegram_user_id=user_id, chat_id=chat_id, created_at=now)
            session.add(member)
            await session.flush()
        name = escape(community.name)
        if await repo.membership(session, member.id, community.id):
            return [Out(texts.ALREADY_MEMBER.format(community=name))]
        consent = await repo.consent(session, member.id, CONSENT_VERSION)
        if consent is None:
            consent = Consent(member_id=member.id, version=CONSENT_VERSION, given_at=now)
            session.add(consent)
            await session.flush()
        await _join(session, member, community, consent)
        return [Out(texts.JOINED.format(community=name)), *await _resume(session, member)]


# --- Telling the story ----------------------------------------------------------------------


async def _progress(session: AsyncSession, prompt: Prompt) -> Progress:
    narratives = await repo.narratives_of_prompt(session, prompt.id)
    choices = await repo.choices_of_prompt(session, prompt.id)
    chosen = {c.question_id: tuple(c.values) for c in choices}
    if prompt.attended and "attended" not in chosen:
        chosen["attended"] = ("yes",)  # checked in at the event: no need to ask
    return Progress(
        question_id=prompt.question_id,
        fresh=prompt.fresh,
        held=prompt.held,
        held_message=prompt.held_message,
        answers={n.question_id: n.text for n in narratives},
        choices=chosen,
    )


async def _context(session: AsyncSession, prompt: Prompt) -> Context:
    event = await session.get(Event, prompt.event_id)
    assert event is not None
    aspiration = ""
    if prompt.kind != PromptKind.POST_EVENT:
        for n in await repo.narratives_of_story(session, prompt.story_id):
            if n.intended:
                aspiration = n.text
    return Context(event=event.title, aspiration=aspiration)


async def _apply(session: AsyncSession, prompt: Prompt, action: Action,
                 now: dt.datetime, progress: Progress | None = None) -> list[Out]:
    """Run one action through the engine and persist everything it decided."""
    script = load_question_set(prompt.question_set).script(PromptKind(prompt.kind))
    ctx = await _context(session, prompt)
    if progress is None:
        progress = await _progress(session, prompt)
    result: Step = engine.step(script, progress, action, ctx)
    if result.store_text is not None:
        q = result.store_text.question
        assert q.cycle is not None
        await repo.save_answer(
            session, prompt, question_id=q.id,
            question_text=q.text.format(event=ctx.event, aspiration=ctx.aspiration),
            cycle=q.cycle.value, capital=q.capital.value if q.capital else None,
            intended=q.intended, text=result.store_text.text, append=result.store_text.append,
            now=now,
        )
        ANSWERS_STORED.inc()
    if result.store_choice is not None:
        q = result.store_choice.question
        await repo.save_choice(session, prompt.id, q.id, list(result.store_choice.values))
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
        outs += await _resume(session, member, now, announce=True)
    return outs


async def _resume(session: AsyncSession, member: Member, now: dt.datetime | None = None,
                  announce: bool = False) -> list[Out]:
    """Pick up the member's open prompt, if any, where they left it."""
    from html import escape

    pending = await repo.open_prompts(session, member.id)
    if not pending:
        return []
    nxt = pending[0]
    outs = []
    if announce:
        event = await session.get(Event, nxt.event_id)
        assert event is not None
        outs.append(Out(texts.NEXT_PROMPT_WAITING.format(event=escape(event.title))))
    return outs + await _apply(session, nxt, Begin(), now or utcnow())


async def opening(session: AsyncSession, prompt: Prompt, now: dt.datetime) -> list[Out]:
    """The first message of a prompt the scheduler is opening; its progress is kept in `session`."""
    # A prompt never opened has no answers yet: no need to look them up for every member.
    fresh = Progress() if prompt.question_id is None else None
    return await _apply(session, prompt, Begin(), now, fresh)


async def reminder(session: AsyncSession, prompt: Prompt) -> list[Out]:
    """The one nudge about a prompt the member has not finished."""
    from html import escape

    event = await session.get(Event, prompt.event_id)
    assert event is not None
    script = load_question_set(prompt.question_set).script(PromptKind(prompt.kind))
    text = texts.REMINDER.format(event=escape(event.title),
                                minutes=texts.plural(script.minutes, 'minute'))
    return [Out(text, (((texts.BTN_CONTINUE, prompt_token(prompt.id, Continue())),),))]


async def _closed_lately(session: AsyncSession, member: Member, now: dt.datetime) -> bool:
    """Whether the member's latest prompt closed (its window passed) in the last few weeks."""
    from sqlalchemy import select

    latest = await session.scalar(
        select(Prompt).where(Prompt.member_id == member.id, Prompt.finished_at.is_not(None))
        .order_by(Prompt.finished_at.desc(), Prompt.id.desc()).limit(1)
    )
    return (latest is not None and latest.status == PromptStatus.CLOSED
            and latest.finished_at is not None
            and latest.finished_at >= now - dt.timedelta(days=CLOSED_NOTICE_DAYS))


async def act(
    db: Database, user_id: int, chat_id: int, action: Action, *, key: str | None = None,
    prompt_id: int | None = None, now: dt.datetime | None = None,
) -> list[Out]:
    """A member did something in the conversation: a message, a button or a command."""
    now = now or utcnow()
    try:
        async with db.session() as session:
            member = await repo.member_by_telegram_id(session, user_id, lock=True)
            if member is None:
                return [Out(texts.UNKNOWN_USER)]
            if not await inbox.claim(session, *([key] if key is not None else [])):
                return []  # already acted on: a redelivered update changes nothing
            member.chat_id = chat_id
            member.unreachable_at = None
            if prompt_id is not None:
                prompt = await repo.prompt(session, prompt_id, lock=True)
                if prompt is None or prompt.member_id != member.id:
                    return [Out(texts.NOT_FOR_YOU)]
                if prompt.status != PromptStatus.OPEN:
                    over = (texts.PROMPT_CLOSED if prompt.status == PromptStatus.CLOSED
                            else texts.PROMPT_FINISHED)
                    return [Out(over), *await _resume(session, member, now)]
            else:
                pending = await repo.open_prompts(session, member.id, lock=True)
                if not pending:
                    if await _closed_lately(session, member, now):
                        return [Out(texts.PROMPT_CLOSED)]
                    return [Out(texts.NOTHING_OPEN)]
                prompt = pending[0]
            return await _apply(session, prompt, action, now)
    except IntegrityError:
        # Another process handled the same update at the same moment; it has answered.
        return []


async def press(db: Database, user_id: int, chat_id: int, token: str, *, key: str | None = None,
                now: dt.datetime | None = None) -> list[Out]:
    """A button was pressed. Tokens we did not make are refused kindly and change nothing."""
    prefix, parts = callbacks.decode(token, maxsplit=1)
    if prefix in (Prefix.AGREE, Prefix.NOT_NOW):
        return await answer_consent(db, user_id, chat_id, token, now)
    prompt_id = parsing.parse_id(parts[0]) if len(parts) == 2 else None
    if prefix is Prefix.PROMPT and prompt_id is not None:
        action = engine.decode_action(parts[1])
        if action is not None:
            return await act(db, user_id, chat_id, action, key=key, prompt_id=prompt_id,
                             now=now)
    return [Out(texts.STALE_BUTTON)]


async def help_text(db: Database, user_id: int) -> list[Out]:
    """/help: how it works, and where the member is right now."""
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        if member is None:
            return [Out(texts.HELP), Out(texts.UNKNOWN_USER)]
        pending = await repo.open_prompts(session, member.id)
        if not pending:
            return [Out(texts.HELP)]
        prompt = pending[0]
        if prompt.question_id is None:
            return [Out(texts.HELP)]
        script = load_question_set(prompt.question_set).script(PromptKind(prompt.kind))
        progress = await _progress(session, prompt)
        seq = engine.sequence(script, progress.choices)
        current = script.question(prompt.question_id)
        where = ""
        if current in seq:
            where = texts.HELP_WHERE.format(index=seq.index(current) + 1, total=len(seq))
        return [Out(texts.HELP + where)]


async def stored_story(db: Database, user_id: int) -> dict[str, list[tuple[str, str]]]:
    """What is stored for a member, by cycle: (question as asked, answer)."""
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        if member is None:
            return {}
        out: dict[str, list[tuple[str, str]]] = {}
        for n in await repo.narratives_of_member(session, member.id):
            out.setdefault(n.cycle, []).append((n.question_text, n.text))
        return out


__all__: Sequence[str] = (
    "CONSENT_VERSION", "Out", "act", "answer_consent", "help_text", "opening", "press",
    "reminder", "start", "stored_story",
)
