"""A member's story on a page of their own: what the page shows, and what its form sent.

The same engine, question set, rules and unit of work as the chat: a form's buttons carry the
engine's own action tokens (`engine.encode_action`), what was sent goes through `queries.apply` as a
message and a tap would in Telegram, and every answer is committed before the page is shown
again. A page's text box holds the whole answer, so what it sends replaces the answer (a new
version, as a member's corrected message does), never adds to it. Narratives told here are
`AnsweredIn.WEB`. Reading the page changes nothing: a story not begun yet is shown as the engine
would begin it, and begun for real by the first thing the member sends.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from flows import engine
from flows.engine import Begin, Choose, Context, Continue, Next, Progress, Skip, Text
from flows.i18n import Texts
from flows.questions import Question, QuestionKind, Script, load_question_set
from storage.db import Database
from storage.models import AnsweredIn, Consent, Prompt, PromptStatus, utcnow
from valuestory.usecases.conversation import _join, consent_version, participant_body, queries
from valuestory.usecases.conversation.queries import Answers
from valuestory.usecases.speaking import say, value

# A story finished this recently is recapped on the page; after that the page simply says
# there is nothing to answer.
RECAP_FOR = dt.timedelta(days=1)


@dataclass(frozen=True)
class Button:
    label: str
    token: str  # the engine's action token, as a button in Telegram carries it
    picked: bool = False  # an option already chosen (several may be, where several may be)


@dataclass(frozen=True)
class Asking:
    """The question the member is on, ready to show. Texts are HTML as the engine says them
    (the member's and the convener's words escaped)."""

    prompt_id: int
    event: str
    intro: str  # the story's introduction, before its first question; else ""
    position: str  # "2 of 6"
    question: str
    question_id: str
    kind: str  # "text", "choice" or "multi"
    hint: str
    answer: str  # a text question's answer so far
    options: tuple[Button, ...]
    controls: tuple[Button, ...]  # the first is the one a text box sends with
    held: str | None = None  # after Later: what was said, with Carry on as the only control
    held_message: str | None = None  # sent in the chat after Later: Keep it or not


@dataclass(frozen=True)
class Told:
    """A story just finished: what the member said, grouped by cycle, or how it ended."""

    said: str
    recap: str


@dataclass(frozen=True)
class Joining:
    """The participant information of the community a link invites its member into."""

    community_id: int
    information: str
    version: str
    language: str


Screen = Asking | Told | None


def _buttons(reply: engine.Reply, kind: QuestionKind) -> tuple[tuple[Button, ...], tuple[Button, ...]]:
    options, controls = [], []
    for row in reply.buttons:
        for b in row:
            token = engine.encode_action(b.action)
            if isinstance(b.action, Choose):
                picked = kind is QuestionKind.MULTI and b.label.startswith("✓ ")
                options.append(Button(b.label.removeprefix("✓ ") if picked else b.label, token,
                                      picked))
            else:
                controls.append(Button(b.label, token))
    return tuple(options), tuple(controls)


async def on_page(db: Database, member_id: int, now: dt.datetime | None = None) -> Screen:
    """What the member's page shows: the question they are on, a story just finished, or None
    when there is nothing to answer."""
    now = now or utcnow()
    # Only read, outside the writers' turn: a page shown waits for nobody's answer.
    async with db.reading() as conn, AsyncSession(bind=conn) as session:
        member, pending = await queries.member_by_id_with_open_prompts(session, member_id,
                                                                       lock=False)
        if member is None:
            return None
        if not pending:
            latest = await queries.latest_finished(session, member_id)
            if latest is None:
                return None
            return told(member.language, _plain(latest, "", ""), latest.status,
                        latest.finished_at, await queries.answers_of_prompt(session, latest.id),
                        now)
        prompt, answered = pending[0]
        ctx = await queries.context_of(session, prompt)
    return showing(member.language, _plain(prompt, prompt.event.title, ctx.aspiration), answered)


def _plain(prompt: Prompt, event_title: str, aspiration: str) -> OpenPrompt:
    return OpenPrompt(prompt.id, prompt.kind, prompt.question_set, prompt.question_id,
                      prompt.fresh, prompt.held, prompt.held_message, prompt.attended,
                      event_title, aspiration)


@dataclass(frozen=True)
class OpenPrompt:
    """What the page needs of the prompt a member answers first, read as plain values."""

    id: int
    kind: str
    question_set: str
    question_id: str | None
    fresh: bool
    held: bool
    held_message: str | None
    attended: bool | None
    event_title: str
    aspiration: str  # a follow-up's plan, as the story's intended answer says it; else ""


def told(language: str, prompt: OpenPrompt, status: str, finished_at: dt.datetime | None,
         answered: Answers, now: dt.datetime) -> Told | None:
    """What the page shows of the member's latest finished story, read as plain values: its
    recap for a day after it was told, then nothing."""
    if (finished_at is None or finished_at < now - RECAP_FOR
            or status not in (PromptStatus.COMPLETED, PromptStatus.STOPPED)):
        return None
    t = say(language)
    script = queries.script_of(prompt.question_set, prompt.kind, language)
    progress = queries.progress_of(prompt, answered)  # type: ignore[arg-type]
    if status == PromptStatus.STOPPED:
        return Told(t.STOPPED if progress.answers else t.STOPPED_NOTHING,
                    engine.recap(script, progress) if progress.answers else "")
    return Told("", engine.recap(script, progress))


def showing(language: str, prompt: OpenPrompt, answered: Answers) -> Asking:
    """The question a member is on, from their open prompt and what they said so far: no
    database, so a page that read them in one statement shows them without another."""
    t = say(language)
    script = queries.script_of(prompt.question_set, prompt.kind, language)
    ctx = Context(event=prompt.event_title, aspiration=prompt.aspiration)
    progress = queries.progress_of(prompt, answered)  # type: ignore[arg-type]
    event = value(language, prompt.event_title)
    current = script.question(progress.question_id or "")
    intro = ""
    if current is None or current not in engine.sequence(script, progress.choices):
        # Not begun: shown as the engine would begin it; begun by what the member sends.
        progress = engine.step(script, progress, Begin(), ctx).progress
        intro = engine.render(script.intro, ctx, script)
    q = script.question(progress.question_id or "")
    assert q is not None
    if progress.held and progress.held_message is None:
        return Asking(prompt.id, event, "", engine.position(t, script, progress, q),
                      engine.render(q.text, ctx, script), q.id, q.kind.value, "", "", (),
                      (Button(t.BTN_CONTINUE, engine.encode_action(Continue())),), held=t.LATER)
    reply = engine.ask(script, replace(progress, held=False), ctx)
    options, controls = _buttons(reply, q.kind)
    hint = {QuestionKind.TEXT: t.ASK_TEXT_HINT, QuestionKind.MULTI: t.ASK_MULTI_HINT}.get(q.kind, "")
    if q.kind is QuestionKind.TEXT and progress.held_message is None:
        # The text box's own button sends what it holds, then moves on, as Next does.
        send = Button(t.BTN_NEXT, engine.encode_action(Next(q.id)))
        controls = (send, *(c for c in controls if c.token != send.token))
    return Asking(prompt.id, event, intro, engine.position(t, script, progress, q),
                  engine.render(q.text, ctx, script), q.id, q.kind.value, hint,
                  progress.answers.get(q.id, ""), options, controls,
                  held_message=progress.held_message)


@dataclass(frozen=True)
class Sent:
    """What came of a form: nothing to say (it went through), or what to say and why not."""

    problem: str = ""


# The prompt's place after an action: what `_decide` runs each action through.
Run = Callable[[engine.Action, Progress], Awaitable[Progress]]


async def _decide(script: Script, progress: Progress, action: engine.Action, text: str | None,
                  t: Texts, run: Run) -> Sent:
    """What a form sent means, as actions run in turn through `run`: the one place its rules
    live, whether the actions are then stored as plain statements or through `queries.apply`."""
    current = script.question(progress.question_id or "")
    if current is None or current not in engine.sequence(script, progress.choices):
        progress = await run(Begin(), progress)  # the page showed it begun: begin it
    elif progress.held and not isinstance(action, Continue | engine.Stop):
        progress = await run(Continue(), progress)  # back from Later, on another button
    current = script.question(progress.question_id or "")
    wrote = (text or "").strip()
    if (current is not None and current.kind is QuestionKind.TEXT and isinstance(action, Next)
            and progress.held_message is None and action.question_id == current.id):
        if wrote and wrote != progress.answers.get(current.id, ""):
            # The box holds the whole answer: a new version of it, never more of it.
            if (await run(Text(wrote), replace(progress, fresh=True))).fresh:
                return Sent(t.TOO_LONG)  # not taken (too long): say why, move nowhere
            progress = replace(progress, fresh=False,
                               answers={**progress.answers, current.id: wrote})
        elif not wrote and current.id not in progress.answers:
            action = Skip(current.id) if current.skippable else action
    await run(action, progress)
    return Sent()


def _read(rows: Sequence[Sequence[Any]]) -> tuple[OpenPrompt, str, Answers]:
    """The prompt, its status and what was answered so far, from `queries.prompt_by_link`."""
    first = rows[0]
    said: dict[str, str] = {}
    chosen: dict[str, tuple[str, ...]] = {}
    for row in rows:
        kind, question_id, value = row[15:18]
        if kind == "n":
            said[question_id] = value
        elif kind == "c":
            chosen[question_id] = tuple(json.loads(value))
    prompt = OpenPrompt(first[1], first[2], first[3], first[4], bool(first[5]), bool(first[6]),
                        first[7], None if first[8] is None else bool(first[8]), first[9],
                        first[10] or "")
    return prompt, first[11], (said, chosen)


async def send_by_link(db: Database, link: str, token_hash: str, prompt_id: int, token: str,
                       text: str | None = None, now: dt.datetime | None = None
                       ) -> tuple[Sequence[Any] | None, Sent]:
    """A form sent from the page of the member whose personal link `link` (a statement) finds
    by its token's hash: the button pressed (an engine action token) and, for a text question,
    what the box held. Committed before it returns.

    The link is read with the member and the prompt, locked, in the one statement that begins
    the unit of work (`queries.prompt_by_link`): no read of the link before it. The engine
    decides, and what it decided is written as plain statements (`queries.write_on_page`); a
    new version of an answer, or a story finished (which begins the next), go through
    `queries.apply` instead, in the same unit of work.
    The link's row (its 7 columns; None: no such link) and what came of the form; nothing is
    done for a revoked link."""
    now = now or utcnow()
    async with db.driver_work() as conn:
        rows = await queries.prompt_by_link(conn, link, token_hash, prompt_id)
        if not rows or rows[0][3] is not None:
            return (rows[0][:7] if rows else None), Sent()
        return rows[0][:7], await _sent_on_page(conn, rows[0][1], prompt_id,
                                                [row[7:] for row in rows], token, text, now)


async def _sent_on_page(conn: AsyncConnection, member_id: int, prompt_id: int,
                        rows: Sequence[Sequence[Any]], token: str, text: str | None,
                        now: dt.datetime) -> Sent:
    """A form sent from the page, in the caller's unit of work, from the rows of its read as
    `queries.prompt_by_link` gives them after the link's columns."""
    if not rows or rows[0][0] is None:
        return Sent("gone")
    action = engine.decode_action(token)
    language = rows[0][0]
    t = say(language)
    if rows[0][1] is None:
        return Sent(t.NOT_FOR_YOU)
    shown, status, answered = _read(rows)
    if status != PromptStatus.OPEN:
        return Sent(t.PROMPT_CLOSED if status == PromptStatus.CLOSED else t.PROMPT_FINISHED)
    if action is None:
        return Sent(t.STALE_BUTTON)
    script = queries.script_of(shown.question_set, shown.kind, language)
    ctx = Context(event=shown.event_title, aspiration=shown.aspiration)
    steps: list[tuple[Progress, engine.Step]] = []

    async def decided(act: engine.Action, progress: Progress) -> Progress:
        step = engine.step(script, progress, act, ctx)
        steps.append((progress, step))
        return replace(progress, question_id=step.progress.question_id,
                       fresh=step.progress.fresh, held=step.progress.held,
                       held_message=step.progress.held_message)

    sent = await _decide(script, queries.progress_of(shown, answered),  # type: ignore[arg-type]
                         action, text, t, decided)
    plain = _plainly(shown, steps)
    if plain is None:
        async with AsyncSession(bind=conn, expire_on_commit=False) as session:
            sent = await _send_in(session, member_id, prompt_id, action, text, now)
            await session.flush()
        return sent
    told, chosen, step = plain
    fields = None
    if told is not None:
        fields = {**queries.answer_fields(load_question_set(shown.question_set), script,
                                          told[0], ctx),
                  "text": told[1], "channel": AnsweredIn.WEB, "member_id": member_id,
                  "community_id": rows[0][12], "event_id": rows[0][13],
                  "story_id": rows[0][14]}
    await queries.write_on_page(conn, prompt_id, now, told=fields, chosen=chosen, step=step)
    if fields is not None:
        queries.ANSWERS_STORED.inc()
    return sent


def _plainly(shown: OpenPrompt, steps: list[tuple[Progress, engine.Step]]
             ) -> tuple[tuple[Question, str] | None, tuple[str, tuple[str, ...]] | None,
                        dict[str, Any] | None] | None:
    """What the steps decided, as `queries.write_on_page` writes it: the first answer to a
    question, a choice, and where the prompt is now (None where it did not move). None where
    they decided more than that (a new version of an answer, more of one, two of either, or a
    story finished): those go through `queries.apply`."""
    told: tuple[Question, str] | None = None
    chosen: tuple[str, tuple[str, ...]] | None = None
    attended = shown.attended
    for given, step in steps:
        if step.finished:
            return None
        if step.store_text is not None:
            q = step.store_text.question
            if told is not None or step.store_text.append or q.id in given.answers:
                return None
            told = (q, step.store_text.text)
        if step.store_choice is not None:
            if chosen is not None:
                return None
            chosen = (step.store_choice.question.id, step.store_choice.values)
            if chosen[0] == "attended":
                attended = "yes" in chosen[1]
    if not steps:
        return told, chosen, None
    last = steps[-1][1].progress
    place = {"question_id": last.question_id, "fresh": last.fresh, "held": last.held,
             "held_message": last.held_message, "attended": attended}
    before = {"question_id": shown.question_id, "fresh": shown.fresh, "held": shown.held,
              "held_message": shown.held_message, "attended": shown.attended}
    return told, chosen, place if place != before else None


async def _send_in(session: AsyncSession, member_id: int, prompt_id: int,
                   action: engine.Action, text: str | None, now: dt.datetime) -> Sent:
    """A form sent from the page, through the ORM and `queries.apply`, in the caller's unit of work."""
    member, found = await queries.member_by_id_with_prompt(session, member_id, prompt_id)
    if member is None:
        return Sent("gone")
    t = say(member.language)
    if found is None:
        return Sent(t.NOT_FOR_YOU)
    prompt, answered = found
    if prompt.status != PromptStatus.OPEN:
        return Sent(t.PROMPT_CLOSED if prompt.status == PromptStatus.CLOSED
                    else t.PROMPT_FINISHED)
    language = member.language
    script = queries.script_of(prompt.question_set, prompt.kind, language)

    async def run(act: engine.Action, progress: Progress) -> Progress:
        await queries.apply(session, prompt, act, now, language, progress, channel=AnsweredIn.WEB)
        return replace(progress, question_id=prompt.question_id, fresh=prompt.fresh,
                       held=prompt.held, held_message=prompt.held_message)

    return await _decide(script, queries.progress_of(prompt, answered), action, text, t, run)


async def joining(db: Database, member_id: int, community_id: int) -> Joining | None:
    """The participant information a link shows before its member joins its community, in the
    member's language; None once they are part of it (or it is gone)."""
    async with db.session() as session:
        member, _ = await queries.member_by_id_with_open_prompts(session, member_id)
        community = await queries.community_by_id(session, community_id)
        if member is None or community is None:
            return None
        if await queries.membership_of(session, member_id, community_id):
            return None
        language = member.language
        t = say(language)
        info = t.PARTICIPANT_INFO_WITH_AUDIO if community.keep_audio else t.PARTICIPANT_INFO
        return Joining(community.id, info.format(community=value(language, community.name)),
                       consent_version(language, community.keep_audio), language)


async def agree_on_page(db: Database, member_id: int, community_id: int, version: str,
                        language: str, now: dt.datetime | None = None) -> bool:
    """The member agreed, on their page, to the participant information of `version` shown in
    `language`: recorded as in Telegram, and they join. False if the text changed meanwhile
    (the page shows the current one again)."""
    now = now or utcnow()
    async with db.session() as session:
        member, _ = await queries.member_by_id_with_open_prompts(session, member_id)
        community = await queries.community_by_id(session, community_id)
        if member is None or community is None:
            return False
        if version != consent_version(language, community.keep_audio):
            return False
        if await queries.membership_of(session, member_id, community_id):
            return True
        consent = await queries.consent(session, member_id, version)
        if consent is None:
            consent = Consent(member_id=member_id, version=version, language=language,
                              given_at=now)
            session.add(consent)
            await session.flush()
        await _join(session, member, community, consent)
        return True


__all__ = ("Asking", "Button", "Joining", "OpenPrompt", "Screen", "Sent", "Told", "agree_on_page",
           "joining", "on_page", "participant_body", "send_by_link", "showing",
           "told")
