"""The members' check on a member's own page (`/answer/<link>/check`): the doors its page calls.

A member asked by email answers here what a member in Telegram answers with buttons: one
statement at a time, Rings true, Not for me or Skip, with a sentence if they like, sent with the
answer in one form. Each answer is stored as Telegram's is (the same rows, the same values, the
check done once every statement is answered), so the indicators' counts cannot tell the two
apart. A statement already answered, or a check closed since the page was shown, changes
nothing: the page then shows where the member is now.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from storage.db import Database
from storage.models import CheckStatus, utcnow
from valuestory.usecases import web_answers
from valuestory.usecases.checking import queries
from valuestory.usecases.checking.messages import STORED, Answer
from valuestory.usecases.speaking import say, value

log = logging.getLogger(__name__)

# What a sentence may hold: as in Telegram, a message's worth.
SENTENCE_CHARS = 4000
CHOICES = {a.value: a for a in (Answer.TRUE, Answer.NOT, Answer.SKIP)}


@dataclass(frozen=True)
class Statement:
    """The statement to answer now: its place and cycle, the conveners' words (as HTML with
    the words escaped, as the engine says things), and the first one's introduction."""

    answer_id: int
    shown: str  # `CHECK_STATEMENT`: cycle, place, and the statement
    intro: str | None  # the check's introduction, before its first statement only


@dataclass(frozen=True)
class CheckPage:
    """What the page shows, in the member's language: a statement, or a sentence saying why
    there is none (thanks, closed, or nothing asked)."""

    language: str
    statement: Statement | None = None
    said: str = ""
    community: str = ""  # the community the statement is about, as its conveners named it


async def page(db: Database, token: str, now: dt.datetime | None = None
               ) -> CheckPage | web_answers.Refused:
    """/answer/<token>/check: the first statement of the member's open check still to answer."""
    who = await web_answers.visitor(db, token, now)
    if isinstance(who, web_answers.Refused):
        return who
    t = say(who.language)
    async with db.session() as session:
        found = await queries.open_of_member(session, who.member_id)
        if found is None:
            status = await queries.latest_status(session, who.member_id)
            said = {CheckStatus.DONE.value: t.CHECK_THANKS,
                    CheckStatus.CLOSED.value: t.CHECK_CLOSED}.get(status or "", t.WEB_CHECK_NONE)
            return CheckPage(who.language, said=said)
        check, community = found
        rows = await queries.statements(session, check.id)
    for index, (answer_id, answer, cycle, words) in enumerate(rows, start=1):
        if answer is None:
            shown = t.CHECK_STATEMENT.format(cycle=t.CYCLE_NAMES.get(cycle, cycle), index=index,
                                             total=len(rows),
                                             statement=value(who.language, words))
            intro = None if index > 1 else t.CHECK_INTRO.format(
                community=value(who.language, community),
                statements=t.plural(len(rows), "statement"))
            return CheckPage(who.language, Statement(answer_id, shown, intro),
                             community=community)
    return CheckPage(who.language, said=t.CHECK_THANKS)  # pragma: no cover (done as answered)


async def answer(db: Database, token: str, answer_id: str, choice: str, sentence: str | None,
                 now: dt.datetime | None = None) -> web_answers.Refused | None:
    """A statement answered on the page: Rings true, Not for me (each with the sentence the box
    held, if any) or Skip. Stored as Telegram's answer is; nothing else changes."""
    now = now or utcnow()
    who = await web_answers.visitor(db, token, now)
    if isinstance(who, web_answers.Refused):
        return who
    picked = CHOICES.get(choice)
    if picked is None or not answer_id.isdigit():
        return None
    async with db.session() as session:
        found = await queries.answer_for(session, int(answer_id), who.member_id)
        if found is None:
            return None
        row, check = found
        if check.status != CheckStatus.OPEN or row.answer is not None:
            return None  # closed, finished, or answered already (a form sent twice)
        row.answer, row.answered_at = STORED[picked], now
        words = (sentence or "").strip()[:SENTENCE_CHARS]
        if words and picked is not Answer.SKIP:
            row.sentence = f"{row.sentence}\n{words}" if row.sentence else words
        check.waiting_id = None
        await session.flush()
        if all(r[1] is not None for r in await queries.statements(session, check.id)):
            check.status, check.finished_at = CheckStatus.DONE, now
    log.info("a member answered a statement of their check on their page")
    return None
