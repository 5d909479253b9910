"""The scheduler asks every member after every event, nudges once, follows up weeks later, and
never sends anything twice. Every test runs the scheduler on a clock it controls."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from telegram.error import TimedOut
from telegram.ext import CallbackContext

from bot.scheduling import JOB_NAME, START_JOB_NAME, TelegramSender, on_tick
from flows import texts
from storage.db import Database
from storage.models import Choice, Community, Delivery, Event, Member, Prompt, SchedulerState
from tests import seed
from tests.clock import ZONE, at, day, text, tick
from tests.harness import Harness, Person
from valuestory.process.metrics import METRICS
from valuestory.usecases import scheduler
from valuestory.usecases.scheduler import allowed_time, in_quiet_hours

ATTENDANCE = seed.asked("attended")


async def members(h: Harness, community: Community, *ids: int) -> list[Person]:
    people = [h.person(i) for i in ids]
    for p in people:
        await seed.join(p, community)
    return people


async def event_on(h: Harness, community: Community, date: dt.date, starts: str = "14:00",
                   ends: str = "16:00", title: str = "Winter Learning Session") -> Event:
    return await seed.event(h.db, community, title, text(date, starts), text(date, ends))


NUDGE = texts.REMINDER.partition("{event}")[0]  # how the reminder opens, before the event's title


def received(p: Person, since: int, needle: str) -> list[str]:
    return [t for t in p.texts_since(since) if needle in t]


async def prompts(db: Database) -> list[Prompt]:
    async with db.session() as s:
        return list((await s.scalars(select(Prompt).order_by(Prompt.id))).all())


# --- 1. After each event ----------------------------------------------------------------------


async def test_every_active_member_is_asked_once_after_the_event_and_its_delay(
    harness: Harness,
) -> None:
    community = await seed.community(harness.db)
    ann, ben, cat = await members(harness, community, 601, 602, 603)
    await cat.say("/pause")
    event_day = day(7)
    await event_on(harness, community, event_day)
    marks = {p.user_id: len(p.inbox) for p in (ann, ben, cat)}

    early = await tick(harness, at(event_day, "17:59"))
    assert early.sent == 0 and early.planned == 2  # planned ahead, visible in the database
    assert all(len(p.inbox) == marks[p.user_id] for p in (ann, ben, cat))

    report = await tick(harness, at(event_day, "18:00"))  # ends 16:00 + 2 hours
    assert report.sent == 2
    for p in (ann, ben):
        assert received(p, marks[p.user_id], ATTENDANCE) and len(p.texts_since(marks[p.user_id])) == 1
        assert p.last.buttons()[:2] == [seed.THERE, seed.MISSED]
    assert cat.texts_since(marks[cat.user_id]) == []  # paused: not asked

    again = await tick(harness, at(event_day, "18:30"))
    assert again.sent == 0
    assert all(len(received(p, marks[p.user_id], ATTENDANCE)) == 1 for p in (ann, ben))

    replies = await ann.tap(seed.THERE)
    assert seed.asked("immediate.moment") in replies[-1]
    replies = await ben.tap(seed.MISSED)
    assert texts.NOT_ATTENDED in replies[-1]
    async with harness.db.session() as s:
        stored = {p.member_id: p for p in (await s.scalars(select(Prompt))).all()}
        choices = (await s.scalars(select(Choice).where(Choice.question_id == "attended"))).all()
    statuses = sorted((p.status, p.attended) for p in stored.values())
    assert statuses == [("not_attended", False), ("open", True)]
    assert sorted(c.values[0] for c in choices) == ["no", "yes"]  # attendance kept as evidence


async def test_a_stopping_process_claims_nothing_more_and_leaves_it_to_the_next(
    harness: Harness,
) -> None:
    community = await seed.community(harness.db)
    ann, ben = await members(harness, community, 621, 622)
    event_day = day(7)
    await event_on(harness, community, event_day)
    marks = {p.user_id: len(p.inbox) for p in (ann, ben)}
    stopping = asyncio.Event()
    stopping.set()  # SIGTERM arrived before this tick's fan-out
    report = await tick(harness, at(event_day, "18:00"), stop=stopping)
    assert report.sent == 0
    assert all(p.texts_since(marks[p.user_id]) == [] for p in (ann, ben))
    report = await tick(harness, at(event_day, "18:01"))  # the next process, or the restart
    assert report.sent == 2
    assert all(len(received(p, marks[p.user_id], ATTENDANCE)) == 1 for p in (ann, ben))


async def test_a_long_fan_out_keeps_telling_health_checks_it_is_alive(harness: Harness) -> None:
    community = await seed.community(harness.db)
    # More batches of one than run at once, so some are still to come at the first beat.
    people = await members(harness, community, *range(631, 647))
    event_day = day(7)
    await event_on(harness, community, event_day)
    beats: list[int] = []

    def beat() -> None:
        beats.append(harness.double.count("sendMessage"))

    await tick(harness, at(event_day, "18:00"), batch=1, heartbeat=beat)
    # A beat after every batch: never minutes of silence while thousands are being sent.
    assert len(beats) == len(people) and beats == sorted(beats) and beats[0] < beats[-1]


async def test_prompts_falling_in_quiet_hours_wait_for_the_morning(harness: Harness) -> None:
    community = await seed.community(harness.db)
    (dee,) = await members(harness, community, 611)
    event_day = day(7)
    await event_on(harness, community, event_day, "18:00", "19:30")  # due 21:30: quiet
    mark = len(dee.inbox)
    for moment in (at(event_day, "21:30"), at(event_day + dt.timedelta(days=1), "07:59")):
        await tick(harness, moment)
        assert dee.texts_since(mark) == []
    await tick(harness, at(event_day + dt.timedelta(days=1), "08:00"))
    assert received(dee, mark, ATTENDANCE)
    (p,) = await prompts(harness.db)
    assert p.due_at == at(event_day + dt.timedelta(days=1), "08:00")


@settings(max_examples=300, deadline=None)
@given(
    # hypothesis takes naive bounds and adds the zone itself
    moment=st.datetimes(min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001
                        max_value=dt.datetime(2028, 12, 31),  # noqa: DTZ001
                        timezones=st.just(dt.UTC)),
    start=st.sampled_from(["20:00", "22:30", "00:00", "09:00", "01:00"]),
    end=st.sampled_from(["08:00", "06:15", "00:00", "17:00", "02:30"]),
    zone=st.sampled_from([ZONE, "America/New_York", "Asia/Kolkata", "Pacific/Auckland"]),
)
def test_allowed_time_is_never_in_quiet_hours_and_never_earlier(
    moment: dt.datetime, start: str, end: str, zone: str,
) -> None:
    allowed = allowed_time(moment, zone, start, end)
    assert allowed >= moment
    assert not in_quiet_hours(allowed, zone, start, end)
    if not in_quiet_hours(moment, zone, start, end):
        assert allowed == moment
    assert allowed - moment <= dt.timedelta(hours=25)


# --- 2. Reminders and closing -----------------------------------------------------------------


async def test_one_nudge_then_the_prompt_closes_and_a_late_message_is_told_so(
    harness: Harness,
) -> None:
    community = await seed.community(harness.db)
    eve, fay = await members(harness, community, 621, 622)
    event_day = day(7)
    await event_on(harness, community, event_day)
    due = at(event_day, "18:00")
    await tick(harness, due)
    await fay.tap(seed.MISSED)  # finished: never nudged
    marks = {p.user_id: len(p.inbox) for p in (eve, fay)}

    await tick(harness, due + dt.timedelta(hours=47))
    assert eve.texts_since(marks[eve.user_id]) == []
    report = await tick(harness, due + dt.timedelta(hours=48))
    assert report.reminded == 1
    nudge = eve.texts_since(marks[eve.user_id])
    assert len(nudge) == 1 and NUDGE in nudge[0] and "Winter Learning Session" in nudge[0]
    assert eve.last.buttons() == [texts.BTN_CONTINUE]
    for later in (49, 100, 160):
        await tick(harness, due + dt.timedelta(hours=later))
    assert len(received(eve, marks[eve.user_id], NUDGE)) == 1
    assert fay.texts_since(marks[fay.user_id]) == []

    report = await tick(harness, due + dt.timedelta(days=7))
    assert report.closed == 1
    assert sorted(p.status for p in await prompts(harness.db)) == ["closed", "not_attended"]
    replies = await eve.say("Sorry I'm late: it was great")
    assert replies == [texts.PROMPT_CLOSED]
    replies = await eve.tap(texts.BTN_CONTINUE)
    assert texts.PROMPT_CLOSED in replies[0]


async def test_a_member_who_starts_gets_the_nudge_with_a_way_back_in(harness: Harness) -> None:
    community = await seed.community(harness.db)
    (gus,) = await members(harness, community, 631)
    event_day = day(7)
    await event_on(harness, community, event_day)
    due = at(event_day, "18:00")
    await tick(harness, due)
    await gus.tap(seed.THERE)
    await gus.tap(texts.BTN_LATER)
    await tick(harness, due + dt.timedelta(hours=48))
    replies = await gus.tap(texts.BTN_CONTINUE)
    assert texts.WELCOME_BACK in replies[-1] and seed.asked("immediate.moment") in replies[-1]


# --- 3. Follow-ups that link the story --------------------------------------------------------


async def test_follow_ups_quote_the_members_own_words_and_share_the_story_id(
    harness: Harness,
) -> None:
    community = await seed.community(harness.db)
    ida, jon, kay = await members(harness, community, 641, 642, 643)
    event_day = day(7)
    event = await event_on(harness, community, event_day)
    await tick(harness, at(event_day, "18:00"))
    await seed.tell(ida, "The case discussion.", {}, "Try the <shared> clinic template", begin=False)
    await seed.tell(jon, "The case discussion.", {}, begin=False, stop=False)
    await kay.tap(seed.MISSED)
    marks = {p.user_id: len(p.inbox) for p in (ida, jon, kay)}

    ends = event.ends_at
    await tick(harness, ends + dt.timedelta(days=42) - dt.timedelta(minutes=1))
    assert all(p.texts_since(marks[p.user_id]) == [] for p in (ida, jon, kay))
    report = await tick(harness, ends + dt.timedelta(days=42))
    assert report.sent == 1
    (quote,) = ida.texts_since(marks[ida.user_id])
    assert "A few weeks ago you told me about Winter Learning Session" in quote
    assert "“Try the &lt;shared&gt; clinic template”" in quote
    assert jon.texts_since(marks[jon.user_id]) == [] and kay.texts_since(marks[kay.user_id]) == []
    await ida.say("We used it in two clinics.")
    await ida.tap(texts.BTN_NEXT)

    report = await tick(harness, ends + dt.timedelta(days=91))
    assert report.sent == 2
    for p in (ida, jon):
        assert received(p, marks[p.user_id], "three months since Winter Learning Session")
    assert kay.texts_since(marks[kay.user_id]) == []  # did not attend: nothing to look back on

    by_member: dict[int, set[str]] = {}
    for row in await prompts(harness.db):
        by_member.setdefault(row.member_id, set()).add(row.story_id)
    assert all(len(stories) == 1 for stories in by_member.values())
    kinds = sorted(row.kind for row in await prompts(harness.db))
    assert kinds == ["followup_applied", "followup_reframing", "followup_reframing",
                     "post_event", "post_event", "post_event"]


# --- 4. Durable: restarts, moved and cancelled events -----------------------------------------


async def test_work_due_while_down_is_done_within_its_window_else_recorded_missed(
    harness: Harness,
) -> None:
    community = await seed.community(harness.db)
    (lou,) = await members(harness, community, 651)
    old_day, recent_day = day(7), day(14)
    await event_on(harness, community, old_day, title="Old Session")
    await event_on(harness, community, recent_day, title="Recent Session")
    mark = len(lou.inbox)
    # The bot was down for nine days after the first event and comes back 3 days after the second.
    await harness.restart()
    report = await tick(harness, at(recent_day, "18:00") + dt.timedelta(days=3))
    assert report.sent == 1 and report.missed == 1
    assert received(lou, mark, "Recent Session") and not received(lou, mark, "Old Session")
    statuses = {p.event_id: p.status for p in await prompts(harness.db)}
    assert sorted(statuses.values()) == ["missed", "open"]


async def test_moved_and_cancelled_events_are_followed_without_a_restart(harness: Harness) -> None:
    community = await seed.community(harness.db)
    (max_,) = await members(harness, community, 661)
    event_day = day(7)
    moved = await event_on(harness, community, event_day, title="Moved Session")
    cancelled = await event_on(harness, community, event_day, "10:00", "11:00",
                               title="Cancelled Session")
    await tick(harness, at(event_day, "09:00"))  # both planned ahead
    assert [p.status for p in await prompts(harness.db)] == ["scheduled", "scheduled"]

    async with harness.db.session() as s:
        e = await s.get(Event, moved.id)
        c = await s.get(Event, cancelled.id)
        assert e is not None and c is not None
        e.starts_at += dt.timedelta(days=2)
        e.ends_at += dt.timedelta(days=2)
        c.cancelled_at = at(event_day, "09:30")

    mark = len(max_.inbox)
    report = await tick(harness, at(event_day, "18:00"))
    assert report.rescheduled == 1 and report.cancelled == 1 and report.sent == 0
    assert max_.texts_since(mark) == []
    await tick(harness, at(event_day + dt.timedelta(days=2), "17:59"))
    assert max_.texts_since(mark) == []
    await tick(harness, at(event_day + dt.timedelta(days=2), "18:00"))
    assert [t for t in max_.texts_since(mark) if "Session" in t] == [
        max_.texts_since(mark)[0]] and "Moved Session" in max_.texts_since(mark)[0]
    assert sorted(p.status for p in await prompts(harness.db)) == ["cancelled", "open"]


async def morning_and_afternoon(harness: Harness, user_id: int) -> tuple[Person, dt.date, int]:
    """A member of a community with two events on one day; where their chat stood before."""
    community = await seed.community(harness.db)
    (person,) = await members(harness, community, user_id)
    event_day = day(7)
    await event_on(harness, community, event_day, "10:00", "11:00", title="Morning Session")
    await event_on(harness, community, event_day, "14:00", "16:00", title="Afternoon Session")
    return person, event_day, len(person.inbox)


async def test_a_second_event_waits_until_the_first_conversation_is_finished(
    harness: Harness,
) -> None:
    ned, event_day, mark = await morning_and_afternoon(harness, 671)
    await tick(harness, at(event_day, "13:00"))
    await ned.tap(seed.THERE)
    report = await tick(harness, at(event_day, "18:00"))
    assert report.queued == 1 and report.sent == 0
    assert not received(ned, mark, "Afternoon Session")
    await ned.say("/stop")
    # Still due, not opened unseen: the next run sends it, with its own reminder and window.
    report = await tick(harness, at(event_day, "18:01"))
    assert report.sent == 1
    assert seed.asked("attended", "Afternoon Session") in ned.last.text
    assert len(received(ned, mark, "Afternoon Session")) == 1


async def test_a_member_who_never_finishes_the_first_is_still_asked_about_the_second(
    harness: Harness,
) -> None:
    ola, event_day, mark = await morning_and_afternoon(harness, 672)
    await tick(harness, at(event_day, "13:00"))  # asked about the morning; never answers
    await tick(harness, at(event_day, "18:00"))  # the afternoon waits its turn
    assert not received(ola, mark, "Afternoon Session")
    morning_closes = at(event_day, "13:00") + dt.timedelta(days=7)
    await tick(harness, morning_closes + dt.timedelta(minutes=1))
    await tick(harness, morning_closes + dt.timedelta(minutes=2))
    assert any(seed.asked("attended", "Afternoon Session") in t for t in ola.texts_since(mark))
    async with harness.db.session() as s:
        afternoon = await s.scalar(select(Prompt).join(Event).where(
            Event.title == "Afternoon Session"))
    assert afternoon is not None and afternoon.status == "open"


# --- 5. Exactly once across processes ---------------------------------------------------------


async def test_two_schedulers_on_one_postgres_send_each_member_one_prompt(
    harness: Harness, database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("two processes sharing work needs PostgreSQL")
    community = await seed.community(harness.db)
    people = await members(harness, community, *range(700, 730))
    event_day = day(7)
    await event_on(harness, community, event_day)
    marks = {p.user_id: len(p.inbox) for p in people}
    other = Harness(harness.settings, Database(database_url), harness.double)
    await other.start()
    try:
        due = at(event_day, "18:00")
        reports = await asyncio.gather(
            *(scheduler.tick(h.db, TelegramSender(h.app.bot, rate=0), due, worker=f"w{i}",
                             batch=1 + i)
              for i, h in enumerate((harness, other, harness, other)))
        )
    finally:
        await other.stop()
        await other.db.dispose()
    assert sum(r.sent for r in reports) == len(people)
    assert [len(received(p, marks[p.user_id], ATTENDANCE)) for p in people] == [1] * len(people)
    async with harness.db.session() as s:
        claims = (await s.scalars(select(Delivery.claimed_by))).all()
    assert len(claims) == len(people)  # one claim per prompt, whichever process won it


# --- 6. Telegram's limits and errors ----------------------------------------------------------


def answer_once(chat_id: int, status: int, body: dict[str, Any]) -> Any:
    fired: list[int] = []

    def rule(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method == "sendMessage" and int(params["chat_id"]) == chat_id and not fired:
            fired.append(1)
            return status, body
        return None

    return rule


async def test_blocked_member_is_marked_unreachable_and_left_alone_until_they_write(
    harness: Harness,
) -> None:
    community = await seed.community(harness.db)
    (ola,) = await members(harness, community, 681)
    first, second, third = day(7), day(10), day(12)
    await event_on(harness, community, first, title="First Session")
    await event_on(harness, community, second, title="Second Session")
    await event_on(harness, community, third, title="Third Session")

    def blocked(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        if method == "sendMessage" and int(params["chat_id"]) == ola.user_id:
            return 403, {"ok": False, "error_code": 403,
                         "description": "Forbidden: bot was blocked by the user"}
        return None

    harness.double.rules.append(blocked)
    before = METRICS.value("valuestory_prompts_unreachable_total")
    report = await tick(harness, at(first, "18:00"))
    assert report.unreachable == 1
    assert METRICS.value("valuestory_prompts_unreachable_total") == before + 1
    async with harness.db.session() as s:
        member = (await s.scalars(select(Member))).one()
        assert member.unreachable_at == at(first, "18:00")
    calls = harness.double.count("sendMessage")
    await tick(harness, at(first, "18:00") + dt.timedelta(hours=48))  # no nudge to a blocked chat
    await tick(harness, at(second, "18:00"))  # and no new prompt
    assert harness.double.count("sendMessage") == calls

    harness.double.rules.remove(blocked)
    replies = await ola.say("/start")  # they unblocked us and wrote: the open prompt is back
    assert seed.asked("attended", "First Session") in replies[-1]
    await tick(harness, at(third, "18:00"))
    await ola.tap(seed.MISSED)
    await tick(harness, at(third, "18:01"))  # the third waited its turn, and goes now
    assert seed.asked("attended", "Third Session") in ola.last.text


async def test_server_errors_and_safe_timeouts_are_retried_and_arrive_once(
    harness: Harness,
) -> None:
    community = await seed.community(harness.db)
    pam, quin, ray, sue = await members(harness, community, 691, 692, 693, 694)
    event_day = day(7)
    await event_on(harness, community, event_day)
    harness.double.rules.append(answer_once(
        pam.user_id, 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}))
    harness.double.rules.append(answer_once(
        quin.user_id, 429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
                            "parameters": {"retry_after": 0.01}}))

    def refused_connection(method: str, params: dict[str, Any]) -> None:
        if method == "sendMessage" and int(params["chat_id"]) == ray.user_id and not seen_ray:
            seen_ray.append(1)
            raise TimedOut() from httpx.ConnectTimeout("connect")

    def lost_reply(method: str, params: dict[str, Any]) -> None:
        if method == "sendMessage" and int(params["chat_id"]) == sue.user_id and not seen_sue:
            seen_sue.append(1)
            raise TimedOut() from httpx.ReadTimeout("read")

    seen_ray: list[int] = []
    seen_sue: list[int] = []
    harness.double.rules += [refused_connection, lost_reply]  # type: ignore[list-item]
    marks = {p.user_id: len(p.inbox) for p in (pam, quin, ray, sue)}
    report = await tick(harness, at(event_day, "18:00"))
    assert report.sent == 3 and report.uncertain == 1
    for p in (pam, quin, ray):
        assert len(received(p, marks[p.user_id], ATTENDANCE)) == 1
    # A read timeout may have been delivered: it is recorded uncertain and never sent again;
    # the member is asked once more by a message that reads well either way.
    assert sue.texts_since(marks[sue.user_id]) == []
    await tick(harness, at(event_day, "19:00"))
    (again,) = sue.texts_since(marks[sue.user_id])
    assert again.startswith(texts.IN_CASE.partition(":")[0].format(event="Winter Learning Session"))
    await tick(harness, at(event_day + dt.timedelta(days=2), "19:00"))  # no reminder after it
    assert sue.texts_since(marks[sue.user_id]) == [again]
    async with harness.db.session() as s:
        outcomes = sorted((await s.execute(select(Delivery.purpose, Delivery.status))).all())
    assert outcomes == [("again", "sent"), ("prompt", "sent"), ("prompt", "sent"),
                        ("prompt", "sent"), ("prompt", "uncertain"), ("reminder", "sent"),
                        ("reminder", "sent"), ("reminder", "sent")]


async def test_the_scheduler_looks_at_once_when_the_bot_starts(harness: Harness) -> None:
    queue = harness.app.job_queue
    assert queue is not None
    await queue.start()
    try:
        (first,) = queue.get_jobs_by_name(START_JOB_NAME)
        (repeating,) = queue.get_jobs_by_name(JOB_NAME)
        now = dt.datetime.now(dt.UTC)
        # Due now (a one-off whose time has come), not one interval after start.
        assert first.next_t is not None and first.next_t <= now + dt.timedelta(seconds=1)
        assert repeating.next_t is not None and repeating.next_t > now + dt.timedelta(seconds=20)
    finally:
        await queue.stop(wait=False)


async def test_the_job_runs_at_once_on_start_and_no_exception_escapes_it(
    harness: Harness, tmp_path: Any,
) -> None:
    (job,) = harness.app.job_queue.get_jobs_by_name(JOB_NAME)  # type: ignore[union-attr]
    assert job.data is None  # carries no objects: everything it needs is in the database
    trigger = job.job.trigger
    assert trigger.interval == dt.timedelta(seconds=30)
    broken = Database(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")  # no tables at all
    harness.app.bot_data.db = broken
    try:
        await on_tick(CallbackContext.from_job(job, harness.app))  # logs, does not raise
    finally:
        harness.app.bot_data.db = harness.db
        await broken.dispose()
    assert METRICS.last_tick_at is not None


# --- 7. Pause and resume ----------------------------------------------------------------------


async def test_members_pause_and_resume_per_community_or_for_all(harness: Harness) -> None:
    north = await seed.community(harness.db, "North Network")
    south = await seed.community(harness.db, "South Network")
    tom = harness.person(751)
    await seed.join(tom, north)
    await tom.say(f"/start {south.invite_code}")  # consent already given: joins at once
    replies = await tom.say("/pause")
    assert texts.PAUSE_WHICH in replies[-1]
    assert tom.last.buttons() == ["North Network", "South Network", texts.BTN_ALL_COMMUNITIES]
    replies = await tom.tap("North Network")
    assert texts.PAUSED_ONE.format(community="North Network") in replies[-1]

    event_day = day(7)
    await event_on(harness, north, event_day, title="North Session")
    await event_on(harness, south, event_day, title="South Session")
    mark = len(tom.inbox)
    await tick(harness, at(event_day, "18:00"))
    assert received(tom, mark, "South Session") and not received(tom, mark, "North Session")
    await tom.tap(seed.THERE)
    await tom.say("/stop")

    replies = await tom.say("/pause")
    replies = await tom.tap(texts.BTN_ALL_COMMUNITIES)
    assert texts.PAUSED_ALL in replies[-1]
    event_day2 = day(9)
    await event_on(harness, south, event_day2, title="Second South Session")
    mark = len(tom.inbox)
    await tick(harness, at(event_day2, "18:00"))
    assert tom.texts_since(mark) == []

    replies = await tom.say("/resume")
    assert tom.last.buttons() == ["North Network", "South Network", texts.BTN_ALL_COMMUNITIES]
    replies = await tom.tap("South Network")
    assert texts.RESUMED_ONE.format(community="South Network") in replies[-1]
    await tick(harness, at(event_day2, "18:05"))
    assert not received(tom, mark, "Second South Session")  # paused at its due time: not asked
    event_day3 = day(11)
    await event_on(harness, north, event_day3, title="Third North Session")
    await event_on(harness, south, event_day3, "10:00", "11:00", title="Third South Session")
    await tick(harness, at(event_day3, "18:00"))
    assert received(tom, mark, "Third South Session") and not received(tom, mark, "Third North")
    replies = await tom.say("/resume")
    assert texts.RESUMED_ONE.format(community="North Network") in replies[-1]
    replies = await tom.say("/resume")
    assert texts.NOT_PAUSED in replies[-1]


# --- 8. The weekly digest trigger -------------------------------------------------------------


async def test_weekly_digest_is_handed_off_exactly_once_a_week_per_community(
    harness: Harness, database_url: str,
) -> None:
    community = await seed.community(harness.db)
    calls: list[tuple[int, dt.datetime]] = []

    async def digest(community_id: int, now: dt.datetime) -> None:
        calls.append((community_id, now))

    monday = day(1)
    while monday.weekday() != 0:
        monday += dt.timedelta(days=1)
    await tick(harness, at(monday, "08:59"), on_digest_due=digest)
    assert calls == []
    second_db = Database(database_url)
    try:
        await asyncio.gather(
            tick(harness, at(monday, "09:00"), on_digest_due=digest),
            scheduler.tick(second_db, TelegramSender(harness.app.bot, rate=0), at(monday, "09:00"),
                           on_digest_due=digest),
        )
    finally:
        await second_db.dispose()
    await tick(harness, at(monday, "09:30"), on_digest_due=digest)
    await tick(harness, at(monday + dt.timedelta(days=3), "09:00"), on_digest_due=digest)
    assert calls == [(community.id, at(monday, "09:00"))]
    await tick(harness, at(monday + dt.timedelta(days=7), "09:01"), on_digest_due=digest)
    assert [c[1] for c in calls] == [at(monday, "09:00"), at(monday + dt.timedelta(days=7), "09:01")]
    async with harness.db.session() as s:
        keys = (await s.scalars(select(SchedulerState.key).where(
            SchedulerState.key.like("digest:%")))).all()
    assert len(keys) == 2


async def test_a_failing_digest_does_not_stop_the_prompts(harness: Harness) -> None:
    community = await seed.community(harness.db)
    (uma,) = await members(harness, community, 761)
    monday = day(7)
    while monday.weekday() != 0:
        monday += dt.timedelta(days=1)
    await event_on(harness, community, monday - dt.timedelta(days=1))

    async def broken(community_id: int, now: dt.datetime) -> None:
        raise RuntimeError("digest broke")

    mark = len(uma.inbox)
    report = await tick(harness, at(monday, "09:00"), on_digest_due=broken)
    assert report.errors == ["RuntimeError"] and report.sent == 1
    assert received(uma, mark, ATTENDANCE)



async def test_a_communitys_own_delay_reminder_and_window_are_used(harness: Harness) -> None:
    community = await seed.community(harness.db)
    (vic,) = await members(harness, community, 771)
    async with harness.db.session() as s:
        c = await s.get(Community, community.id)
        assert c is not None
        c.prompt_delay_minutes, c.reminder_after_hours, c.window_days = 30, 24, 3
        c.quiet_start = c.quiet_end = "00:00"  # quiet hours off
    event_day = day(7)
    await event_on(harness, community, event_day, "20:00", "22:00")
    mark = len(vic.inbox)
    await tick(harness, at(event_day, "22:29"))
    assert vic.texts_since(mark) == []
    await tick(harness, at(event_day, "22:30"))
    assert received(vic, mark, ATTENDANCE)
    await tick(harness, at(event_day, "22:30") + dt.timedelta(hours=24))
    assert received(vic, mark, NUDGE)
    report = await tick(harness, at(event_day, "22:30") + dt.timedelta(days=3))
    assert report.closed == 1
