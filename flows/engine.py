"""The conversation engine: given where a member is and what they did, say what to store and ask.

A pure function of (script, progress, action, context). It never touches a database or Telegram;
the caller persists `Step.progress` and what `Step.store_text` / `Step.store_choice` say, in one
transaction, then sends `Step.replies`. A script loaded in a language (`.script(kind, language=...)`)
is spoken in it, with the member's values isolated; one loaded without reads exactly as before.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from flows import i18n, texts
from flows.questions import Question, QuestionKind, Script

MAX_MESSAGE_CHARS = 4096  # Telegram's own limit for one text message.
MAX_ANSWER_CHARS = 20_000  # An answer built from several messages stops growing here.
RECAP_ANSWER_CHARS = 160


# --- Actions: what a member did -------------------------------------------------------------


@dataclass(frozen=True)
class Begin:
    """Show the introduction and the first question (or where they are, if already started)."""


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Choose:
    question_id: str
    option_id: str


@dataclass(frozen=True)
class Done:
    question_id: str


@dataclass(frozen=True)
class Next:
    question_id: str | None = None  # None: whatever question is current (typed commands)


@dataclass(frozen=True)
class Skip:
    question_id: str | None = None


@dataclass(frozen=True)
class Back:
    question_id: str | None = None


@dataclass(frozen=True)
class Later:
    pass


@dataclass(frozen=True)
class Continue:
    pass


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Keep:
    """Keep the message sent during a break (after Later) as the answer to the current question."""

    question_id: str | None = None


@dataclass(frozen=True)
class Discard:
    """Leave out the message sent during a break, and ask the question again."""

    question_id: str | None = None


@dataclass(frozen=True)
class Where:
    """Tell the member where they are (after /help), changing nothing."""


Action = (Begin | Text | Choose | Done | Next | Skip | Back | Later | Continue | Stop | Keep
          | Discard | Where)


# Typed commands that do what the buttons do.
COMMANDS: dict[str, Action] = {
    "next": Next(),
    "skip": Skip(),
    "back": Back(),
    "later": Later(),
    "continue": Continue(),
    "stop": Stop(),
}


def encode_action(action: Action) -> str:
    """A compact token for a button; at most a few dozen bytes."""
    match action:
        case Choose(q, o):
            return f"o|{q}|{o}"
        case Done(q):
            return f"d|{q}"
        case Next(q):
            return f"n|{q or ''}"
        case Skip(q):
            return f"s|{q or ''}"
        case Back(q):
            return f"b|{q or ''}"
        case Later():
            return "l"
        case Continue():
            return "c"
        case Stop():
            return "x"
        case Keep(q):
            return f"hk|{q or ''}"
        case Discard(q):
            return f"hn|{q or ''}"
    raise ValueError(f"{action!r} is not a button action")


def decode_action(token: str) -> Action | None:
    """The action a button token stands for, or None if it is not one we made."""
    parts = token.split("|")
    try:
        match parts:
            case ["o", q, o] if q and o:
                return Choose(q, o)
            case ["d", q] if q:
                return Done(q)
            case ["n", q]:
                return Next(q or None)
            case ["s", q]:
                return Skip(q or None)
            case ["b", q]:
                return Back(q or None)
            case ["l"]:
                return Later()
            case ["c"]:
                return Continue()
            case ["x"]:
                return Stop()
            case ["hk", q]:
                return Keep(q or None)
            case ["hn", q]:
                return Discard(q or None)
    except ValueError:
        return None
    return None


# --- State and results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """Where a member is in a prompt. Rebuilt from the database for every update."""

    question_id: str | None = None
    # True until the member sends something after the current question was (re)asked: the first
    # message then starts a new version of the answer, later ones add to it.
    fresh: bool = True
    held: bool = False
    # A message sent while held: never an answer until the member says Keep.
    held_message: str | None = None
    answers: Mapping[str, str] = field(default_factory=dict)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Context:
    event: str
    aspiration: str = ""


@dataclass(frozen=True)
class Button:
    label: str
    action: Action


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    # Replace the buttons of the message whose button was pressed, instead of sending a new one.
    edit: bool = False


@dataclass(frozen=True)
class StoreText:
    question: Question
    text: str
    append: bool  # add to the answer given since the question was asked; else a new version


@dataclass(frozen=True)
class StoreChoice:
    question: Question
    values: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    progress: Progress
    replies: tuple[Reply, ...] = ()
    store_text: StoreText | None = None
    store_choice: StoreChoice | None = None
    finished: str | None = None  # "completed", "stopped", or an option's outcome


# --- The engine -----------------------------------------------------------------------------


def sequence(script: Script, choices: Mapping[str, tuple[str, ...]]) -> list[Question]:
    """The questions this member will be asked, given the choices made so far."""
    out: list[Question] = []
    for q in script.questions:
        if q.ask_if and q.ask_if.option_id not in choices.get(q.ask_if.question_id, ()):
            continue
        out.append(q)
        if q.kind is QuestionKind.CHOICE:
            chosen = q.option(next(iter(choices.get(q.id, ())), ""))
            if chosen and chosen.ends:
                break
    return out


def known_total(script: Script, progress: Progress) -> int | None:
    """How many questions this member will be asked, or None while it is not known yet.

    A question that decides which others are asked (the kinds of capital) settles the count only
    once the member is past it; until then a total would grow under them ("5 questions", then
    "5 of 8"), so none is given.
    """
    seq = sequence(script, progress.choices)
    deciding = {q.ask_if.question_id for q in script.questions if q.ask_if}
    current = script.question(progress.question_id or "")
    at = seq.index(current) if current in seq else 0
    if any(q.id in deciding for q in seq[at:]):
        return None
    return len(seq)


def position(say: Any, script: Script, progress: Progress, q: Question) -> str:
    """"3 of 7" once the total is known, else "Question 3"."""
    index = sequence(script, progress.choices).index(q) + 1
    total = known_total(script, replace(progress, question_id=q.id))
    if total is None:
        return str(say.PROGRESS_SO_FAR.format(index=index))
    return str(say.PROGRESS.format(index=index, total=total))


def _say(script: Script) -> Any:
    """The texts in the script's language (English for a script without one), in the wording of
    the front end that is speaking."""
    return texts.In(script.language or i18n.BASE_LANGUAGE)


def _value(script: Script, value: str) -> str:
    """A member's or convener's words, escaped, and isolated once the script has a language."""
    escaped = html.escape(value)
    return i18n.isolate(escaped) if script.language else escaped


def render(template: str, ctx: Context, script: Script | None = None) -> str:
    if script is None:
        return template.format(event=html.escape(ctx.event), aspiration=html.escape(ctx.aspiration))
    return template.format(event=_value(script, ctx.event), aspiration=_value(script, ctx.aspiration))


def trim(text: str, limit: int) -> str:
    """Shorten at a sentence or word boundary, never mid-word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for mark in (". ", "! ", "? "):
        at = cut.rfind(mark)
        if at >= limit // 2:
            return cut[: at + 1]
    at = cut.rfind(" ")
    return (cut[:at] if at > 0 else cut).rstrip(",;:") + "…"


def _controls(say: Any, seq: list[Question], q: Question, progress: Progress) -> list[tuple[Button, ...]]:
    first = seq.index(q) == 0
    row: list[Button] = []
    answered = q.id in progress.answers
    if q.kind is QuestionKind.TEXT:
        if answered:
            row.append(Button(say.BTN_NEXT, Next(q.id)))
        elif q.skippable:
            row.append(Button(say.BTN_SKIP, Skip(q.id)))
    elif q.kind is QuestionKind.MULTI:
        row.append(Button(say.BTN_DONE, Done(q.id)))
    elif q.skippable:
        row.append(Button(say.BTN_SKIP, Skip(q.id)))
    if not first:
        row.append(Button(say.BTN_BACK, Back(q.id)))
    return [tuple(row), (Button(say.BTN_LATER, Later()), Button(say.BTN_STOP, Stop()))]


def _option_rows(q: Question, progress: Progress) -> list[tuple[Button, ...]]:
    chosen = progress.choices.get(q.id, ())
    rows: list[tuple[Button, ...]] = []
    for o in q.options:
        mark = "✓ " if q.kind is QuestionKind.MULTI and o.id in chosen else ""
        rows.append((Button(mark + o.label, Choose(q.id, o.id)),))
    return rows


def _keyboard(script: Script, seq: list[Question], q: Question,
              progress: Progress) -> tuple[tuple[Button, ...], ...]:
    return tuple(_option_rows(q, progress) + _controls(_say(script), seq, q, progress))


def ask(script: Script, progress: Progress, ctx: Context, lead: str = "") -> Reply:
    """The current question, with its progress line and buttons."""
    seq = sequence(script, progress.choices)
    q = script.question(progress.question_id or "")
    if q is None or q not in seq:
        raise ValueError(f"question {progress.question_id!r} is not in the current sequence")
    say = _say(script)
    parts = [lead] if lead else []
    parts.append(position(say, script, progress, q))
    parts.append(render(q.text, ctx, script))
    if q.kind is QuestionKind.TEXT and progress.held_message is not None:
        parts.append(say.KEEP_HELD.format(message=_value(script, trim(progress.held_message, 600))))
        return Reply("\n\n".join(parts), ((Button(say.BTN_KEEP, Keep(q.id)),
                                            Button(say.BTN_DISCARD, Discard(q.id))),))
    if q.kind is QuestionKind.TEXT and q.id in progress.answers and progress.fresh:
        parts.append(say.REVISE.format(answer=_value(script, trim(progress.answers[q.id], 600))))
    elif q.kind is QuestionKind.TEXT:
        parts.append(f"<i>{say.ASK_TEXT_HINT}</i>")
    elif q.kind is QuestionKind.MULTI:
        parts.append(f"<i>{say.ASK_MULTI_HINT}</i>")
    return Reply("\n\n".join(parts), _keyboard(script, seq, q, progress))


def recap(script: Script, progress: Progress) -> str:
    """What the member said, grouped by value cycle, in the order they were asked."""
    lines: list[str] = []
    by_cycle: dict[str, list[str]] = {}
    for q in sequence(script, progress.choices):
        answer = progress.answers.get(q.id)
        if q.kind is QuestionKind.TEXT and answer and q.cycle:
            by_cycle.setdefault(q.cycle.value, []).append(
                f"• {html.escape(q.label)}: {_value(script, trim(answer, RECAP_ANSWER_CHARS))}"
            )
    say = _say(script)
    if not by_cycle:
        return say.RECAP_NOTHING
    lines.append(say.THANKS)
    for cycle, items in by_cycle.items():
        lines.append(f"\n<b>{say.CYCLE_NAMES[cycle]}</b>")
        lines.extend(items)
    return "\n".join(lines)


def _move_to(script: Script, progress: Progress, ctx: Context, q: Question | None,
             lead: str = "") -> Step:
    if q is None:
        return Step(replace(progress, question_id=None, fresh=True, held=False, held_message=None),
                    (Reply(recap(script, progress)),), finished="completed")
    moved = replace(progress, question_id=q.id, fresh=True, held=False, held_message=None)
    return Step(moved, (ask(script, moved, ctx, lead),))


def _after(seq: list[Question], q: Question) -> Question | None:
    at = seq.index(q)
    return seq[at + 1] if at + 1 < len(seq) else None


def _take_text(script: Script, seq: list[Question], progress: Progress, current: Question,
               text: str) -> Step:
    """A message that answers the current text question: a new version, or more of the answer."""
    text = text.strip()
    if not text:
        return Step(progress)
    say = _say(script)
    if len(text) > MAX_MESSAGE_CHARS:
        return Step(progress, (Reply(say.TOO_LONG),))
    append = not progress.fresh and current.id in progress.answers
    combined = f"{progress.answers[current.id]}\n\n{text}" if append else text
    if len(combined) > MAX_ANSWER_CHARS:
        return Step(progress, (Reply(say.ANSWER_FULL, _keyboard(script, seq, current, progress)),))
    answers = {**progress.answers, current.id: combined}
    moved = replace(progress, fresh=False, held=False, answers=answers)
    reply = Reply(say.ACK_MORE if append else say.ACK_FIRST, _keyboard(script, seq, current, moved))
    return Step(moved, (reply,), store_text=StoreText(current, text, append))


def step(script: Script, progress: Progress, action: Action, ctx: Context) -> Step:
    """Decide what one member action means: what to store, what to say, where they are now."""
    seq = sequence(script, progress.choices)
    current = script.question(progress.question_id or "")
    if current is None or current not in seq:
        # Not started yet (or the question set changed under us): begin at the first question
        # that still needs an answer, whatever the member sent.
        first = next((q for q in seq if q.kind is QuestionKind.TEXT or q.id not in progress.choices),
                     seq[0])
        say = _say(script)
        total = known_total(script, replace(progress, question_id=first.id))
        intro = (say.INTRO.format(intro=render(script.intro, ctx, script),
                                  questions=say.plural(total, "question"),
                                  minutes=say.plural(script.minutes, "minute"))
                 if total is not None else
                 say.INTRO_SO_FAR.format(intro=render(script.intro, ctx, script),
                                         minutes=say.plural(script.minutes, "minute")))
        return _move_to(script, progress, ctx, first, lead=intro)

    say = _say(script)
    stale = getattr(action, "question_id", None)
    if stale is not None and stale != current.id:
        return Step(progress, (ask(script, progress, ctx, lead=say.STALE_BUTTON),))
    if isinstance(action, Keep | Discard) and progress.held_message is None:
        return Step(progress, (ask(script, progress, ctx, lead=say.STALE_BUTTON),))
    if progress.held_message is not None and not isinstance(
            action, Keep | Discard | Text | Begin | Where | Continue):
        # Moving on without saying Keep leaves the message out: it never was an answer.
        progress = replace(progress, held_message=None)

    match action:
        case Begin() | Where():
            lead = say.WELCOME_BACK if isinstance(action, Begin) else ""
            return Step(progress, (ask(script, progress, ctx, lead=lead),))

        case Continue():
            resumed = replace(progress, held=False)
            return Step(resumed, (ask(script, resumed, ctx, lead=say.WELCOME_BACK),))

        case Later():
            return Step(replace(progress, held=True),
                        (Reply(say.LATER, ((Button(say.BTN_CONTINUE, Continue()),),)),))

        case Stop():
            return Step(replace(progress, held=False, held_message=None),
                        (Reply(say.STOPPED if progress.answers else say.STOPPED_NOTHING),),
                        finished="stopped")

        case Text(text) if progress.held and current.kind is not QuestionKind.TEXT:
            resumed = replace(progress, held=False)
            return Step(resumed, (ask(script, resumed, ctx, lead=say.WELCOME_BACK),))

        case Text(text) if current.kind is not QuestionKind.TEXT:
            return Step(progress, (ask(script, progress, ctx, lead=say.PLEASE_TAP),))

        case Text(text) if progress.held or progress.held_message is not None:
            # After a break a message may be anything ("hello?"): bring the member back to the
            # question and ask before it becomes an answer. More messages join the held one.
            text = text.strip()
            if not text:
                return Step(progress)
            if len(text) > MAX_MESSAGE_CHARS:
                return Step(progress, (Reply(say.TOO_LONG),))
            held = (f"{progress.held_message}\n\n{text}" if progress.held_message is not None
                    else text)
            if len(held) > MAX_ANSWER_CHARS:
                return Step(progress, (ask(script, progress, ctx, lead=say.ANSWER_FULL),))
            lead = say.WELCOME_BACK if progress.held else ""
            moved = replace(progress, held=False, held_message=held)
            return Step(moved, (ask(script, moved, ctx, lead=lead),))

        case Text(text):
            return _take_text(script, seq, progress, current, text)

        case Keep():
            assert progress.held_message is not None
            result = _take_text(script, seq, replace(progress, held_message=None), current,
                                progress.held_message)
            if result.store_text is None:  # too long to add: keep asking, nothing lost
                return replace(result, progress=progress)
            return result

        case Discard():
            moved = replace(progress, held_message=None)
            return Step(moved, (ask(script, moved, ctx, lead=say.HELD_DISCARDED),))

        case Choose(_, option_id):
            option = current.option(option_id)
            if option is None or current.kind is QuestionKind.TEXT:
                return Step(progress, (ask(script, progress, ctx, lead=say.STALE_BUTTON),))
            if current.kind is QuestionKind.MULTI:
                chosen = progress.choices.get(current.id, ())
                values = (tuple(v for v in chosen if v != option_id) if option_id in chosen
                          else (*chosen, option_id))
                # Keep the options' own order, whatever order they were tapped in.
                values = tuple(o.id for o in current.options if o.id in values)
                moved = replace(progress, choices={**progress.choices, current.id: values})
                return Step(moved, (Reply("", _keyboard(script, seq, current, moved), edit=True),),
                            store_choice=StoreChoice(current, values))
            moved = replace(progress, choices={**progress.choices, current.id: (option_id,)})
            if option.ends:
                return Step(replace(moved, question_id=None), (Reply(say.NOT_ATTENDED),),
                            store_choice=StoreChoice(current, (option_id,)), finished=option.ends)
            after = _after(sequence(script, moved.choices), current)
            result = _move_to(script, moved, ctx, after)
            return replace(result, store_choice=StoreChoice(current, (option_id,)))

        case Done() | Next() | Skip():
            if isinstance(action, Skip) and not current.skippable:
                return Step(progress, (ask(script, progress, ctx),))
            return _move_to(script, progress, ctx, _after(seq, current))

        case Back():
            at = seq.index(current)
            if at == 0:
                return Step(progress, (ask(script, progress, ctx, lead=say.AT_FIRST_QUESTION),))
            return _move_to(script, progress, ctx, seq[at - 1])

    raise AssertionError(f"unhandled action {action!r}")  # pragma: no cover
