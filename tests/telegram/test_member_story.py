"""A member joins, consents, and tells their story in Telegram, end to end."""

from __future__ import annotations

from sqlalchemy import select

from flows import texts
from storage.models import Choice, Consent, Member, Membership, Narrative, NarrativeRevision, Prompt
from tests import seed
from tests.harness import Harness


async def test_member_joins_through_invite_link_and_tells_story_by_cycle(harness: Harness) -> None:
    community = await seed.community(harness.db)
    event = await seed.event(harness.db, community)
    alex = harness.person(501, first_name="Alex", username="alex_rn")

    replies = await alex.say(f"/start {community.invite_code}")
    assert "Joining Diabetes in Pregnancy" in replies[0]
    assert "pseudonym" in replies[0] and "/withdraw" in replies[0]
    assert alex.last.buttons() == [texts.BTN_AGREE, texts.BTN_NOT_NOW]

    replies = await alex.tap(texts.BTN_AGREE)
    assert "Welcome to Diabetes in Pregnancy" in replies[-1]

    prompt = await seed.open_prompt(harness.db, alex, event)
    replies = await alex.say("/continue")
    assert "Winter Learning Session" in replies[0]
    assert "About 5 minutes" in replies[0]
    assert "Question 1" in replies[0]
    await alex.tap(seed.THERE)
    assert "Question 2" in alex.last.text and seed.asked("immediate.moment") in alex.last.text

    await alex.say("The midwife's case about insulin timing.")
    await alex.say("And hearing how another team runs their clinic.")
    replies = await alex.tap(texts.BTN_NEXT)
    assert "Question 3" in replies[-1]
    await alex.tap(texts.BTN_SKIP)
    await alex.tap(seed.CONNECTION)
    await alex.tap(seed.INSIGHT)
    replies = await alex.tap(texts.BTN_DONE)
    assert seed.asked("potential.human") in replies[-1] and "5 of 7" in replies[-1]
    await alex.say("How to read a CGM trace with the patient.")
    await alex.tap(texts.BTN_NEXT)
    await alex.say("A dietitian from the next trust.")
    await alex.tap(texts.BTN_NEXT)
    await alex.say("Try the shared clinic template next month.")
    replies = await alex.tap(texts.BTN_NEXT)

    recap = replies[-1]
    assert texts.THANKS in recap
    assert texts.CYCLE_NAMES["immediate"] in recap and "insulin timing" in recap
    assert texts.CYCLE_NAMES["potential"] in recap and "CGM trace" in recap
    assert texts.CYCLE_NAMES["applied"] in recap and "shared clinic template" in recap

    async with harness.db.session() as s:
        stored = (await s.scalars(select(Narrative).order_by(Narrative.id))).all()
        done = await s.get(Prompt, prompt.id)
        choices = {c.question_id: c.values for c in (await s.scalars(select(Choice))).all()}
    assert [(n.question_id, n.cycle, n.capital) for n in stored] == [
        ("immediate.moment", "immediate", None),
        ("potential.human", "potential", "human"),
        ("potential.social", "potential", "social"),
        ("applied.intention", "applied", None),
    ]
    assert stored[0].text == (
        "The midwife's case about insulin timing.\n\nAnd hearing how another team runs their clinic."
    )
    assert stored[0].question_text == seed.asked("immediate.moment")
    assert all(n.story_id == prompt.story_id and n.event_id == event.id for n in stored)
    assert stored[3].intended is True
    assert done is not None and done.status == "completed" and done.attended is True
    assert choices == {"attended": ["yes"], "potential.capitals": ["human", "social"]}


async def test_member_who_says_not_now_leaves_nothing_behind(harness: Harness) -> None:
    community = await seed.community(harness.db)
    sam = harness.person(502)
    await sam.say(f"/start {community.invite_code}")
    replies = await sam.tap(texts.BTN_NOT_NOW)
    assert texts.NOT_NOW in replies[-1]
    replies = await sam.say("Here is my story anyway")
    assert texts.UNKNOWN_USER in replies[-1]
    async with harness.db.session() as s:
        assert (await s.scalars(select(Member))).all() == []
        assert (await s.scalars(select(Narrative))).all() == []


async def test_consent_is_reused_for_a_second_community_when_the_text_is_unchanged(
    harness: Harness,
) -> None:
    first = await seed.community(harness.db, "Diabetes in Pregnancy")
    second = await seed.community(harness.db, "Frailty Network")
    kim = harness.person(503)
    await seed.join(kim, first)
    replies = await kim.say(f"/start {second.invite_code}")
    assert "Welcome to Frailty Network" in replies[0]
    async with harness.db.session() as s:
        assert len((await s.scalars(select(Consent))).all()) == 1
        pseudonyms = (await s.scalars(select(Membership.pseudonym))).all()
    assert len(pseudonyms) == 2 and all(p.startswith("P-") for p in pseudonyms)


async def test_member_goes_back_and_revises_previous_answer_and_old_version_is_kept(
    harness: Harness,
) -> None:
    lee, _ = await seed.member_with_open_prompt(harness, 504)
    await lee.say("First thought")
    await lee.tap(texts.BTN_NEXT)
    replies = await lee.tap(texts.BTN_BACK)
    assert texts.REVISE.format(answer="First thought") in replies[-1]
    await lee.say("A better thought")
    replies = await lee.tap(texts.BTN_NEXT)
    assert "Question 3" in replies[-1]
    async with harness.db.session() as s:
        narrative = (await s.scalars(select(Narrative))).one()
        old = (await s.scalars(select(NarrativeRevision))).all()
    assert narrative.text == "A better thought" and narrative.version == 2
    assert narrative.revised_at is not None
    assert [r.text for r in old] == ["First thought"]


async def test_member_says_later_and_resumes_where_they_left_off_after_a_restart(
    harness: Harness,
) -> None:
    jo, _ = await seed.member_with_open_prompt(harness, 505)
    await jo.say("Half a thought")
    replies = await jo.tap(texts.BTN_LATER)
    assert texts.LATER in replies[-1]
    await harness.restart()
    replies = await jo.tap(texts.BTN_CONTINUE)
    assert texts.WELCOME_BACK in replies[-1] and "Question 2" in replies[-1]
    await jo.say("and the other half")
    await jo.tap(texts.BTN_NEXT)
    async with harness.db.session() as s:
        narrative = (await s.scalars(select(Narrative))).one()
    assert narrative.text == "Half a thought\n\nand the other half"


async def test_member_who_stops_keeps_what_they_said_and_is_not_asked_more(
    harness: Harness,
) -> None:
    mo, prompt = await seed.member_with_open_prompt(harness, 506)
    await mo.say("Worth it")
    replies = await mo.say("/stop")
    assert texts.STOPPED in replies[-1]
    replies = await mo.say("one more thing")
    assert texts.NOTHING_OPEN in replies[-1]
    async with harness.db.session() as s:
        stopped = await s.get(Prompt, prompt.id)
        narrative = (await s.scalars(select(Narrative))).one()
    assert stopped is not None and stopped.status == "stopped"
    assert narrative.text == "Worth it"


async def test_member_who_missed_the_event_is_thanked_and_recorded_as_not_attended(
    harness: Harness,
) -> None:
    ny, prompt = await seed.member_with_open_prompt(harness, 507, attended=False)
    replies = await ny.tap(seed.MISSED)
    assert texts.NOT_ATTENDED in replies[-1]
    async with harness.db.session() as s:
        done = await s.get(Prompt, prompt.id)
    assert done is not None and done.status == "not_attended" and done.attended is False


async def test_member_who_checked_in_at_the_event_is_not_asked_whether_they_came(
    harness: Harness,
) -> None:
    community = await seed.community(harness.db)
    event = await seed.event(harness.db, community)
    vi = harness.person(508)
    await seed.join(vi, community)
    prompt = await seed.open_prompt(harness.db, vi, event)
    async with harness.db.session() as s:
        checked_in = await s.get(Prompt, prompt.id)
        assert checked_in is not None
        checked_in.attended = True  # as the convener's check-in link records it
    replies = await vi.say("/continue")
    assert seed.asked("attended") not in replies[0]
    assert seed.asked("immediate.moment") in replies[0]
