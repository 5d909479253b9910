"""Value indicators on SQLite and PostgreSQL: their counts are read from their evidence and follow
it when a member withdraws; plans never back what members did; every change is logged with a
label, never a Telegram id; retired and merged indicators leave the matrix and can come back."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from flows.questions import PromptKind
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    Community,
    Event,
    IndicatorChange,
    IndicatorEvidence,
    Narrative,
    utcnow,
)
from tests import seed
from valuestory.usecases import indicators, rights
from valuestory.usecases.indicators import COMMAND_LINE, Caller

CONVENER = 880
RESEARCHER = 881
STRANGER = 882


async def _say(db: Database, user_id: int, event: Event, answers: list[tuple[str, str, str | None,
               bool, str]], kind: PromptKind = PromptKind.POST_EVENT) -> list[int]:
    """A member's answers to one prompt, saved as the conversation saves them: (question id,
    cycle, capital, intended, text). The narratives' ids."""
    ids = []
    prompt = await seed.open_prompt(db, user_id, event, kind)
    async with db.session() as session:
        for question, cycle, capital, intended, text in answers:
            n = await repo.save_answer(session, prompt, question_id=question,
                                       question_text=f"About {question}?", cycle=cycle,
                                       capital=capital, intended=intended, text=text,
                                       append=False, now=utcnow())
            await session.flush()
            ids.append(n.id)
    return ids


async def _community(db: Database) -> tuple[Community, dict[str, list[int]]]:
    """Three members (Telegram ids 501, 502, 503) of one community, each with a story about one
    event: a moment, an insight (human capital) and a plan; 502 also reports what they did."""
    c = await seed.community(db, "Indicators")
    now = utcnow()
    e = await seed.event(db, c, "Clinic huddle")
    await seed.grant(db, CONVENER, "convener", c)
    await seed.grant(db, RESEARCHER, "researcher", c)
    said: dict[str, list[int]] = {}
    for uid in (501, 502, 503):
        await seed.member(db, c, uid, joined=now - dt.timedelta(days=30))
        said[str(uid)] = await _say(db, uid, e, [
            ("moment", "immediate", None, False, f"{uid}: felt safe asking"),
            ("insight", "potential", "human", False, f"{uid}: more confident"),
            ("intention", "applied", None, True, f"{uid}: plan to try it")])
    said["502done"] = await _say(db, 502, e, [("did", "applied", None, False, "502: did it")],
                                 PromptKind.FOLLOWUP_APPLIED)
    return c, said


async def test_counts_come_from_evidence_and_follow_it_when_a_member_withdraws(
        db: Database) -> None:
    c, said = await _community(db)
    safe = await indicators.add(db, COMMAND_LINE, c.name, "immediate",
                                "It's a safe space to ask questions",
                                evidence=",".join(str(said[u][0]) for u in ("501", "502", "503")))
    assert (safe.narratives, safe.stories, safe.members) == (3, 3, 3)
    confident = await indicators.add(
        db, COMMAND_LINE, c.name, "potential", "Members have more confidence", capital="human",
        evidence=[said["501"][1], said["501"][2], said["502"][1]])
    # Ana's insight and her plan are one story: 3 narratives, 2 stories, 2 members.
    assert (confident.narratives, confident.stories, confident.members) == (3, 2, 2)
    assert confident.capital == "human"
    await indicators.set_quotes(db, COMMAND_LINE, c.name, confident.id, [said["501"][1]])

    assert await rights.withdraw(db, 501, c.id) is not None

    after = {v.id: v for v in await indicators.listing(db, c.name)}
    assert (after[safe.id].narratives, after[safe.id].stories, after[safe.id].members) == (2, 2, 2)
    assert (after[confident.id].narratives, after[confident.id].stories,
            after[confident.id].members) == (1, 1, 1)
    assert after[confident.id].quotes == ()  # the quote went with its narrative
    assert after[safe.id].check == indicators.Check(0, 0, 0)
    async with db.session() as session:
        gone = await session.scalar(select(func.count()).select_from(IndicatorEvidence).where(
            IndicatorEvidence.narrative_id.in_(said["501"])))
    assert gone == 0


async def test_a_link_goes_with_its_narrative_in_the_schema(db: Database) -> None:
    c, said = await _community(db)
    made = await indicators.add(db, COMMAND_LINE, c.name, "immediate", "Safe",
                                evidence=[said["503"][0]])
    async with db.session() as session:
        await session.execute(delete(Narrative).where(Narrative.id == said["503"][0]))
    async with db.session() as session:
        left = await session.scalar(select(func.count()).select_from(IndicatorEvidence).where(
            IndicatorEvidence.indicator_id == made.id))
    assert left == 0


async def test_a_plan_never_backs_what_members_did(db: Database) -> None:
    c, said = await _community(db)
    with pytest.raises(indicators.IndicatorError, match="is a plan"):
        await indicators.add(db, COMMAND_LINE, c.name, "applied", "Members changed how they work",
                             evidence=[said["501"][2]])
    did = await indicators.add(db, COMMAND_LINE, c.name, "applied",
                               "Members changed how they work", evidence=said["502done"])
    assert did.narratives == 1
    with pytest.raises(indicators.IndicatorError, match="is a plan"):
        await indicators.link(db, COMMAND_LINE, c.name, did.id, [said["502"][2]])
    hoped = await indicators.add(db, COMMAND_LINE, c.name, "potential", "Members mean to act",
                                 evidence=[said["502"][2]])
    with pytest.raises(indicators.IndicatorError, match="is a plan"):
        await indicators.edit(db, COMMAND_LINE, c.name, hoped.id, cycle="applied")


@pytest.mark.parametrize(("cycle", "capital", "statement", "evidence", "problem"), [
    ("someday", None, "Safe", "", "is not a cycle"),
    ("immediate", "human", "Safe", "", "under potential value only"),
    ("potential", "money", "Safe", "", "is not a capital"),
    ("immediate", None, "   ", "", "write the indicator's statement"),
    ("immediate", None, "x" * 301, "", "under 300 characters"),
    ("immediate", None, "Safe", "12,abc", "'abc' is not a narrative id"),
    ("immediate", None, "Safe", "999999", "no narrative 999999"),
])
async def test_bad_input_is_refused_saying_what_to_fix(
        db: Database, cycle: str, capital: str | None, statement: str, evidence: str,
        problem: str) -> None:
    c, _ = await _community(db)
    with pytest.raises(indicators.IndicatorError, match=problem):
        await indicators.add(db, COMMAND_LINE, c.name, cycle, statement, capital, evidence)
    assert await indicators.listing(db, c.name) == []


async def test_merge_retire_restore_and_order_keep_the_evidence_and_the_log(db: Database) -> None:
    c, said = await _community(db)
    convener = Caller(CONVENER)
    a = await indicators.add(db, convener, c.id, "immediate", "Safe to ask",
                             evidence=[said["501"][0], said["502"][0]])
    b = await indicators.add(db, convener, c.id, "immediate", "A safe space",
                             evidence=[said["502"][0], said["503"][0]])
    d = await indicators.add(db, Caller(RESEARCHER), c.id, "immediate", "Members enjoy it")
    assert [v.id for v in await indicators.listing(db, c.id, convener)] == [a.id, b.id, d.id]

    await indicators.move(db, convener, c.id, d.id, -1)
    assert [v.id for v in await indicators.listing(db, c.id, convener)] == [a.id, d.id, b.id]

    merged = await indicators.merge(db, convener, c.id, a.id, b.id)
    assert merged.id == b.id and (merged.narratives, merged.members) == (3, 3)
    assert [v.id for v in await indicators.listing(db, c.id, convener)] == [d.id, b.id]

    await indicators.retire(db, convener, c.id, d.id)
    assert [v.id for v in await indicators.listing(db, c.id, convener)] == [b.id]
    back = await indicators.restore(db, convener, c.id, d.id)
    assert back.status == "active"
    assert [v.id for v in await indicators.listing(db, c.id, convener)] == [b.id, d.id]

    edited = await indicators.edit(db, convener, c.id, b.id, statement="It's a safe space")
    assert edited.statement == "It's a safe space"

    log = (await indicators.detail(db, convener, c.id, b.id)).changes
    assert [ch.action for ch in log] == ["edited", "merged", "linked", "created"]
    assert log[0].details == {"statement": {"from": "A safe space", "to": "It's a safe space"}}
    async with db.session() as session:
        actors = set((await session.scalars(select(IndicatorChange.actor))).all())
    assert actors == {"convener grant #1", "researcher grant #2"}
    assert not any(str(uid) in a for a in actors for uid in (CONVENER, RESEARCHER))


async def test_a_member_who_convenes_is_logged_by_pseudonym_and_a_stranger_sees_nothing(
        db: Database) -> None:
    c, _ = await _community(db)
    await seed.grant(db, 503, "convener", c)
    made = await indicators.add(db, Caller(503), c.id, "immediate", "Safe")
    detail = await indicators.detail(db, Caller(503), c.id, made.id)
    assert detail.changes[0].actor.startswith("convener ")
    assert "503" not in detail.changes[0].actor
    for door in (indicators.listing(db, c.id, Caller(STRANGER)),
                 indicators.add(db, Caller(STRANGER), c.id, "immediate", "Mine"),
                 indicators.retire(db, Caller(STRANGER), c.id, made.id)):
        with pytest.raises(indicators.Unknown):
            await door
    other = await seed.community(db, "Elsewhere")
    with pytest.raises(indicators.Unknown):  # an indicator of another community is not there
        await indicators.retire(db, COMMAND_LINE, other.name, made.id)


async def test_quotes_are_one_or_two_of_the_evidence_with_pseudonyms(db: Database) -> None:
    c, said = await _community(db)
    made = await indicators.add(db, COMMAND_LINE, c.name, "immediate", "Safe",
                                evidence=[said[u][0] for u in ("501", "502", "503")])
    with pytest.raises(indicators.IndicatorError, match="at most 2"):
        await indicators.set_quotes(db, COMMAND_LINE, c.name, made.id,
                                    [said[u][0] for u in ("501", "502", "503")])
    with pytest.raises(indicators.IndicatorError, match="not evidence"):
        await indicators.set_quotes(db, COMMAND_LINE, c.name, made.id, [said["501"][1]])
    quoted = await indicators.set_quotes(db, COMMAND_LINE, c.name, made.id,
                                         [said["502"][0], said["503"][0]])
    assert [q.text for q in quoted.quotes] == ["502: felt safe asking", "503: felt safe asking"]
    assert all(len(q.pseudonym) >= 4 and "50" not in q.pseudonym for q in quoted.quotes)
    fewer = await indicators.unlink(db, COMMAND_LINE, c.name, made.id, [said["502"][0]])
    assert [q.text for q in fewer.quotes] == ["503: felt safe asking"]
    assert fewer.narratives == 2


async def test_examples_are_offered_in_the_communitys_language_until_adopted(
        db: Database) -> None:
    c, _ = await _community(db)
    english = indicators.suggestions("en")
    assert {s.cycle for s in english} == set(indicators.CYCLES)
    spanish = {s.key: s.statement for s in indicators.suggestions("es")}
    assert spanish["safe_space"] != next(s.statement for s in english if s.key == "safe_space")
    async with db.session() as session:
        found = await session.get(Community, c.id)
        assert found is not None
        found.language = "es"
    adopted = await indicators.adopt(db, Caller(CONVENER), c.id, "confidence")
    assert adopted.statement == spanish["confidence"] and adopted.capital == "human"
    with pytest.raises(indicators.IndicatorError, match="already"):
        await indicators.adopt(db, Caller(CONVENER), c.id, "confidence")
    left = await indicators.offered(db, c.id, Caller(CONVENER))
    assert "confidence" not in {s.key for s in left} and len(left) == len(english) - 1
    log = (await indicators.detail(db, Caller(CONVENER), c.id, adopted.id)).changes
    assert [ch.action for ch in log] == ["adopted"]


async def test_an_example_left_is_not_offered_again_and_can_still_be_adopted(
        db: Database) -> None:
    c, _ = await _community(db)
    every = len(indicators.suggestions("en"))
    left = await indicators.leave(db, Caller(CONVENER), c.id, "saved_time")
    assert left.key == "saved_time"
    await indicators.leave(db, Caller(CONVENER), c.id, "saved_time")  # twice is once
    board = await indicators.board(db, c.id, Caller(CONVENER))
    assert [s.key for s in board.left] == ["saved_time"] and len(board.offered) == every - 1
    assert "saved_time" not in {s.key for s in await indicators.offered(db, c.name)}
    with pytest.raises(indicators.IndicatorError, match="not one of the examples"):
        await indicators.leave(db, COMMAND_LINE, c.name, "nonsense")
    with pytest.raises(indicators.Unknown):
        await indicators.leave(db, Caller(STRANGER), c.id, "enjoyed")
    adopted = await indicators.adopt(db, Caller(CONVENER), c.id, "saved_time")
    assert adopted.cycle == "realised"
    board = await indicators.board(db, c.id, Caller(CONVENER))
    assert board.left == [] and len(board.offered) == every - 1
