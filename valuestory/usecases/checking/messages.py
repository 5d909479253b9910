"""What a member is shown in a check: the opening, each statement with its buttons, the end.

The framing and the buttons are in the member's language; a statement is the conveners' own
words, shown as written (escaped, and isolated in a language that is not English). The
scheduler opens a check with `opening`; each answer's reply comes from `where_now`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from valuestory.usecases import callbacks
from valuestory.usecases.callbacks import Prefix
from valuestory.usecases.checking import queries
from valuestory.usecases.out import Out
from valuestory.usecases.speaking import say, value


class Answer(StrEnum):
    """The buttons under a statement, and Next under the offer to add a sentence."""

    TRUE = "t"  # Rings true
    NOT = "n"  # Not for me
    SKIP = "s"
    NEXT = "x"  # no sentence: on to the next statement


STORED = {Answer.TRUE: queries.AGREED, Answer.NOT: queries.DISAGREED, Answer.SKIP: queries.SKIPPED}


def token(answer_id: int, answer: Answer) -> str:
    return callbacks.encode(Prefix.CHECK, answer_id, answer.value)


def statement(language: str, row: Any, index: int, total: int) -> Out:
    """One statement, its place and its cycle, under the three buttons."""
    t = say(language)
    answer_id, _, cycle, words = row
    text = t.CHECK_STATEMENT.format(cycle=t.CYCLE_NAMES.get(cycle, cycle), index=index,
                                    total=total, statement=value(language, words))
    return Out(text, (((t.BTN_RINGS_TRUE, token(answer_id, Answer.TRUE)),
                       (t.BTN_NOT_FOR_ME, token(answer_id, Answer.NOT))),
                      ((t.BTN_SKIP, token(answer_id, Answer.SKIP)),)))


def next_of(rows: Sequence[Any], language: str) -> list[Out]:
    """The first statement not answered yet, or nothing when every one is."""
    for index, row in enumerate(rows, start=1):
        if row[1] is None:
            return [statement(language, row, index, len(rows))]
    return []


def opening(language: str, community: str, rows: Sequence[Any]) -> list[Out]:
    """The check's first message, as the scheduler sends it: a short intro, then the first
    statement still to answer (`rows`: `queries.statements`)."""
    t = say(language)
    intro = t.CHECK_INTRO.format(community=value(language, community),
                                 statements=t.plural(len(rows), "statement"))
    return [Out(intro), *next_of(rows, language)]


def where_now(language: str, rows: Sequence[Any]) -> list[Out]:
    """The next statement to answer; or, with none left, the thanks (the check is then done)."""
    return next_of(rows, language) or [Out(say(language).CHECK_THANKS)]
