"""Members' rights: see everything held about them (/mydata) and withdraw (/withdraw).

Front-end neutral like `conversation`: these return `Out` messages and plain text, and the
Telegram adapter only shows them. Withdrawing erases; the audit log keeps that it happened, with
counts, never a copy of what was erased. Replies are in the member's language, and so is the
/mydata file's wording; what the member wrote, and the language of each consent and question,
are recorded as they were.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n
from flows.questions import PromptKind, QuestionSetError, Script, load_question_set
from storage import repositories as repo
from storage.db import Database
from storage.models import AuditEntry, Community, Event, Member, Membership, Prompt, utcnow
from valuestory.usecases import callbacks, inbox, parsing, speaking
from valuestory.usecases.callbacks import Prefix, WithdrawStep
from valuestory.usecases.checking import queries as check_queries
from valuestory.usecases.out import Out
from valuestory.usecases.rights import queries
from valuestory.usecases.times import record_time

WITHDRAW_ALL = "all"


def _token(*parts: object) -> str:
    return callbacks.encode(Prefix.WITHDRAW, *parts)


# --- /mydata --------------------------------------------------------------------------------


def _when(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    if moment is None:
        return "-"
    return record_time(moment, zone.key)


async def my_data_file(db: Database, user_id: int, *,
                       telegram_language: str | None = None) -> list[Out]:
    """/mydata: everything held about the member, as a text file, and each recording kept."""
    language = await speaking.language_for(db, user_id, telegram_language)
    t = speaking.say(language)
    document = await my_data(db, user_id, language=language)
    if document is None:
        return [Out(t.MYDATA_NONE)]
    return [Out(t.MYDATA_READY,
                document=("my-valuestory-data.txt", document.encode("utf-8"))),
            *[Out("", document=(name, audio)) for name, audio in await my_recordings(db, user_id)]]


def recording_name(note_id: int) -> str:
    return f"my-voice-note-{note_id}.ogg"


async def my_recordings(db: Database, user_id: int) -> list[tuple[str, bytes]]:
    """The recordings of the member's voice notes that are kept, as (file name, bytes)."""
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        if member is None:
            return []
        rows = (await session.execute(queries.recordings_of(member.id))).all()
    return [(recording_name(note_id), audio) for note_id, audio in rows if audio is not None]


def _indent(text: str, prefix: str = "      ") -> str:
    return "\n".join(prefix + line for line in text.splitlines() or [""])


def _script(prompt: Prompt, language: str) -> Script | None:
    """The script the prompt's questions come from, in the reader's language where translated."""
    try:
        qs = load_question_set(prompt.question_set)
        kind = PromptKind(prompt.kind)
        return qs.script(kind) if language == i18n.BASE_LANGUAGE else qs.script(kind, language)
    except (QuestionSetError, ValueError, KeyError):
        return None  # a question set no longer installed: its ids are all there is to show


def _label(script: Script | None, question_id: str | None) -> str:
    """A question's short label ("What you gained") in plain words, not its id."""
    q = script.question(question_id) if script is not None and question_id else None
    return q.label if q is not None else str(question_id)


def _picked(script: Script | None, question_id: str, values: Sequence[str]) -> str:
    """The options a member picked, as the buttons read."""
    q = script.question(question_id) if script is not None else None
    options = {o.id: o.label for o in q.options} if q is not None else {}
    return ", ".join(options.get(v, v) for v in values)


def _word(words: dict[str, str], key: str) -> str:
    """A stored status or kind in the reader's language; as stored if the texts lack it."""
    return words.get(key, key)


async def _member(session: AsyncSession, user_id: int | None, member_id: int | None,
                  lock: bool = False) -> Member | None:
    """The member by Telegram id, or by id (on their own page, found by their link)."""
    if member_id is not None:
        return await session.get(Member, member_id, with_for_update=lock)
    assert user_id is not None
    return await repo.member_by_telegram_id(session, user_id, lock=lock)


def _contact(t: i18n.Texts, member: Member, address: str | None, on_page: bool) -> list[str]:
    """How /mydata shows what reaches the member: their Telegram ids and email address to them in
    the chat; on a page, only that each is kept (a member without Telegram has no ids)."""
    if on_page:
        return [*(["  " + t.MYDATA_TELEGRAM_KEPT] if member.telegram_user_id is not None else []),
                *(["  " + t.MYDATA_EMAIL_KEPT] if address is not None else [])]
    return [*(["  " + t.MYDATA_TELEGRAM_ID.format(id=member.telegram_user_id)]
              if member.telegram_user_id is not None else []),
            *(["  " + t.MYDATA_CHAT_ID.format(id=member.chat_id)]
              if member.chat_id is not None else []),
            *(["  " + t.MYDATA_EMAIL.format(address=address)] if address is not None else [])]


async def my_data(db: Database, user_id: int | None, now: dt.datetime | None = None, *,
                  language: str = i18n.BASE_LANGUAGE, member_id: int | None = None,
                  on_page: bool = False) -> str | None:
    """Everything stored about a member as a readable text document in `language`, or None if nothing is.

    The member's own words, titles and names are as they were written; the labels around them
    are in `language`. `member_id` finds them by id instead (their page). `on_page`: for a page
    reached by a link, which says what contact data is kept but shows no id and no address.
    """
    now = now or utcnow()
    t = speaking.say(language)

    def yes_no(flag: bool) -> str:
        return t.MYDATA_YES if flag else t.MYDATA_NO

    async with db.session() as session:
        member = await _member(session, user_id, member_id)
        if member is None:
            return None
        consents = (await session.scalars(queries.consents_of(member.id))).all()
        memberships = await repo.memberships_of(session, member.id)
        communities = {m.community_id: await session.get(Community, m.community_id)
                       for m in memberships}
        first_zone = ZoneInfo(next((c.timezone for c in communities.values() if c), "UTC"))
        lines = [
            t.MYDATA_TITLE,
            t.MYDATA_PREPARED.format(when=_when(now, first_zone)),
            "",
            t.MYDATA_ABOUT_YOU,
            *_contact(t, member, await session.scalar(queries.email_of(member.id)), on_page),
            "  " + t.MYDATA_FIRST_JOINED.format(when=_when(member.created_at, first_zone)),
            "  " + t.MYDATA_PAUSED_EVERYWHERE.format(answer=yes_no(member.paused)),
            "  " + t.MYDATA_LANGUAGE.format(language=member.language),
            "  " + t.MYDATA_NO_NAME,
            "",
            t.MYDATA_CONSENT,
        ]
        lines += ["  " + t.MYDATA_AGREED.format(version=c.version, language=c.language,
                                               when=_when(c.given_at, first_zone))
                  for c in consents] or ["  " + t.MYDATA_NONE_YET]
        for m in memberships:
            community = communities[m.community_id]
            assert community is not None
            zone = ZoneInfo(community.timezone)
            lines += [
                "",
                t.MYDATA_COMMUNITY.format(community=community.name),
                "  " + t.MYDATA_PSEUDONYM.format(pseudonym=m.pseudonym),
                "  " + t.MYDATA_JOINED.format(when=_when(m.joined_at, zone)),
                "  " + t.MYDATA_PAUSED.format(answer=yes_no(m.paused)),
            ]
            prompts = (await session.scalars(queries.prompts_in(member.id, community.id))).all()
            if not prompts:
                lines.append("  " + t.MYDATA_NO_QUESTIONS)
            for p in prompts:
                event = await session.get(Event, p.event_id)
                assert event is not None
                script = _script(p, language)
                lines += [
                    "",
                    f"  {event.title} ({_when(event.starts_at, zone)})",
                    "    " + t.MYDATA_ASKED.format(
                        kind=_word(t.MYDATA_PROMPT_KINDS, p.kind),
                        status=_word(t.MYDATA_PROMPT_STATUS, p.status),
                        due=_when(p.due_at, zone), finished=_when(p.finished_at, zone)),
                ]
                if p.attended is not None:
                    lines.append("    " + t.MYDATA_ATTENDED.format(answer=yes_no(p.attended)))
                for c in (await session.scalars(queries.choices_of_prompt(p.id))).all():
                    lines.append("    " + t.MYDATA_CHOICE.format(
                        question=_label(script, c.question_id),
                        values=_picked(script, c.question_id, c.values)))
                for n in (await session.scalars(queries.narratives_of_prompt(p.id))).all():
                    # A plan is named as one, as the matrix counts it, not as applied value.
                    label = (t.MATRIX_PLANNED if n.intended
                             else _word(t.CYCLE_SHORT, n.cycle)) + (
                        f", {_word(t.CAPITALS, n.capital)}" if n.capital else "")
                    given = _when(n.answered_at, zone)
                    answer = (t.MYDATA_ANSWER_REVISED.format(version=n.version, when=given,
                                                             revised=_when(n.revised_at, zone))
                              if n.revised_at else t.MYDATA_ANSWER.format(version=n.version,
                                                                          when=given))
                    lines += [
                        "    " + t.MYDATA_QUESTION.format(label=label, question=n.question_text),
                        "    " + t.MYDATA_ASKED_IN.format(language=n.language),
                        "    " + answer,
                        _indent(n.text),
                    ]
                    for r in (await session.scalars(queries.revisions(n.id))).all():
                        lines += [
                            "    " + t.MYDATA_EARLIER.format(version=r.version,
                                                             written=_when(r.written_at, zone),
                                                             replaced=_when(r.replaced_at, zone)),
                            _indent(r.text),
                        ]
                for v in (await session.execute(queries.voice_notes_of_prompt(p.id))).all():
                    note_id, question_id, status, seconds, received, transcript, has_audio = v
                    recording = (t.MYDATA_RECORDING_KEPT.format(file=recording_name(note_id))
                                 if has_audio else t.MYDATA_RECORDING_NOT_KEPT)
                    said = dict(question=_label(script, question_id), when=_when(received, zone),
                                status=_word(t.MYDATA_VOICE_STATUS, status), recording=recording)
                    lines.append("    " + (t.MYDATA_VOICE_NOTE.format(**said) if seconds is None
                                           else t.MYDATA_VOICE_NOTE_TIMED.format(seconds=seconds,
                                                                                 **said)))
                    if transcript and status != "kept":
                        lines.append(_indent(transcript))
            # What they said of the matrix's statements (the members' check), and their sentences.
            shown = None
            for check_id, shared, status, statement, answer, sentence in \
                    await check_queries.of_member(session, member.id, community.id):
                if check_id != shown:
                    shown = check_id
                    lines += ["", "  " + t.MYDATA_CHECK.format(
                        when=_when(shared, zone), status=_word(t.MYDATA_CHECK_STATUS, status))]
                lines.append("    " + t.MYDATA_CHECK_ANSWER.format(
                    statement=statement,
                    answer=_word(t.MYDATA_CHECK_ANSWERS, answer or "unanswered")))
                if sentence:
                    lines.append(_indent(sentence))
        lines += ["", t.MYDATA_ERASE, ""]
    return "\n".join(lines)


# --- /withdraw ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erased:
    pseudonym: str
    community: str
    narratives: int
    revisions: int
    choices: int
    prompts: int
    deliveries: int
    voice_notes: int = 0


async def _erase_membership(session: AsyncSession, member: Member, membership: Membership,
                            community: Community, now: dt.datetime) -> Erased:
    counts = {kind: int(await session.scalar(query) or 0)
              for kind, query in queries.counted(member.id, community.id).items()}
    erased = Erased(pseudonym=membership.pseudonym, community=community.name, **counts)
    for statement in queries.erasing_answers(member.id, community.id):
        await session.execute(statement)
    # What they said of the matrix's statements (and its sentences) goes too: counts follow.
    checks = await check_queries.erase(session, member.id, community.id)
    for statement in queries.erasing_prompts(member.id, membership.id, community.id):
        await session.execute(statement)
    session.add(AuditEntry(
        at=now, actor=f"member {membership.pseudonym}", action="withdraw",
        community_id=community.id,
        details={"pseudonym": erased.pseudonym, "narratives": erased.narratives,
                 "revisions": erased.revisions, "choices": erased.choices,
                 "prompts": erased.prompts, "deliveries": erased.deliveries,
                 "voice_notes": erased.voice_notes, "checks": checks},
    ))
    return erased


async def withdraw(db: Database, user_id: int | None, community_id: int | None,
                   now: dt.datetime | None = None, *,
                   member_id: int | None = None) -> list[Erased] | None:
    """Erase a member from one community (or all); their identity goes when none is left.

    None when there was nothing to withdraw from (already gone, or not a member there).
    `member_id` finds them by id instead (their page); their links and address go with them.
    """
    now = now or utcnow()
    async with db.session() as session:
        member = await _member(session, user_id, member_id, lock=True)
        if member is None:
            return None
        memberships = list(await repo.memberships_of(session, member.id))
        chosen = [m for m in memberships if community_id is None or m.community_id == community_id]
        if not chosen:
            return None
        done = []
        for m in chosen:
            community = await session.get(Community, m.community_id)
            assert community is not None
            done.append(await _erase_membership(session, member, m, community, now))
        if len(chosen) == len(memberships):
            # Leaving every community: nothing may be left that says they were ever here.
            chat_id = member.chat_id
            handled = None if chat_id is None else inbox.messages_of_chat(chat_id)
            for statement in queries.erasing_member(member.id, chat_id, handled):
                await session.execute(statement)
        return done


async def withdraw_start(db: Database, user_id: int, *,
                         telegram_language: str | None = None) -> list[Out]:
    """/withdraw: what would be erased, and buttons to confirm (or choose where from)."""
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        language = speaking.joining_language(member, telegram_language, None)
        t = speaking.say(language)
        if member is None:
            return [Out(t.WITHDRAW_NOTHING)]
        memberships = await repo.memberships_of(session, member.id)
        names = []
        for m in memberships:
            c = await session.get(Community, m.community_id)
            assert c is not None
            names.append((c.id, c.name))
    if not names:
        return [Out(t.WITHDRAW_NOTHING)]
    if len(names) == 1:
        return [_confirm(language, str(names[0][0]), names[0][1])]
    rows = tuple(((name, _token(WithdrawStep.CHOOSE, cid)),) for cid, name in names)
    return [Out(t.WITHDRAW_CHOOSE, (*rows, ((t.BTN_WITHDRAW_ALL, _token(WithdrawStep.CHOOSE, WITHDRAW_ALL)),),
                                    ((t.BTN_WITHDRAW_KEEP, _token(WithdrawStep.NO)),)))]


def _confirm(language: str, target: str, name: str | None) -> Out:
    t = speaking.say(language)
    where = t.WITHDRAW_EVERYWHERE if name is None else speaking.value(language, name)
    return Out(t.WITHDRAW_CONFIRM.format(where=where),
               (((t.BTN_WITHDRAW_YES, _token(WithdrawStep.YES, target)),
                 (t.BTN_WITHDRAW_KEEP, _token(WithdrawStep.NO))),))


async def withdraw_press(db: Database, user_id: int, token: str,
                         now: dt.datetime | None = None, *,
                         telegram_language: str | None = None) -> list[Out]:
    """A button under /withdraw. Checked against what is stored, never trusted."""
    language = await speaking.language_for(db, user_id, telegram_language)
    t: i18n.Texts = speaking.say(language)
    prefix, parts = callbacks.decode(token)
    if prefix is Prefix.WITHDRAW and parts == [WithdrawStep.NO]:
        return [Out(t.WITHDRAW_KEPT)]
    if prefix is not Prefix.WITHDRAW or len(parts) != 2 or parts[0] not in (
            WithdrawStep.CHOOSE, WithdrawStep.YES) or not (
            parts[1] == WITHDRAW_ALL or parsing.parse_id(parts[1]) is not None):
        return [Out(t.STALE_BUTTON)]
    step, target = parts[0], parts[1]
    community_id = None if target == WITHDRAW_ALL else parsing.parse_id(target)
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        ids: Sequence[int] = [m.community_id for m in await repo.memberships_of(session, member.id)
                              ] if member else []
        name = None
        if community_id is not None:
            c = await session.get(Community, community_id)
            name = c.name if c else None
    if not ids:
        return [Out(t.WITHDRAW_NOTHING)]
    if community_id is not None and community_id not in ids:
        return [Out(t.WITHDRAW_NOT_THERE)]
    if step == WithdrawStep.CHOOSE:
        return [_confirm(language, target, name)]
    erased = await withdraw(db, user_id, community_id, now)
    if not erased:
        return [Out(t.WITHDRAW_NOTHING)]
    if community_id is None or len(ids) == 1:
        return [Out(t.WITHDRAWN_ALL)]
    return [Out(t.WITHDRAWN_ONE.format(community=speaking.value(language, erased[0].community)))]


__all__ = ["Erased", "my_data", "withdraw", "withdraw_press", "withdraw_start"]
