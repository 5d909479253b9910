"""The member's side: joining, consent, and telling a story. Front-end neutral.

The Telegram adapter and the terminal (`valuestory try`) both call these functions and show the
`Out` messages they return. Every call is one unit of work: what the member sent is committed
before anything is said back.

Everything is said in the member's language (`Member.language`; before they join, Telegram's, else
the community's: `speaking.py` chooses it), read afresh at every step, so a member who changes it
mid-story is asked the next question in the new one and loses nothing. A consent names the
version, and the language, of the participant information as it was shown; English reads exactly
as it did before languages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Sequence
from typing import Literal

from prometheus_client import Counter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from flows import engine, i18n, texts
from flows.engine import Action, Begin, Context, Continue, Progress, Reply, Step
from flows.questions import PromptKind, Question, QuestionSet, Script, load_question_set
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    AnsweredIn,
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
from valuestory.usecases.conversation import queries
from valuestory.usecases.conversation.queries import Answers
from valuestory.usecases.matrix.glossary import INTENDED
from valuestory.usecases.out import Out
from valuestory.usecases.speaking import joining_language, language_for, say, value


def participant_body(language: str, keep_audio: bool = False) -> str:
    """The participant information a member agrees to, as shown in `language`.

    A community that keeps the recordings of voice notes shows (and so gets agreement to) the
    text that says so.
    """
    t = texts.In(language)
    return str(t.PARTICIPANT_BODY_WITH_AUDIO if keep_audio else t.PARTICIPANT_BODY)


def consent_version(language: str, keep_audio: bool = False) -> str:
    """The version of the participant information in `language`: a digest of its text as shown.

    The one place a version is derived, so whatever else the text comes to depend on is added
    here. A language whose catalog lacks the text shows the English one, and shares its version.
    """
    return hashlib.sha256(participant_body(language, keep_audio).encode()).hexdigest()[:12]


CONSENT_VERSION = consent_version(i18n.BASE_LANGUAGE)
CONSENT_VERSION_WITH_AUDIO = consent_version(i18n.BASE_LANGUAGE, keep_audio=True)
PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# A message after a prompt closed is told so for this long; after that it is simply news.
CLOSED_NOTICE_DAYS = 14

# Where a story is told, as a front end names it to `act` and `press`.
IN_TELEGRAM, IN_TERMINAL = AnsweredIn.TELEGRAM, AnsweredIn.TERMINAL

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


# --- Joining --------------------------------------------------------------------------------


def _participant_info(community: Community, language: str) -> Out:
    t = say(language)
    version = consent_version(language, community.keep_audio)
    agree = callbacks.encode(Prefix.AGREE, community.invite_code, version, language)
    info = t.PARTICIPANT_INFO_WITH_AUDIO if community.keep_audio else t.PARTICIPANT_INFO
    return Out(
        info.format(community=value(language, community.name)),
        ((
            (t.BTN_AGREE, agree),
            (t.BTN_NOT_NOW, callbacks.encode(Prefix.NOT_NOW, community.invite_code)),
        ),),
    )


async def _join(session: AsyncSession, member: Member, community: Community,
                consent: Consent) -> Membership:
    for _ in range(20):
        pseudonym = new_pseudonym()
        if not await queries.pseudonym_taken(session, community.id, pseudonym):
            break
    membership = Membership(
        member_id=member.id, community_id=community.id, pseudonym=pseudonym, consent_id=consent.id
    )
    session.add(membership)
    await session.flush()
    log.info("%s joined community %s", pseudonym, community.id)
    return membership


def reached(member: Member, chat_id: int) -> None:
    """The member wrote to us from this chat: it is where to reach them now.

    Only what changed is set: a member touched for nothing is flushed before every read after."""
    if member.chat_id != chat_id:
        member.chat_id = chat_id
    if member.unreachable_at is not None:
        member.unreachable_at = None


async def start(db: Database, user_id: int, chat_id: int, code: str | None,
                telegram_language: str | None = None) -> list[Out]:
    """/start, with or without an invite code; `telegram_language` is the app's language code."""
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        if member is not None:
            reached(member, chat_id)
        if not code:
            t = say(joining_language(member, telegram_language, None))
            if member is None:
                return [Out(t.START_STRANGER)]
            return [Out(t.START_MEMBER), *await _resume(session, member)]
        community = await queries.community_by_invite(session, code)
        if community is None:
            return [Out(say(joining_language(member, telegram_language, None)).BAD_INVITE)]
        language = joining_language(member, telegram_language, community)
        if member is not None:
            t, name = say(language), value(language, community.name)
            if await repo.membership(session, member.id, community.id):
                return [Out(t.ALREADY_MEMBER.format(community=name)),
                        *await _resume(session, member)]
            # Reused only if this very text, in this language, was agreed to before.
            consent = await queries.consent(session, member.id,
                                         consent_version(language, community.keep_audio))
            if consent is not None:
                await _join(session, member, community, consent)
                return [Out(t.JOINED.format(community=name)), *await _resume(session, member)]
        return [_participant_info(community, language)]


async def answer_consent(
    db: Database, user_id: int, chat_id: int, token: str, now: dt.datetime | None = None,
    telegram_language: str | None = None,
) -> list[Out]:
    """The Agree / Not now buttons under the participant information."""
    prefix, parts = callbacks.decode(token)
    if prefix is Prefix.NOT_NOW:
        return [Out(say(telegram_language).NOT_NOW)]
    shown: str | None = None  # the language the agreed text was shown in
    if prefix is Prefix.AGREE and len(parts) == 3:
        shown = i18n.normalise(parts[2])
    elif prefix is Prefix.AGREE and len(parts) == 2:
        shown = i18n.BASE_LANGUAGE  # a button made before languages: the English text
    if shown is None:
        return [Out(say(telegram_language).BAD_INVITE)]
    code, version = parts[0], parts[1]
    now = now or utcnow()
    async with db.session() as session:
        community = await queries.community_by_invite(session, code)
        if community is None:
            return [Out(say(telegram_language).BAD_INVITE)]
        member = await repo.member_by_telegram_id(session, user_id)
        if version != consent_version(shown, community.keep_audio):
            # The information changed since it was shown: show the current text to agree to.
            return [_participant_info(community,
                                      joining_language(member, telegram_language, community))]
        if member is None:
            # A new member is spoken to in the language of the text they agreed to.
            member = Member(telegram_user_id=user_id, chat_id=chat_id, created_at=now,
                            language=shown)
            session.add(member)
            await session.flush()
        t, name = say(member.language), value(member.language, community.name)
        if await repo.membership(session, member.id, community.id):
            return [Out(t.ALREADY_MEMBER.format(community=name))]
        consent = await queries.consent(session, member.id, version)
        if consent is None:
            consent = Consent(member_id=member.id, version=version, language=shown, given_at=now)
            session.add(consent)
            await session.flush()
        await _join(session, member, community, consent)
        return [Out(t.JOINED.format(community=name)), *await _resume(session, member)]


# --- Telling the story ----------------------------------------------------------------------


async def _progress(session: AsyncSession, prompt: Prompt) -> Progress:
    return _progress_of(prompt, await queries.answers_of_prompt(session, prompt.id))


def _progress_of(prompt: Prompt, answered: Answers) -> Progress:
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


async def _context(session: AsyncSession, prompt: Prompt) -> Context:
    # Already in the session where the prompt was read with it (`repo.prompt`): no query then.
    event = await session.get(Event, prompt.event_id)
    assert event is not None
    aspiration = ""
    if prompt.kind != PromptKind.POST_EVENT:
        for n in await queries.narratives_of_story(session, prompt.story_id):
            if n.intended:
                aspiration = n.text
    return Context(event=event.title, aspiration=aspiration)


async def _apply(session: AsyncSession, prompt: Prompt, action: Action, now: dt.datetime,
                 language: str, progress: Progress | None = None,
                 spoken: bool = False, channel: str = AnsweredIn.TELEGRAM) -> list[Out]:
    """Run one action through the engine, in `language`, and persist everything it decided.

    `spoken`: the action's text is the transcript of a voice note the member kept.
    `channel`: where the member is telling it (`AnsweredIn`), kept with what they said.
    """
    qs = load_question_set(prompt.question_set)
    script = script_of(prompt.question_set, prompt.kind, language)
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
            now=now, language=_asked_in(qs, script, q), spoken=spoken,
            first=q.id not in progress.answers, channel=channel,
        )
        ANSWERS_STORED.inc()
    if result.store_choice is not None:
        q = result.store_choice.question
        await queries.save_choice(session, prompt.id, q.id, list(result.store_choice.values))
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


async def apply_action(session: AsyncSession, prompt: Prompt, action: Action, now: dt.datetime,
                       spoken: bool = False) -> list[Out]:
    """Run one action on a prompt the caller has locked, in the caller's unit of work."""
    return await _apply(session, prompt, action, now, await _language_of(session, prompt, None),
                        spoken=spoken)


async def _resume(session: AsyncSession, member: Member, now: dt.datetime | None = None,
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
            event=value(member.language, event.title))))
    return outs + await _apply(session, nxt, Begin(), now or utcnow(), member.language)


async def carry_on(session: AsyncSession, member: Member, now: dt.datetime) -> list[Out]:
    """Where the member is in their open story, asked again (in their language as it is now)."""
    return await _resume(session, member, now)


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
    return await _apply(session, prompt, Begin(), now, await _language_of(session, prompt, language),
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
    said = getattr(t, text).format(event=value(language, event.title),
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
    latest = await queries.latest_finished(session, member.id)
    return (latest is not None and latest.status == PromptStatus.CLOSED
            and latest.finished_at is not None
            and latest.finished_at >= now - dt.timedelta(days=CLOSED_NOTICE_DAYS))


async def act(
    db: Database, user_id: int, chat_id: int, action: Action, *, key: str | None = None,
    prompt_id: int | None = None, now: dt.datetime | None = None,
    telegram_language: str | None = None, channel: str = AnsweredIn.TELEGRAM,
) -> list[Out]:
    """A member did something in the conversation: a message, a button or a command
    (`channel`: in Telegram, or in the terminal of `valuestory try`)."""
    now = now or utcnow()
    try:
        async with db.session() as session:
            # The member, the prompt and what was answered so far, in one read.
            found: tuple[Prompt, Answers] | None
            if prompt_id is not None:
                member, found = await queries.member_with_prompt(session, user_id, prompt_id)
                pending = [found] if found is not None else []
            else:
                member, pending = await queries.member_with_open_prompts(session, user_id)
            if member is None:
                return [Out(say(telegram_language).UNKNOWN_USER)]
            if not await inbox.claim(session, *([key] if key is not None else [])):
                return []  # already acted on: a redelivered update changes nothing
            reached(member, chat_id)
            # What the member is owed is kept with what they sent: a stop before Telegram
            # takes it does not lose it.
            return await inbox.owe(session, chat_id, await _acted(
                session, member, pending, action, now, by_button=prompt_id is not None,
                channel=channel))
    except IntegrityError:
        # Another process handled the same update at the same moment; it has answered.
        return []


async def _acted(session: AsyncSession, member: Member, pending: list[tuple[Prompt, Answers]],
                 action: Action, now: dt.datetime, *, by_button: bool,
                 channel: str = AnsweredIn.TELEGRAM) -> list[Out]:
    t = say(member.language)
    if by_button:
        if not pending:
            return [Out(t.NOT_FOR_YOU)]
        prompt, answered = pending[0]
        if prompt.status != PromptStatus.OPEN:
            over = (t.PROMPT_CLOSED if prompt.status == PromptStatus.CLOSED
                    else t.PROMPT_FINISHED)
            return [Out(over), *await _resume(session, member, now)]
    else:
        if not pending:
            if await closed_lately(session, member, now):
                return [Out(t.PROMPT_CLOSED)]
            return [Out(t.NOTHING_OPEN)]
        prompt, answered = pending[0]
    return await _apply(session, prompt, action, now, member.language,
                        _progress_of(prompt, answered), channel=channel)


async def press(db: Database, user_id: int, chat_id: int, token: str, *, key: str | None = None,
                now: dt.datetime | None = None, telegram_language: str | None = None,
                channel: str = AnsweredIn.TELEGRAM) -> list[Out]:
    """A button was pressed. Tokens we did not make are refused kindly and change nothing."""
    prefix, parts = callbacks.decode(token, maxsplit=1)
    if prefix in (Prefix.AGREE, Prefix.NOT_NOW):
        return await answer_consent(db, user_id, chat_id, token, now, telegram_language)
    prompt_id = parsing.parse_id(parts[0]) if len(parts) == 2 else None
    if prefix is Prefix.PROMPT and prompt_id is not None:
        action = engine.decode_action(parts[1])
        if action is not None:
            return await act(db, user_id, chat_id, action, key=key, prompt_id=prompt_id,
                             now=now, telegram_language=telegram_language, channel=channel)
    return [Out(say(await language_for(db, user_id, telegram_language)).STALE_BUTTON)]


async def unsupported(db: Database, user_id: int, kind: str,
                      telegram_language: str | None = None) -> list[Out]:
    """The kind word for a sticker, photo, voice note...: nothing of it is kept."""
    t = say(await language_for(db, user_id, telegram_language))
    return [Out(t.NOT_SUPPORTED.get(kind, t.NOT_SUPPORTED["other"]))]


async def help_text(db: Database, user_id: int, telegram_language: str | None = None) -> list[Out]:
    """/help: how it works, and where the member is right now."""
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        if member is None:
            t = say(telegram_language)
            return [Out(t.HELP), Out(t.UNKNOWN_USER)]
        t = say(member.language)
        pending = await repo.open_prompts(session, member.id)
        if not pending:
            return [Out(t.HELP)]
        prompt = pending[0]
        if prompt.question_id is None:
            return [Out(t.HELP)]
        script = script_of(prompt.question_set, prompt.kind, member.language)
        progress = await _progress(session, prompt)
        seq = engine.sequence(script, progress.choices)
        current = script.question(prompt.question_id)
        where = ""
        if current in seq:
            total = engine.known_total(script, progress)
            where = (t.HELP_WHERE_SO_FAR.format(index=seq.index(current) + 1) if total is None
                     else t.HELP_WHERE.format(index=seq.index(current) + 1, total=total))
        return [Out(t.HELP + where)]


async def stored_story(db: Database, user_id: int) -> dict[str, list[tuple[str, str]]]:
    """What is stored for a member, by cycle: (question as asked, answer). Plans (answers to an
    intention question) are under `intended`, never their question's cycle, as the matrix counts."""
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        if member is None:
            return {}
        out: dict[str, list[tuple[str, str]]] = {}
        for n in await queries.narratives_of_member(session, member.id):
            out.setdefault(INTENDED if n.intended else n.cycle, []).append(
                (n.question_text, n.text))
        return out


__all__: Sequence[str] = (
    "CONSENT_VERSION", "CONSENT_VERSION_WITH_AUDIO", "IN_TELEGRAM", "IN_TERMINAL", "Out", "act",
    "answer_consent", "carry_on",
    "consent_version", "help_text", "in_case", "opening", "participant_body", "press", "reminder",
    "start", "stored_story", "unsupported",
)
