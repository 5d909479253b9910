"""Conveners see their community's Value Creation Matrix, get the weekly digest, and run events
from Telegram; nobody else learns anything about the community."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.scheduling import TelegramSender
from flows import texts
from flows.questions import PromptKind
from storage import repositories as repo
from storage.db import Database
from storage.models import (
    Community,
    ConvenerDraft,
    Event,
    Member,
    Membership,
    Narrative,
    Prompt,
    RoleGrant,
    utcnow,
)
from tests import matrix_words, seed
from tests.clock import tick
from tests.harness import Harness, Person
from valuestory.usecases import digest, matrix

ADMIN = 9001
DAY = dt.timedelta(days=1)
T0 = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)


async def answer(db: Database, person: Person, event: Event, at: dt.datetime,
                 answers: list[tuple[str, str, str]],
                 kind: PromptKind = PromptKind.POST_EVENT) -> str:
    """Store a member's answers (question id, cycle, text) as the conversation does; the story id."""
    opened = await seed.open_prompt(db, person, event, kind, now=at)
    async with db.session() as session:
        prompt = await session.get(Prompt, opened.id)
        assert prompt is not None
        prompt.attended = True
        prompt.status = "completed"
        for question_id, cycle, text in answers:
            await repo.save_answer(
                session, prompt, question_id=question_id, question_text="?", cycle=cycle,
                capital=None, intended=False, text=text, append=False, now=at,
            )
        return prompt.story_id


async def pseudonym(db: Database, person: Person, community: Community) -> str:
    async with db.session() as session:
        return (await session.scalar(
            select(Membership.pseudonym).join(Member)
            .where(Member.telegram_user_id == person.user_id,
                   Membership.community_id == community.id)))  # type: ignore[return-value]


async def seeded(h: Harness) -> tuple[Community, Event, list[Person]]:
    """A community with three members and a known set of narratives, oldest first."""
    c = await seed.community(h.db)
    e = await seed.event(h.db, c, starts="2026-09-20 14:00", ends="2026-09-20 16:00")
    ann, ben, cat = h.person(601, "Ann"), h.person(602, "Ben"), h.person(603, "Cat")
    for p in (ann, ben, cat):
        await seed.join(p, c)
    story = await answer(h.db, ann, e, T0, [
        ("immediate.moment", "immediate", "The case review. It showed how timing matters."),
        ("potential.human", "potential", "A way to read CGM traces with patients."),
    ])
    await answer(h.db, ben, e, T0 + DAY, [
        ("immediate.moment", "immediate", "Meeting the dietitian from the next trust."),
    ])
    await answer(h.db, cat, e, T0 + 2 * DAY, [
        ("immediate.moment", "immediate", "Hearing that others struggle too. " + "More words. " * 30),
        ("applied.intention", "applied", "Try the shared template."),
    ])
    await answer(h.db, ann, e, T0 + 40 * DAY, [
        ("applied.action", "applied", "I used the template in clinic."),
        ("realised.difference", "realised", "Fewer missed appointments."),
    ], kind=PromptKind.FOLLOWUP_APPLIED)
    assert story
    return c, e, [ann, ben, cat]


# --- the matrix -----------------------------------------------------------------------------


async def test_matrix_counts_contributors_new_excerpts_stories_and_gaps(harness: Harness) -> None:
    c, _, (ann, ben, cat) = await seeded(harness)
    async with harness.db.session() as session:
        await digest.record_digest(session, c.id, T0 + DAY + dt.timedelta(hours=1))
    async with harness.db.session() as session:
        community = await session.get(Community, c.id)
        assert community is not None
        m = await matrix.build_matrix(harness.db, community, now=T0 + 50 * DAY)
    cols = {col.cycle: col for col in m.columns}
    assert [(k, v.narratives, v.members, v.new) for k, v in cols.items()] == [
        ("immediate", 3, 3, 1), ("potential", 1, 1, 0), ("applied", 2, 2, 2),
        ("realised", 1, 1, 1), ("reframing", 0, 0, 0),
    ]
    assert m.gaps == ("reframing",)
    assert m.total == 7 and m.contributors == 3
    ann_p, cat_p = await pseudonym(harness.db, ann, c), await pseudonym(harness.db, cat, c)
    excerpts = cols["immediate"].excerpts
    ben_p = await pseudonym(harness.db, ben, c)
    assert [x.pseudonym for x in excerpts] == [cat_p, ben_p, ann_p]  # most recent first
    # Trimmed at a sentence: whole sentences only, short enough for a phone.
    assert excerpts[0].text.startswith("Hearing that others struggle too. More words.")
    assert excerpts[0].text.endswith("More words.") and len(excerpts[0].text) <= 160
    assert excerpts[-1].text.startswith("The case review.")
    # Ann's, Ben's and Cat's stories; only Ann's reached realised value, in her follow-up.
    assert m.stories_count == 3 and m.followup_stories == 1
    assert m.stories[0].pseudonym == ann_p
    assert m.stories[0].cycles == ("immediate", "potential", "applied", "realised")
    # Asked means post-event prompts: Ann's follow-up continues her story, it is not a new ask.
    assert (m.participation.sent, m.participation.answered, m.participation.attended) == (3, 3, 3)

    text = matrix.render_text(m)
    assert texts.MATRIX_GAP.format(cycle=texts.CYCLE_NAMES["reframing"],
                                   ask=texts.MATRIX_GAP_ASK["reframing"]) in text
    assert f"({cat_p})" in text and "Ann" not in text and "601" not in text
    assert "immediate → potential → applied → realised" in text


async def test_matrix_for_a_period_counts_only_what_was_said_in_it(harness: Harness) -> None:
    c, _, _ = await seeded(harness)
    async with harness.db.session() as session:
        community = await session.get(Community, c.id)
        assert community is not None
        now = T0 + 45 * DAY
        period = matrix.parse_period("30d", community.timezone, now)
        m = await matrix.build_matrix(harness.db, community, period, now=now)
        since = matrix.parse_period("since 2026-10-02", community.timezone, now)
        m2 = await matrix.build_matrix(harness.db, community, since, now=now)
    assert m.total == 2 and m.period.label == "the last 30 days"
    assert m2.total == 5 and m2.period.label == "since 2 Oct 2026"


async def test_convener_sees_matrix_as_text_and_picture_with_narratives_shown_as_written(
    harness: Harness,
) -> None:
    c = await seed.community(harness.db)
    e = await seed.event(harness.db, c)
    ann = harness.person(611)
    await seed.join(ann, c)
    await answer(harness.db, ann, e, T0, [
        ("immediate.moment", "immediate", "The <b>bold</b> idea & the Q&A <script>"),
    ])
    convener = harness.person(612)
    await seed.grant(harness.db, convener.user_id, "convener", c)

    replies = await convener.say("/matrix")
    sent = harness.double.chat(convener.user_id)
    assert "The &lt;b&gt;bold&lt;/b&gt; idea &amp; the Q&amp;A &lt;script&gt;" in replies[0]
    assert matrix_words.column("immediate", 1, 1, 1) + ", 1 new" in replies[0]
    assert sent[-1].photo is not None and sent[-1].photo.startswith(b"\x89PNG")
    assert sent[-1].caption == texts.MATRIX_CAPTION.format(community="Diabetes in Pregnancy",
                                                           period=texts.PERIOD_ALL_TIME)

    replies = await convener.say("/matrix since yesterday-ish")
    assert texts.MATRIX_USAGE in replies[-1]


async def test_long_matrix_is_split_under_the_limit_without_cutting_excerpts(harness: Harness) -> None:
    c = await seed.community(harness.db)
    e = await seed.event(harness.db, c)
    people = [harness.person(620 + i) for i in range(8)]
    for i, p in enumerate(people):
        await seed.join(p, c)
        await answer(harness.db, p, e, T0 + i * DAY, [
            (f"{cycle}.x", cycle, f"Story {i} about {cycle} & <more>. " + "Words " * 25 + "end.")
            for cycle in matrix.CYCLES
        ])
    async with harness.db.session() as session:
        community = await session.get(Community, c.id)
        assert community is not None
        m = await matrix.build_matrix(harness.db, community)
    from bot.send import split_message

    text = matrix.render_text(m)
    parts = split_message(text, limit=700)
    assert len(parts) > 2 and all(len(p) <= 700 for p in parts)
    lines = [line for p in parts for line in p.split("\n")]
    for x in (x for col in m.columns for x in col.excerpts):
        assert any(x.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in line
                   for line in lines)
    for p in parts:
        assert p.count("<b>") == p.count("</b>")


def test_split_message_never_cuts_a_word_a_tag_or_an_entity() -> None:
    from bot.send import split_message

    text = "<b>Head</b>\n\n" + " ".join(
        f"<i>word{i}</i> &amp; <a href=\"https://e.x/{i}\">link {i}</a>" for i in range(400))
    parts = split_message(text, limit=300)
    assert all(len(p) <= 300 for p in parts)
    words = [w for p in parts for w in p.split()]
    assert words == text.split() or " ".join(parts).count("word399") == 1
    for p in parts:
        assert p.count("<i>") == p.count("</i>") and p.count("<a ") == p.count("</a>")
        assert "&am" not in p.replace("&amp;", "")
    bold = split_message("<b>" + "long text " * 600 + "</b>")
    assert len(bold) == 2 and bold[1].startswith("<b>") and bold[0].endswith("</b>")


# --- who may see what -----------------------------------------------------------------------


async def test_only_conveners_of_a_community_see_it_and_others_learn_nothing(
    harness: Harness,
) -> None:
    a = await seed.community(harness.db, "Alpha Network")
    b = await seed.community(harness.db, "Beta Network")
    conv_a, member, stranger = harness.person(631), harness.person(632), harness.person(633)
    await seed.grant(harness.db, conv_a.user_id, "convener", a)
    await seed.join(member, b)
    admin_person = harness.person(ADMIN)

    for command in ("/matrix", "/events", "/members", "/invite", "/checkin", "/newevent",
                    "/settings", "/digest", "/cancelevent"):
        assert await member.say(command) == [texts.NOT_ALLOWED]
        assert await stranger.say(command) == [texts.NOT_ALLOWED]

    replies = await conv_a.say("/members")
    assert "Alpha Network" in replies[0] and "Beta" not in replies[0]
    # A forged button for community B, and one for a community that doesn't exist: same answer.
    message = conv_a.last
    forged_b = await conv_a.press_data(message, f"cv|matrix|{b.id}|")
    forged_none = await conv_a.press_data(message, "cv|matrix|99999|")
    assert forged_b == forged_none == [texts.NOT_ALLOWED]
    assert await conv_a.press_data(message, "cv|bogus") == [texts.NOT_ALLOWED]

    replies = await admin_person.say("/members")
    assert replies == [texts.PICK_COMMUNITY]
    assert admin_person.last.buttons() == ["Alpha Network", "Beta Network"]
    replies = await admin_person.tap("Beta Network")
    assert "Beta Network: members" in replies[-1] and "Joined: 1" in replies[-1]


async def test_convener_of_several_communities_picks_one_and_the_argument_is_kept(
    harness: Harness,
) -> None:
    a = await seed.community(harness.db, "Alpha Network")
    b = await seed.community(harness.db, "Beta Network")
    conv = harness.person(641)
    await seed.grant(harness.db, conv.user_id, "convener", a)
    await seed.grant(harness.db, conv.user_id, "convener", b)
    assert await conv.say("/settings window 10") == [texts.PICK_COMMUNITY]
    replies = await conv.tap("Beta Network")
    assert replies[-1].startswith(texts.SETTINGS_SAVED) and "open for 10 days" in replies[-1]
    async with harness.db.session() as session:
        assert (await session.get(Community, b.id)).window_days == 10  # type: ignore[union-attr]
        assert (await session.get(Community, a.id)).window_days == 7  # type: ignore[union-attr]


# --- the digest -----------------------------------------------------------------------------


async def test_digest_goes_privately_to_conveners_who_have_it_on(harness: Harness) -> None:
    c, _, _ = await seeded(harness)
    on, off = harness.person(651), harness.person(652)
    await seed.grant(harness.db, on.user_id, "convener", c)
    await seed.grant(harness.db, off.user_id, "convener", c)
    replies = await off.say("/digest off")
    status = texts.DIGEST_STATUS.format(community="Diabetes in Pregnancy", state="{state}",
                                        day=texts.WEEKDAYS[0], time="09:00", zone="Europe/London")
    assert status.format(state=texts.DIGEST_OFF) in replies[0]
    replies = await on.say("/digest on")
    assert status.format(state=texts.DIGEST_ON) in replies[0]

    before_off = len(off.inbox)
    sent = await digest.send_weekly(harness.db, TelegramSender(harness.app.bot), c.id, T0 + 50 * DAY)
    assert sent == 1
    assert len(off.inbox) == before_off  # digest off: nothing arrives
    for member in (601, 602, 603):  # members never get it
        assert not any(texts.DIGEST_INTRO in t for t in harness.double.texts(member))
    got = harness.double.chat(on.user_id)
    assert texts.DIGEST_INTRO in got[-2].text and texts.DIGEST_NEW_NONE in got[-2].text
    caption = texts.MATRIX_CAPTION.partition(", ")[0].format(community=c.name)
    assert got[-1].photo is not None and caption in (got[-1].caption or "")
    async with harness.db.session() as session:
        assert await digest.last_digest_at(session, c.id) == T0 + 50 * DAY


async def test_digest_schedule_follows_the_communitys_day_time_and_zone(harness: Harness) -> None:
    c = await seed.community(harness.db, timezone="Europe/Berlin")
    conv = harness.person(661)
    await seed.grant(harness.db, conv.user_id, "convener", c)
    replies = await conv.say("/digest friday 17:30")
    assert "Friday at 17:30 (Europe/Berlin)" in replies[0]
    async with harness.db.session() as session:
        community = await session.get(Community, c.id)
        assert community is not None
        community.created_at = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)  # after last week's slot
    friday = dt.datetime(2026, 11, 27, 16, 29, tzinfo=dt.UTC)  # 17:29 in Berlin

    async def digest_hook(community_id: int, now: dt.datetime) -> int:
        return await digest.send_weekly(harness.db, TelegramSender(harness.app.bot), community_id, now)

    mark = len(conv.inbox)
    await tick(harness, friday, on_digest_due=digest_hook)
    assert not any(texts.DIGEST_INTRO in t for t in conv.texts_since(mark))
    await tick(harness, friday + dt.timedelta(minutes=2), on_digest_due=digest_hook)
    await tick(harness, friday + dt.timedelta(hours=3), on_digest_due=digest_hook)
    assert sum(texts.DIGEST_INTRO in t for t in conv.texts_since(mark)) == 1


# --- events ---------------------------------------------------------------------------------


async def test_newevent_dialogue_validates_confirms_and_survives_a_restart(harness: Harness) -> None:
    c = await seed.community(harness.db, timezone="America/New_York")
    conv = harness.person(671)
    await seed.grant(harness.db, conv.user_id, "convener", c)
    start = (utcnow() + 10 * DAY).astimezone(dt.timezone(dt.timedelta(hours=-5)))
    when = start.strftime("%Y-%m-%d") + " 14:00"

    assert texts.EVENT_ASK_TITLE.format(community="Diabetes in Pregnancy") in (
        await conv.say("/newevent"))[0]
    asked = (await conv.say("Spring <Session> & Q&A"))[0]
    example = asked.split("<code>")[1].split("</code>")[0]
    assert texts.EVENT_ASK_START.format(example=example, zone="America/New_York") in asked
    assert texts.EVENT_BAD_START.format(example=example) in (await conv.say("next tuesday"))[0]
    assert texts.EVENT_IN_PAST in (await conv.say("2020-01-01 10:00"))[0]

    await harness.restart()  # a new process, mid-dialogue
    assert texts.EVENT_ASK_DURATION in (await conv.say(when))[0]
    assert texts.EVENT_BAD_DURATION in (await conv.say("a while"))[0]
    replies = await conv.say("1h30")
    assert "<b>Spring &lt;Session&gt; &amp; Q&amp;A</b>" in replies[0]
    assert "14:00, 1 h 30 min" in replies[0] and conv.last.buttons() == [texts.BTN_CREATE, texts.BTN_CANCEL]
    replies = await conv.tap(texts.BTN_CREATE)
    assert "Done: <b>Spring &lt;Session&gt; &amp; Q&amp;A</b>" in replies[-1]

    async with harness.db.session() as session:
        event = (await session.scalars(select(Event))).one()
        assert (await session.scalars(select(ConvenerDraft))).all() == []
    assert event.title == "Spring <Session> & Q&A"
    local = event.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert local.strftime("%H:%M") == "14:00"
    assert event.ends_at - event.starts_at == dt.timedelta(minutes=90)
    # Once the dialogue is over, typed text goes to the member conversation again.
    assert texts.UNKNOWN_USER in (await conv.say("hello"))[0]


async def test_events_lists_response_rates_and_cancelevent_cancels(harness: Harness) -> None:
    c, past, _ = await seeded(harness)
    conv = harness.person(681)
    await seed.grant(harness.db, conv.user_id, "convener", c)
    soon = utcnow() + 5 * DAY
    upcoming = await seed.event(harness.db, c, "Winter <Meetup>", soon.isoformat(),
                                (soon + dt.timedelta(hours=1)).isoformat())
    replies = await conv.say("/events")
    assert "Winter &lt;Meetup&gt;" in replies[0]
    assert "Winter Learning Session, 3 of 3 answered (100%)" in replies[0]

    await conv.say("/cancelevent")
    assert conv.last.buttons()[0].endswith("Winter <Meetup>")
    await conv.press_data(conv.last, f"cv|cx|{upcoming.id}")
    replies = await conv.tap(texts.BTN_CANCEL_EVENT)
    assert "Cancelled <b>Winter &lt;Meetup&gt;</b>" in replies[-1]
    async with harness.db.session() as session:
        assert (await session.get(Event, upcoming.id)).cancelled_at is not None  # type: ignore[union-attr]
        assert (await session.get(Event, past.id)).cancelled_at is None  # type: ignore[union-attr]
    assert "(cancelled)" in (await conv.say("/events"))[0]
    # Another convener's forged press on this community's event is refused.
    other = harness.person(682)
    await other.say("/help")
    assert await other.press_data(other.last, f"cv|cxy|{past.id}") == [texts.NOT_ALLOWED]


async def test_invite_sends_link_and_qr_code(harness: Harness) -> None:
    c = await seed.community(harness.db, "Frailty & Falls")
    conv = harness.person(691)
    await seed.grant(harness.db, conv.user_id, "convener", c)
    replies = await conv.say("/invite")
    assert f"https://t.me/valuestory_test_bot?start={c.invite_code}" in replies[0]
    assert "Frailty &amp; Falls" in replies[0]
    photo = conv.last
    assert photo.photo is not None and photo.photo.startswith(b"\x89PNG")
    assert photo.caption == texts.INVITE_CAPTION.format(community="Frailty &amp; Falls")


async def test_checkin_marks_members_attended_and_schedules_their_prompt(harness: Harness) -> None:
    c = await seed.community(harness.db)
    now = utcnow()
    event = await seed.event(harness.db, c, "Live session", now - dt.timedelta(minutes=10),
                             now + dt.timedelta(hours=1))
    async with harness.db.session() as session:
        community = await session.get(Community, c.id)
        assert community is not None
        # Quiet hours around the moment the prompt would fall due, whatever the time of day the
        # test runs: the check-in prompt must wait for them to end, as the scheduler's do.
        asked = (event.ends_at + dt.timedelta(minutes=community.prompt_delay_minutes)).astimezone(
            ZoneInfo(community.timezone))
        community.quiet_start = (asked - dt.timedelta(hours=1)).strftime("%H:%M")
        community.quiet_end = (asked + dt.timedelta(hours=1)).strftime("%H:%M")
        quiet_end = (asked + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    conv, ann, newcomer = harness.person(701), harness.person(702), harness.person(703)
    await seed.grant(harness.db, conv.user_id, "convener", c)
    await seed.join(ann, c)

    replies = await conv.say("/checkin")
    assert replies[0].startswith(texts.CHECKIN.partition("\n")[0].format(title="Live session"))
    assert conv.last.photo is not None
    async with harness.db.session() as session:
        code = (await session.get(Event, event.id)).checkin_code  # type: ignore[union-attr]
    assert code and f"?start=ci_{code}" in replies[0]

    replies = await ann.say(f"/start ci_{code}")
    assert replies == [texts.CHECKED_IN.format(title="Live session")]
    async with harness.db.session() as session:
        prompt = (await session.scalars(select(Prompt))).one()
    assert prompt.attended is True and prompt.status == "scheduled"
    assert prompt.due_at == quiet_end.astimezone(dt.UTC)
    assert prompt.closes_at == prompt.due_at + dt.timedelta(days=7)

    replies = await newcomer.say(f"/start ci_{code}")
    assert "join Diabetes in Pregnancy first" in replies[0] and "Joining" in replies[1]
    await newcomer.tap(texts.BTN_AGREE)
    replies = await newcomer.say(f"/start ci_{code}")
    assert replies == [texts.CHECKED_IN.format(title="Live session")]
    async with harness.db.session() as session:
        assert len((await session.scalars(select(Prompt).where(Prompt.attended.is_(True)))).all()) == 2


async def test_members_counts_and_settings_in_telegram(harness: Harness) -> None:
    c = await seed.community(harness.db)
    conv = harness.person(711)
    await seed.grant(harness.db, conv.user_id, "convener", c)
    people = [harness.person(712 + i) for i in range(3)]
    for p in people:
        await seed.join(p, c)
    async with harness.db.session() as session:
        m = (await session.scalars(select(Member).order_by(Member.id))).all()
        m[0].unreachable_at = utcnow()
        m[1].paused = True
    replies = await conv.say("/members")
    assert texts.MEMBERS_COUNTS.partition("\n")[2].format(
        joined=3, consented=3, paused=1, unreachable=1) in replies[0]

    assert texts.SETTINGS_SAVED in (await conv.say("/settings delay 30"))[0]
    assert texts.SETTINGS_SAVED in (await conv.say("/settings quiet 21:00-07:30"))[0]
    replies = await conv.say("/settings delay 99999")
    assert replies[0].startswith(texts.SETTINGS_USAGE)
    async with harness.db.session() as session:
        community = await session.get(Community, c.id)
        grants = (await session.scalars(select(RoleGrant))).all()
    assert community is not None
    assert (community.prompt_delay_minutes, community.quiet_start, community.quiet_end) == (
        30, "21:00", "07:30")
    assert len(grants) == 1


async def test_all_time_tallies_agree_with_the_narratives_after_edits_and_erasure(
    harness: Harness,
) -> None:
    """The all-time matrix reads trigger-kept tallies; they must match counting the narratives."""
    c, e, (ann, ben, _cat) = await seeded(harness)
    epoch = matrix.Period(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), texts.PERIOD_ALL_TIME)

    async def both() -> tuple[matrix.Matrix, matrix.Matrix]:
        async with harness.db.session() as session:
            community = await session.get(Community, c.id)
            assert community is not None
            fast = await matrix.build_matrix(harness.db, community, now=T0 + 99 * DAY)
            slow = await matrix.build_matrix(harness.db, community, epoch, now=T0 + 99 * DAY)
        return fast, slow

    fast, slow = await both()
    assert fast.columns == slow.columns and fast.participation == slow.participation
    assert (fast.stories_count, fast.stories, fast.contributors) == (
        slow.stories_count, slow.stories, slow.contributors)

    # A revision, a prompt left unanswered, a follow-up for Ben, then Ann erased entirely.
    async with harness.db.session() as session:
        prompt = (await session.scalars(select(Prompt).order_by(Prompt.id))).first()
        assert prompt is not None
        await repo.save_answer(session, prompt, question_id="immediate.moment", question_text="?",
                               cycle="immediate", capital=None, intended=False, text="Revised.",
                               append=False, now=T0 + 60 * DAY)
        prompt.status = "closed"
        prompt.attended = None
    await answer(harness.db, ben, e, T0 + 61 * DAY, [("reframing.success", "reframing", "New lens.")],
                 kind=PromptKind.FOLLOWUP_REFRAMING)
    fast, slow = await both()
    assert fast.columns == slow.columns and fast.participation == slow.participation
    assert fast.events == slow.events and fast.traced == slow.traced
    # Ann's, Ben's and Cat's stories; Ann's and Ben's reached realised or reframing value.
    assert fast.stories_count == slow.stories_count == 3
    assert fast.followup_stories == slow.followup_stories == 2
    async with harness.db.session() as session:
        await session.execute(delete(Member).where(Member.telegram_user_id == ann.user_id))
    fast, slow = await both()
    assert fast.columns == slow.columns and fast.participation == slow.participation
    assert fast.events == slow.events
    assert fast.stories_count == slow.stories_count == 2 and fast.contributors == 2
    assert fast.followup_stories == slow.followup_stories == 1
    assert [col.narratives for col in fast.columns] == [2, 0, 1, 0, 1]

    # Retention erases old narratives (its own statement); Ben's first answer goes, his story
    # stays with its reframing follow-up, and he no longer answered the event.
    async with harness.db.session() as session:
        await session.execute(delete(Narrative).where(Narrative.community_id == c.id,
                                                      Narrative.answered_at < T0 + 2 * DAY))
    fast, slow = await both()
    assert fast.columns == slow.columns and fast.participation == slow.participation
    assert fast.events == slow.events and fast.stories_count == slow.stories_count == 2
    assert [col.narratives for col in fast.columns] == [1, 0, 1, 0, 1]
    assert [col.stories for col in fast.columns] == [1, 0, 1, 0, 1]
    assert fast.participation.answered == 1  # Cat's post-event answers are still there


TAGS = ["b", "i", "u", "s", "code"]


@given(st.lists(st.tuples(st.sampled_from(["", *TAGS]),
                          st.lists(st.text("abc&<>xyz", min_size=1, max_size=12), min_size=1,
                                   max_size=8),
                          st.sampled_from([" ", "\n", "\n\n"])),
                min_size=1, max_size=80),
       st.integers(min_value=60, max_value=400))
def test_split_message_parts_fit_and_keep_every_word_and_tag_balanced(
    chunks: list[tuple[str, list[str], str]], limit: int,
) -> None:
    import html
    import re

    from bot.send import split_message

    text = "".join(
        (f"<{tag}>" if tag else "") + " ".join(html.escape(w) for w in words)
        + (f"</{tag}>" if tag else "") + sep
        for tag, words, sep in chunks)
    parts = split_message(text, limit=limit)
    assert all(len(p) <= limit for p in parts)
    def words(s: str) -> list[str]:
        return html.unescape(re.sub(r"</?\w+>", "", s)).split()
    assert [w for p in parts for w in words(p)] == words(text)
    for p in parts:
        for tag in TAGS:
            assert p.count(f"<{tag}>") == p.count(f"</{tag}>")


async def test_an_abandoned_newevent_draft_does_not_swallow_member_answers(harness: Harness) -> None:
    c = await seed.community(harness.db)
    e = await seed.event(harness.db, c)
    conv = harness.person(721)
    await seed.grant(harness.db, conv.user_id, "convener", c)
    await seed.join(conv, c)
    await conv.say("/newevent")
    async with harness.db.session() as session:
        draft = await session.get(ConvenerDraft, conv.user_id)
        assert draft is not None
        draft.updated_at = utcnow() - dt.timedelta(hours=3)
    await seed.open_prompt(harness.db, conv, e)
    await conv.say("/continue")
    await conv.tap(seed.THERE)
    replies = await conv.say("The talk on shared clinics.")
    assert texts.ACK_FIRST in replies[0]
    async with harness.db.session() as session:
        assert await session.get(ConvenerDraft, conv.user_id) is None


async def test_matrix_picture_counts_one_event_in_the_singular_and_names_gaps(
    harness: Harness,
) -> None:
    c = await seed.community(harness.db)
    e = await seed.event(harness.db, c, starts="2026-10-01 14:00", ends="2026-10-01 16:00")
    ann = harness.person(731)
    await seed.join(ann, c)
    await answer(harness.db, ann, e, T0, [("immediate.moment", "immediate", "The case review.")])
    async with harness.db.session() as session:
        community = await session.get(Community, c.id)
        assert community is not None
        m = await matrix.build_matrix(harness.db, community, now=T0 + DAY)
    words = [t.get_text() for ax in matrix.picture(m).axes for t in ax.texts]
    assert "1 event · 1 asked · 1 attended · 1 answered (100%) · 1 completed" in words
    assert matrix_words.subtitle(texts.PERIOD_ALL_TIME, 1, 1, 1) in words
    # Four empty cycles, and the plans' own column, empty too.
    assert words.count("1 member") == 1 and words.count("0 members") == 5
    assert sum(w.startswith(texts.MATRIX_PNG_GAP.partition("{ask}")[0]) for w in words) == 5
    # Its first words: the picture wraps the rest.
    reframing = " ".join(texts.MATRIX_PNG_GAP.format(
        ask=texts.MATRIX_GAP_ASK["reframing"]).split()[:6])
    assert any(w.startswith(reframing) for w in words)


async def test_excerpts_come_from_different_members_even_when_one_told_all_the_newest(
    harness: Harness,
) -> None:
    c = await seed.community(harness.db)
    e = await seed.event(harness.db, c, starts="2026-09-20 14:00", ends="2026-09-20 16:00")
    ann, ben, cat = harness.person(741), harness.person(742), harness.person(743)
    for p in (ann, ben, cat):
        await seed.join(p, c)
    await answer(harness.db, ann, e, T0, [("immediate.moment", "immediate", "Ann's moment.")])
    await answer(harness.db, ben, e, T0 + DAY, [("immediate.moment", "immediate", "Ben's.")])
    # Cat's twenty answers are all newer than Ann's and Ben's.
    await answer(harness.db, cat, e, T0 + 2 * DAY, [
        (f"immediate.q{i}", "immediate", f"Cat's answer {i}.") for i in range(20)])
    for period in (matrix.Period(), matrix.Period(T0 - DAY, "since")):
        async with harness.db.session() as session:
            community = await session.get(Community, c.id)
            assert community is not None
            m = await matrix.build_matrix(harness.db, community, period, now=T0 + 9 * DAY)
        shown = [x.pseudonym for x in m.columns[0].excerpts]
        assert shown == [await pseudonym(harness.db, p, c) for p in (cat, ben, ann)]
