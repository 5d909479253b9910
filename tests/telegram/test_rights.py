"""Members stay in control: /mydata shows everything held, /withdraw erases it, /privacy informs."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from flows import texts
from storage.models import (
    AuditEntry,
    Choice,
    Consent,
    Delivery,
    HandledUpdate,
    Member,
    Membership,
    Narrative,
    NarrativeRevision,
    OwedReply,
    Prompt,
)
from tests import seed
from tests.harness import Harness


async def test_mydata_sends_everything_held_about_the_member_as_a_file(harness: Harness) -> None:
    community = await seed.community(harness.db)
    event = await seed.event(harness.db, community)
    dee = await seed.join(harness.person(801, "Dee", "dee_dietitian"), community)
    await seed.open_prompt(harness.db, dee, event)
    await seed.tell(dee, "First thought", {seed.INSIGHT: "Reading CGM traces."})
    async with harness.db.session() as s:
        pseudonym = (await s.scalars(select(Membership.pseudonym))).one()
        consent = (await s.scalars(select(Consent.version))).one()
    # Revise an answer through the bot so an earlier version exists.
    await seed.open_prompt(harness.db, dee, event)

    await dee.say("/mydata")
    doc = dee.last.document
    assert doc is not None and doc[0] == "my-valuestory-data.txt"
    assert dee.last.caption is not None and "/withdraw" in dee.last.caption
    text = doc[1].decode("utf-8")
    assert texts.MYDATA_TELEGRAM_ID.format(id=801) in text
    assert texts.MYDATA_PSEUDONYM.format(pseudonym=pseudonym) in text
    assert texts.MYDATA_COMMUNITY.format(community="Diabetes in Pregnancy") in text
    assert texts.MYDATA_AGREED.partition(" ({language})")[0].format(version=consent) in text
    assert "Winter Learning Session (2026-12-03 14:00 GMT)" in text
    # In plain words: the questions' labels and the buttons' words, never our internal names.
    assert texts.MYDATA_ATTENDED.format(answer=texts.MYDATA_YES) in text
    assert texts.MYDATA_CHOICE.format(question="Attended", values=seed.THERE) in text
    assert "Question (immediate): What happened at Winter Learning Session" in text
    assert "      First thought" in text
    assert "Question (potential, human)" in text and "Reading CGM traces." in text
    asked, _, now = texts.MYDATA_ASKED.partition("{due}. ")
    assert asked.format(kind=texts.MYDATA_PROMPT_KINDS["post_event"]) in text
    assert now.partition("{status}")[0] + texts.MYDATA_PROMPT_STATUS["open"] not in text
    assert not re.search(r"potential\.|post event|Your choice for attended", text)
    assert "dee_dietitian" not in text  # we never stored it, so it can't be in there


async def test_mydata_shows_earlier_versions_of_a_revised_answer(harness: Harness) -> None:
    community = await seed.community(harness.db)
    event = await seed.event(harness.db, community)
    lee = await seed.join(harness.person(802), community)
    await seed.open_prompt(harness.db, lee, event)
    await lee.say("/continue")
    await lee.tap(seed.THERE)
    await lee.say("First thought")
    await lee.tap(texts.BTN_NEXT)
    await lee.tap(texts.BTN_BACK)
    await lee.say("A better thought")
    await lee.tap(texts.BTN_NEXT)
    await lee.say("/mydata")
    doc = lee.last.document
    assert doc is not None
    text = doc[1].decode("utf-8")
    assert texts.MYDATA_ANSWER.partition(",")[0].format(version=2) in text
    assert "      A better thought" in text
    assert texts.MYDATA_EARLIER.partition(",")[0].format(version=1) in text
    assert "      First thought" in text


async def test_mydata_for_a_stranger_says_nothing_is_held(harness: Harness) -> None:
    stranger = harness.person(803)
    assert await stranger.say("/mydata") == [
        texts.MYDATA_NONE]


async def test_withdraw_from_one_community_keeps_the_other(harness: Harness) -> None:
    first = await seed.community(harness.db, "Diabetes in Pregnancy")
    second = await seed.community(harness.db, "Frailty Network")
    e1 = await seed.event(harness.db, first)
    e2 = await seed.event(harness.db, second, "Frailty Huddle")
    eve = await seed.join(harness.person(804), first, second)
    await seed.open_prompt(harness.db, eve, e1)
    await seed.tell(eve, "diabetes story", {seed.INSIGHT: "diabetes insight"})
    await seed.open_prompt(harness.db, eve, e2)
    await seed.tell(eve, "frailty story")
    async with harness.db.session() as s:
        pseudonyms = {cid: p for cid, p in (await s.execute(
            select(Membership.community_id, Membership.pseudonym))).all()}

    await eve.say("/withdraw")
    assert eve.last.buttons() == ["Diabetes in Pregnancy", "Frailty Network", texts.BTN_WITHDRAW_ALL,
                                  texts.BTN_WITHDRAW_KEEP]
    replies = await eve.tap("Diabetes in Pregnancy")
    assert texts.WITHDRAW_CONFIRM.format(where="Diabetes in Pregnancy") in replies[-1]
    async with harness.db.session() as s:  # nothing happens before the confirmation
        assert await s.scalar(select(func.count(Narrative.id))) == 3
    replies = await eve.tap(texts.BTN_WITHDRAW_YES)
    assert texts.WITHDRAWN_ONE.format(community="Diabetes in Pregnancy") in replies[-1]

    async with harness.db.session() as s:
        left = (await s.scalars(select(Narrative.text))).all()
        memberships = (await s.scalars(select(Membership.community_id))).all()
        prompts = (await s.scalars(select(Prompt.community_id))).all()
        audit = (await s.scalars(select(AuditEntry))).one()
        assert await s.scalar(select(func.count(Member.id))) == 1
    assert left == ["frailty story"]
    assert memberships == [second.id] and prompts == [second.id]
    assert audit.action == "withdraw" and audit.community_id == first.id
    assert audit.actor == f"member {pseudonyms[first.id]}"
    assert audit.details == {"pseudonym": pseudonyms[first.id], "narratives": 2, "revisions": 0,
                             "choices": 2, "prompts": 1, "deliveries": 0,
                             "voice_notes": 0, "checks": 0}
    assert "diabetes" not in str(audit.details) and "804" not in audit.actor

    # A stale confirmation for the community already left changes nothing.
    replies = await eve.press_data(eve.last, f"wd|y|{first.id}")
    async with harness.db.session() as s:
        assert (await s.scalars(select(Narrative.text))).all() == ["frailty story"]


async def test_withdraw_from_everything_erases_identity_and_stops_prompts(harness: Harness) -> None:
    community = await seed.community(harness.db)
    event = await seed.event(harness.db, community)
    later = await seed.event(harness.db, community, "Spring Session", "2027-03-03 14:00",
                             "2027-03-03 16:00")
    fay = await seed.join(harness.person(805), community)
    prompt = await seed.open_prompt(harness.db, fay, event)
    await fay.say("/continue")
    await fay.tap(seed.THERE)
    await fay.say("First thought")
    await fay.tap(texts.BTN_NEXT)
    await fay.tap(texts.BTN_BACK)
    await fay.say("A better thought")
    waiting = await seed.open_prompt(harness.db, fay, later)
    async with harness.db.session() as s:
        s.add(Delivery(prompt_id=waiting.id, purpose="prompt", status="sent", claimed_by="test"))
        # A recap still owed to her, as after a stop while Telegram was away, and one to another.
        s.add(OwedReply(update_id=990001, seq=0, chat_id=fay.user_id,
                        payload='{"text": "A better thought", "buttons": []}'))
        s.add(OwedReply(update_id=990002, seq=0, chat_id=999999,
                        payload='{"text": "Someone else", "buttons": []}'))

    replies = await fay.say("/withdraw")
    assert "Leave Diabetes in Pregnancy?" in replies[-1]
    assert fay.last.buttons() == [texts.BTN_WITHDRAW_YES, texts.BTN_WITHDRAW_KEEP]
    replies = await fay.tap(texts.BTN_WITHDRAW_YES)
    assert texts.WITHDRAWN_ALL in replies[-1]

    async with harness.db.session() as s:
        for table in (Member, Membership, Consent, Prompt, Narrative, NarrativeRevision, Choice,
                      Delivery):
            assert await s.scalar(select(func.count()).select_from(table)) == 0, table
        keys = (await s.scalars(select(HandledUpdate.key))).all()
        audit = (await s.scalars(select(AuditEntry))).one()
        owed = (await s.scalars(select(OwedReply.chat_id))).all()
    assert not any(k.startswith("m|805|") for k in keys)
    assert owed == [999999]  # nothing of hers waits to be sent; another's reply still does
    assert audit.details["narratives"] == 1 and audit.details["revisions"] == 1
    assert audit.details["prompts"] == 2 and audit.details["deliveries"] == 1
    assert prompt.id != waiting.id

    # Nothing is asked of them any more: they are a stranger to the bot.
    replies = await fay.say("/continue")
    assert texts.UNKNOWN_USER in replies[-1]
    assert await fay.say("/withdraw") == [
        texts.WITHDRAW_NOTHING]


async def test_withdraw_can_be_called_off(harness: Harness) -> None:
    community = await seed.community(harness.db)
    gus = await seed.join(harness.person(806), community)
    await gus.say("/withdraw")
    replies = await gus.tap(texts.BTN_WITHDRAW_KEEP)
    assert replies[-1] == texts.WITHDRAW_KEPT
    assert gus.inbox[-2].keyboard == []  # the buttons are taken off the question
    async with harness.db.session() as s:
        assert await s.scalar(select(func.count(Membership.id))) == 1


async def test_withdraw_buttons_are_checked_not_trusted(harness: Harness) -> None:
    community = await seed.community(harness.db)
    other = await seed.community(harness.db, "Frailty Network")
    hal = await seed.join(harness.person(807), community)
    ivy = await seed.join(harness.person(808), other)
    await hal.say("/withdraw")
    # Ivy forges the button for Hal's community, then nonsense: nothing of Hal's is touched.
    replies = await ivy.press_data(ivy.last, f"wd|y|{community.id}")
    assert replies[-1] == texts.WITHDRAW_NOT_THERE
    replies = await ivy.press_data(ivy.last, "wd|y|; DROP TABLE")
    assert texts.STALE_BUTTON in replies[-1]
    async with harness.db.session() as s:
        assert await s.scalar(select(func.count(Membership.id))) == 2


async def test_privacy_shows_the_participant_information_again(harness: Harness) -> None:
    community = await seed.community(harness.db)
    jo = await seed.join(harness.person(809), community)
    replies = await jo.say("/privacy")
    assert replies[0] == texts.PRIVACY
    assert "/mydata" in replies[0] and "/withdraw" in replies[0]
