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

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from flows import engine, i18n, texts
from flows.engine import Action
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    AnsweredIn,
    Community,
    Consent,
    Member,
    Membership,
    Prompt,
    PromptStatus,
    utcnow,
)
from valuestory.usecases import callbacks, parsing
from valuestory.usecases.callbacks import Prefix
from valuestory.usecases.conversation import queries
from valuestory.usecases.conversation.queries import Answers
from valuestory.usecases.inbox import queries as inbox_queries
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
# Where a story is told, as a front end names it to `act` and `press`.
IN_TELEGRAM, IN_TERMINAL = AnsweredIn.TELEGRAM, AnsweredIn.TERMINAL

log = logging.getLogger(__name__)

def new_pseudonym() -> str:
    return "P-" + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(4))


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
            return [Out(t.START_MEMBER), *await queries.resume(session, member)]
        community = await queries.community_by_invite(session, code)
        if community is None:
            return [Out(say(joining_language(member, telegram_language, None)).BAD_INVITE)]
        language = joining_language(member, telegram_language, community)
        if member is not None:
            t, name = say(language), value(language, community.name)
            if await repo.membership(session, member.id, community.id):
                return [Out(t.ALREADY_MEMBER.format(community=name)),
                        *await queries.resume(session, member)]
            # Reused only if this very text, in this language, was agreed to before.
            consent = await queries.consent(session, member.id,
                                         consent_version(language, community.keep_audio))
            if consent is not None:
                await _join(session, member, community, consent)
                return [Out(t.JOINED.format(community=name)), *await queries.resume(session, member)]
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
        return [Out(t.JOINED.format(community=name)), *await queries.resume(session, member)]


# --- Telling the story ----------------------------------------------------------------------


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
            if not await inbox_queries.claim(session, *([key] if key is not None else [])):
                return []  # already acted on: a redelivered update changes nothing
            reached(member, chat_id)
            # What the member is owed is kept with what they sent: a stop before Telegram
            # takes it does not lose it.
            return await inbox_queries.owe(session, chat_id, await _acted(
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
            return [Out(over), *await queries.resume(session, member, now)]
    else:
        if not pending:
            if await queries.closed_lately(session, member, now):
                return [Out(t.PROMPT_CLOSED)]
            return [Out(t.NOTHING_OPEN)]
        prompt, answered = pending[0]
    return await queries.apply(session, prompt, action, now, member.language,
                        queries.progress_of(prompt, answered), channel=channel)


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
        script = queries.script_of(prompt.question_set, prompt.kind, member.language)
        progress = await queries.read_progress(session, prompt)
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
    "answer_consent", "consent_version", "help_text", "participant_body", "press", "start",
    "stored_story", "unsupported",
)
