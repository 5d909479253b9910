"""What conveners, admins, researchers and members type or press that the bot must read safely:
forged ids, odd digits, far-off dates, settings with one set of limits, and a /newevent draft
that never takes answers meant for a question."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from flows import texts
from flows.questions import PromptKind
from storage import repositories as repo
from storage.models import (
    AuditEntry,
    Community,
    ConvenerDraft,
    Event,
    Membership,
    Narrative,
    RoleGrant,
    utcnow,
)
from tests import seed
from tests.fakes import FakeSender
from tests.harness import Harness, Person
from valuestory.usecases import retention
from valuestory.usecases.events import planning

ADMIN = 9001
HUGE = "9" * 30
BIG = "9" * 18  # fits 64 bits, not our 32-bit row ids
REFUSED = texts.NOT_ALLOWED


async def convener_of(h: Harness, user_id: int, name: str = "Diabetes in Pregnancy",
                      ) -> tuple[Person, Community]:
    c = await seed.community(h.db, name)
    await seed.grant(h.db, user_id, "convener", c)
    return h.person(user_id), c


async def community_row(h: Harness, community_id: int) -> Community:
    async with h.db.session() as session:
        c = await session.get(Community, community_id)
        assert c is not None
        return c


def settings_of(c: Community) -> tuple[object, ...]:
    return (c.prompt_delay_minutes, c.reminder_after_hours, c.window_days, c.quiet_start,
            c.quiet_end, c.digest_weekday, c.digest_time)


# --- forged and odd ids -------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    "cv|matrix|²|", f"cv|matrix|{HUGE}|", "cv|cx|²", f"cv|cx|{HUGE}", f"cv|cxy|{HUGE}",
    f"cv|matrix|{BIG}|", f"cv|cx|{BIG}",
    "cv|cxy|١٢",
])
async def test_forged_convener_buttons_get_a_refusal_and_change_nothing(
    harness: Harness, data: str,
) -> None:
    conv, c = await convener_of(harness, 731)
    e = await seed.event(harness.db, c)
    await conv.say("/members")
    replies = await conv.press_data(conv.last, data)
    assert replies == [REFUSED]
    async with harness.db.session() as session:
        assert (await session.get(Event, e.id)).cancelled_at is None  # type: ignore[union-attr]


@pytest.mark.parametrize("target", ["²", HUGE, BIG, "١"])
async def test_forged_withdraw_buttons_are_stale_and_erase_nothing(
    harness: Harness, target: str,
) -> None:
    c = await seed.community(harness.db)
    member = harness.person(741)
    await seed.join(member, c)
    await member.say("/withdraw")
    for step in ("c", "y"):
        replies = await member.press_data(member.last, f"wd|{step}|{target}")
        assert replies == [texts.STALE_BUTTON]
    async with harness.db.session() as session:
        assert await session.scalar(select(func.count(Membership.id))) == 1


@pytest.mark.parametrize("ref", ["²", HUGE, BIG])
async def test_export_for_an_odd_community_id_says_it_was_not_found(
    harness: Harness, ref: str,
) -> None:
    await seed.community(harness.db)
    researcher = harness.person(ADMIN)
    replies = await researcher.say(f"/export csv community={ref}")
    assert replies == [texts.EXPORT_NO_COMMUNITY.format(community=ref)]
    async with harness.db.session() as session:
        assert await session.scalar(select(func.count(AuditEntry.id))) == 0


@pytest.mark.parametrize("user_id", ["²", HUGE])
async def test_grant_with_an_odd_user_id_shows_how_to_use_it(harness: Harness, user_id: str) -> None:
    await seed.community(harness.db)
    replies = await harness.person(ADMIN).say(f"/grant {user_id} convener Diabetes in Pregnancy")
    assert replies == [texts.ROLE_USAGE.replace("<", "&lt;").replace(">", "&gt;")]
    async with harness.db.session() as session:
        assert await session.scalar(select(func.count(RoleGrant.id))) == 0


@pytest.mark.parametrize(("command", "usage"), [
    ("/settings delay ²", texts.SETTINGS_USAGE),
    ("/settings delay ١٢٠", texts.SETTINGS_USAGE),
    (f"/settings window {HUGE}", texts.SETTINGS_USAGE),
    ("/settings quiet ²:00-08:00", texts.SETTINGS_USAGE),
    ("/settings quiet 20:00-0²:00", texts.SETTINGS_USAGE),
    ("/digest monday ²:00", texts.DIGEST_USAGE),
    ("/digest monday 0⁹:00", texts.DIGEST_USAGE),
])
async def test_typed_settings_with_odd_digits_get_the_usage_and_change_nothing(
    harness: Harness, command: str, usage: str,
) -> None:
    conv, c = await convener_of(harness, 751)
    before = settings_of(await community_row(harness, c.id))
    replies = await conv.say(command)
    assert replies == [usage.replace("<", "&lt;").replace(">", "&gt;")]
    assert settings_of(await community_row(harness, c.id)) == before


# --- far-off dates ------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["9999-12-31 23:59", "1999-06-01 10:00", "2999-01-01 10:00"])
async def test_newevent_refuses_a_start_too_far_off_and_keeps_asking(
    harness: Harness, start: str,
) -> None:
    conv, _ = await convener_of(harness, 761)
    await conv.say("/newevent")
    await conv.say("Far future")
    replies = await conv.say(start)
    assert replies == [texts.EVENT_IN_PAST if start.startswith("1999") else texts.EVENT_TOO_FAR]
    assert texts.EVENT_ASK_DURATION not in replies[0]
    async with harness.db.session() as session:
        draft = await session.get(ConvenerDraft, conv.user_id)
        assert draft is not None and draft.step == "start"
    soon = (utcnow() + dt.timedelta(days=30)).strftime("%Y-%m-%d 14:00")
    assert texts.EVENT_ASK_DURATION in (await conv.say(soon))[0]
    await conv.say("90")
    replies = await conv.tap(texts.BTN_CREATE)
    assert replies[-1].startswith("Done: <b>Far future</b>")


async def test_far_off_times_are_refused_where_times_are_parsed() -> None:
    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
    for text in ("9999-12-31 23:59", "2029-01-01 00:00", "1999-12-31 23:59"):
        with pytest.raises(planning.TimeOutOfRange):
            planning.parse_time(text, "America/New_York", now)
    assert planning.parse_time("2028-11-20 10:00", "Europe/London", now) == dt.datetime(
        2028, 11, 20, 10, 0, tzinfo=dt.UTC)


# --- one set of limits for settings -------------------------------------------------------


async def test_telegram_settings_take_durations_and_the_same_limits_as_the_command_line(
    harness: Harness,
) -> None:
    conv, c = await convener_of(harness, 771)
    assert (await conv.say("/settings delay 1h30"))[0].startswith(texts.SETTINGS_SAVED)
    assert (await community_row(harness, c.id)).prompt_delay_minutes == 90
    assert (await conv.say("/settings delay 3d"))[0].startswith(texts.SETTINGS_SAVED)
    assert (await community_row(harness, c.id)).prompt_delay_minutes == 3 * 24 * 60
    assert (await conv.say("/settings delay 8d"))[0].startswith(texts.SETTINGS_USAGE)
    assert (await conv.say("/settings window 61"))[0].startswith(texts.SETTINGS_USAGE)
    assert (await conv.say("/settings quiet off"))[0].startswith(texts.SETTINGS_SAVED)
    assert "Quiet hours 00:00 to 00:00" in conv.last.text

    # A reminder after the questions have closed would never be sent.
    before = settings_of(await community_row(harness, c.id))
    assert await conv.say("/settings reminder 200") == [texts.SETTINGS_REMINDER_TOO_LATE]
    assert await conv.say("/settings window 1") == [texts.SETTINGS_REMINDER_TOO_LATE]
    assert settings_of(await community_row(harness, c.id)) == before
    assert (await conv.say("/settings reminder 2d"))[0].startswith(texts.SETTINGS_SAVED)
    assert (await community_row(harness, c.id)).reminder_after_hours == 48


# --- the /newevent draft and the convener's own answers -------------------------------------


async def test_a_question_asked_after_the_draft_takes_the_conveners_typed_answer(
    harness: Harness,
) -> None:
    conv, c = await convener_of(harness, 781)
    e = await seed.event(harness.db, c)
    await seed.join(conv, c)
    await conv.say("/newevent")
    await conv.say("Spring session")  # the draft now waits for a start time
    # Then, as a member, they are asked about last week's event and start answering.
    async with harness.db.session() as session:
        member = await repo.member_by_telegram_id(session, conv.user_id)
        event = await session.get(Event, e.id)
        assert member is not None and event is not None
        prompt = (await planning.open_prompt(session, member, event)).prompt
        prompt.question_id = "immediate.moment"
        prompt.attended = True
    replies = await conv.say("The talk on shared clinics.")
    assert texts.ACK_FIRST in replies[0]
    async with harness.db.session() as session:
        assert (await session.scalars(select(Narrative.text))).all() == [
            "The talk on shared clinics."]
        draft = await session.get(ConvenerDraft, conv.user_id)
        assert draft is not None and draft.data == {"title": "Spring session"}


async def test_any_command_drops_an_unfinished_newevent(harness: Harness) -> None:
    conv, _ = await convener_of(harness, 791)
    await conv.say("/newevent")
    await conv.say("Spring session")
    await conv.say("/help")
    async with harness.db.session() as session:
        assert await session.get(ConvenerDraft, conv.user_id) is None
    # Typed text goes to the member conversation again, not into the old draft.
    assert texts.UNKNOWN_USER in (await conv.say("2026-12-01 10:00"))[0]
    # /newevent itself starts afresh.
    asked_title = texts.EVENT_ASK_TITLE.format(community="Diabetes in Pregnancy")
    assert asked_title in (await conv.say("/newevent"))[0]
    assert (await conv.say("Another"))[0].startswith(texts.EVENT_ASK_START.partition("{")[0])


# --- counts in words ------------------------------------------------------------------------


async def test_a_single_question_follow_up_says_one_question(harness: Harness) -> None:
    c = await seed.community(harness.db)
    e = await seed.event(harness.db, c)
    member = harness.person(801)
    await seed.join(member, c)
    await seed.open_prompt(harness.db, member, e, PromptKind.FOLLOWUP_REFRAMING)
    replies = await member.say("/continue")
    assert "1 question, about 2 minutes" in replies[0]


async def test_retention_notice_counts_one_month_and_one_answer(harness: Harness) -> None:
    c = await seed.community(harness.db)
    e = await seed.event(harness.db, c)
    member = harness.person(811)
    await seed.join(member, c)
    told = utcnow()
    await seed.grant(harness.db, 812, "convener", c)
    prompt = await seed.open_prompt(harness.db, member, e, now=told)
    async with harness.db.session() as session:
        community = await session.get(Community, c.id)
        assert community is not None
        await repo.save_answer(session, prompt, question_id="immediate.moment", question_text="?",
                               cycle="immediate", capital=None, intended=False, text="One.",
                               append=False, now=told)
        await retention.set_months(session, community, 1, actor="test")
    sender = FakeSender()

    limit = retention.months_before(told, -1, __import__("zoneinfo").ZoneInfo(c.timezone))
    await retention.run(harness.db, limit - dt.timedelta(days=6), sender)
    [notice] = sender.to(812)
    assert "keeps stories for 1 month." in notice and "erase 1 answer given" in notice
