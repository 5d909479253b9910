"""The scheduler's statements: who may be asked, planning and closing prompts, claiming and
recording deliveries, leases and what a stopped process left (its prompts, checks and notices).

Each is a step of one of the scheduler's units of work, run by the door that owns it (`plan`,
`fanout`, `claims`, `notices`, `tick`). Claims and putting on the wire are conditional updates
of one row, so with two processes exactly one of them wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, and_, bindparam, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from flows.questions import PromptKind
from storage.db import Database
from storage.models import (
    Check,
    CheckStatus,
    Community,
    Delivery,
    Event,
    Invitation,
    Member,
    MemberEmail,
    Membership,
    Narrative,
    Notice,
    Prompt,
    PromptStatus,
    SchedulerState,
)
from valuestory.usecases.scheduler.model import HEARTBEAT, Outcome

DUE, CLAIMED, SENDING, UNCERTAIN = "due", "claimed", "sending", "uncertain"
LEASE_PREFIX = "lease:"


def insert_new(db: Database, table: Any) -> Any:
    """An INSERT that skips rows a unique constraint already holds (another process won)."""
    if db.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def eligible() -> Any:
    """Active, consented members: membership held, nothing paused, still reachable."""
    return and_(
        Membership.paused.is_(False), Member.paused.is_(False), Member.unreachable_at.is_(None)
    )


def askable(c: Community, due: dt.datetime) -> Any:
    """Members of `c` asked about an event due at `due`: eligible, and joined by then.

    Someone who joins after a prompt fell due is not asked about that event.
    """
    return and_(Membership.community_id == c.id, Membership.joined_at <= due, eligible())


def answered() -> Any:
    """Whether the member has already acted on the prompt: then its opening surely arrived."""
    return or_(Prompt.attended.is_not(None),
               exists().where(Narrative.prompt_id == Prompt.id))


def in_doubt() -> Any:
    """A prompt whose opening may not have arrived, and whose "in case" message is not yet sent."""
    return (exists().where(Delivery.prompt_id == Prompt.id, Delivery.purpose == "prompt",
                           Delivery.status == Outcome.UNCERTAIN)
            & ~exists().where(Delivery.prompt_id == Prompt.id, Delivery.purpose == "again"))


# Leases, the heartbeat, the digest's hand-off.

async def renew_lease(db: Database, session: AsyncSession, worker: str, at: dt.datetime) -> None:
    key = LEASE_PREFIX + worker
    await session.execute(insert_new(db, SchedulerState).values(key=key, value=worker, at=at))
    await session.execute(update(SchedulerState)
                          .where(SchedulerState.key == key, SchedulerState.at < at)
                          .values(at=at))


def leases_alive(now: dt.datetime, lease: dt.timedelta, worker: str) -> Select[Any]:
    """The other processes whose lease still holds: their claims are their own."""
    return select(SchedulerState.value).where(
        SchedulerState.key.startswith(LEASE_PREFIX), SchedulerState.at > now - lease,
        SchedulerState.value.is_not(None), SchedulerState.value != worker)


async def forget_leases(session: AsyncSession, before: dt.datetime) -> None:
    await session.execute(
        delete(SchedulerState).where(SchedulerState.key.startswith(LEASE_PREFIX),
                                     SchedulerState.at < before)
        .execution_options(synchronize_session=False))


async def beat(db: Database, session: AsyncSession, now: dt.datetime) -> None:
    await session.execute(
        insert_new(db, SchedulerState).values(key=HEARTBEAT, value="planned", at=now))
    # Several processes may beat at once: the mark only ever moves forward.
    await session.execute(
        update(SchedulerState)
        .where(SchedulerState.key == HEARTBEAT, SchedulerState.at < now)
        .values(at=now))


async def last_tick(session: AsyncSession) -> dt.datetime | None:
    heartbeat = await session.get(SchedulerState, HEARTBEAT)
    return heartbeat.at if heartbeat is not None else None


async def hand_off(db: Database, session: AsyncSession, key: str, value: str,
                   now: dt.datetime) -> bool:
    """Mark a round (a week's digest) handed off; False if this or another process already did."""
    inserted = await session.execute(
        insert_new(db, SchedulerState).values(key=key, value=value, at=now))
    return bool(inserted.rowcount)  # type: ignore[attr-defined]


async def communities(session: AsyncSession) -> list[Community]:
    return list((await session.scalars(select(Community))).all())


# Planning and closing prompts.

async def events_to_plan(session: AsyncSession, community_id: int, since: dt.datetime,
                         until: dt.datetime) -> list[Event]:
    """The community's events not cancelled that ended between `since` and `until`."""
    return list((await session.scalars(select(Event).where(
        Event.community_id == community_id, Event.cancelled_at.is_(None),
        Event.ends_at >= since, Event.ends_at <= until,
    ))).all())


async def askable_not_yet_asked(session: AsyncSession, c: Community, due: dt.datetime,
                                event_id: int, kind: str) -> list[int]:
    """Members of `c` to ask about the event (askable at `due`) with no prompt of this kind yet."""
    already = exists().where(
        Prompt.member_id == Member.id, Prompt.event_id == event_id, Prompt.kind == kind)
    return list((await session.scalars(
        select(Member.id).join(Membership, Membership.member_id == Member.id)
        .where(askable(c, due), ~already))).all())


async def stories_followed(session: AsyncSession, event_id: int, intended: bool) -> dict[int, str]:
    """The story of each member whose first prompt about the event is followed up: those who
    said what they might do (`intended`, the follow-up quotes their own words), else those who
    attended."""
    first = select(Prompt.member_id, Prompt.story_id).where(
        Prompt.event_id == event_id, Prompt.kind == PromptKind.POST_EVENT)
    if intended:
        first = first.where(exists().where(
            Narrative.prompt_id == Prompt.id, Narrative.intended.is_(True), Narrative.text != ""))
    else:
        first = first.where(Prompt.attended.is_(True))
    return {m: s for m, s in (await session.execute(first)).all()}


async def add_prompts(db: Database, session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert the prompts, skipping any another process planned first."""
    for start in range(0, len(rows), 1000):
        await session.execute(insert_new(db, Prompt), rows[start:start + 1000])


async def cancel_for_cancelled_events(session: AsyncSession, now: dt.datetime) -> int:
    gone = await session.execute(
        update(Prompt)
        .where(Prompt.status == PromptStatus.SCHEDULED,
               Prompt.event_id.in_(select(Event.id).where(Event.cancelled_at.is_not(None))))
        .values(status=PromptStatus.CANCELLED, finished_at=now)
        .execution_options(synchronize_session=False))
    return gone.rowcount or 0  # type: ignore[attr-defined]


async def moved_since_planned(session: AsyncSession) -> list[tuple[Prompt, Event, Community]]:
    """Scheduled prompts whose event changed after they were planned, with it and its community."""
    rows = (await session.execute(
        select(Prompt, Event, Community)
        .join(Event, Event.id == Prompt.event_id)
        .join(Community, Community.id == Prompt.community_id)
        .where(Prompt.status == PromptStatus.SCHEDULED, Event.updated_at > Prompt.updated_at)
    )).all()
    return [(p, e, c) for p, e, c in rows]


async def close_prompts(session: AsyncSession, now: dt.datetime) -> tuple[int, int]:
    """Prompts past their window: never sent are missed, open are closed. (missed, closed)"""
    missed = await session.execute(
        update(Prompt)
        .where(Prompt.status == PromptStatus.SCHEDULED, Prompt.closes_at <= now)
        .values(status=PromptStatus.MISSED, finished_at=now)
        .execution_options(synchronize_session=False))
    closed = await session.execute(
        update(Prompt)
        .where(Prompt.status == PromptStatus.OPEN, Prompt.closes_at <= now)
        .values(status=PromptStatus.CLOSED, finished_at=now, remind_at=None, held_message=None)
        .execution_options(synchronize_session=False))
    return missed.rowcount or 0, closed.rowcount or 0  # type: ignore[attr-defined]


async def close_checks(session: AsyncSession, now: dt.datetime) -> tuple[int, int]:
    """Members' checks past their window, as prompts. (missed, closed)"""
    missed = await session.execute(
        update(Check)
        .where(Check.status == CheckStatus.SCHEDULED, Check.closes_at <= now)
        .values(status=CheckStatus.MISSED, finished_at=now)
        .execution_options(synchronize_session=False))
    closed = await session.execute(
        update(Check)
        .where(Check.status == CheckStatus.OPEN, Check.closes_at <= now)
        .values(status=CheckStatus.CLOSED, finished_at=now, waiting_id=None)
        .execution_options(synchronize_session=False))
    return missed.rowcount or 0, closed.rowcount or 0  # type: ignore[attr-defined]


# What is due: one row per message, (id, member, chat, community, member's language).

# The chat is None for a member asked by email, who has no Telegram.
Row = tuple[int, int, Any, int, str]


def _active(channel: str) -> Any:
    """Prompts of eligible members asked through `channel` (Telegram, or email)."""
    return (
        select(Prompt.id, Prompt.member_id, Member.chat_id, Prompt.community_id, Member.language)
        .join(Member, Member.id == Prompt.member_id)
        .join(Membership, and_(Membership.member_id == Prompt.member_id,
                               Membership.community_id == Prompt.community_id))
        .where(eligible(), Member.channel == channel)
    )


def _stopped(model: Any) -> Any:
    """Rows of `model` (a prompt or a check) whose member withdrew or paused since planning."""
    return (select(model.id)
            .join(Member, Member.id == model.member_id)
            .outerjoin(Membership, and_(Membership.member_id == model.member_id,
                                        Membership.community_id == model.community_id))
            .where((Membership.id.is_(None)) | Membership.paused.is_(True)
                   | Member.paused.is_(True)))


def _rows(found: Any) -> list[Row]:
    return [(a, b, c, d, e) for a, b, c, d, e in found]


async def cancel_stopped_prompts(session: AsyncSession, now: dt.datetime) -> int:
    """Due prompts of members who withdrew or paused since planning: cancelled. How many."""
    stopped = (await session.scalars(_stopped(Prompt).where(
        Prompt.status == PromptStatus.SCHEDULED, Prompt.due_at <= now))).all()
    if stopped:
        await session.execute(
            update(Prompt).where(Prompt.id.in_(stopped))
            .values(status=PromptStatus.CANCELLED, finished_at=now)
            .execution_options(synchronize_session=False))
    return len(stopped)


async def due_prompts(session: AsyncSession, now: dt.datetime, channel: str) -> list[Row]:
    return _rows((await session.execute(
        _active(channel).where(Prompt.status == PromptStatus.SCHEDULED, Prompt.due_at <= now)
        .order_by(Prompt.due_at, Prompt.id))).all())


async def due_reminders(session: AsyncSession, now: dt.datetime, channel: str) -> list[Row]:
    return _rows((await session.execute(
        _active(channel).where(
            Prompt.status == PromptStatus.OPEN, Prompt.remind_at <= now, Prompt.closes_at > now,
            # Only nudge about a prompt the member was actually sent.
            exists().where(Delivery.prompt_id == Prompt.id, Delivery.purpose == "prompt",
                           Delivery.status == Outcome.SENT),
        ).order_by(Prompt.remind_at, Prompt.id))).all())


async def due_again(session: AsyncSession, now: dt.datetime, channel: str) -> list[Row]:
    return _rows((await session.execute(
        _active(channel).where(
            Prompt.status == PromptStatus.OPEN, in_doubt(),
            or_(Prompt.closes_at.is_(None), Prompt.closes_at > now),
        ).order_by(Prompt.id))).all())


async def cancel_stopped_checks(session: AsyncSession, now: dt.datetime) -> int:
    """Due checks of members who withdrew or paused since the share: cancelled. How many."""
    stopped = (await session.scalars(_stopped(Check).where(
        Check.status == CheckStatus.SCHEDULED, Check.due_at <= now))).all()
    if stopped:
        await session.execute(
            update(Check).where(Check.id.in_(stopped))
            .values(status=CheckStatus.CANCELLED, finished_at=now)
            .execution_options(synchronize_session=False))
    return len(stopped)


async def due_checks(session: AsyncSession, now: dt.datetime, channel: str) -> list[Row]:
    """Members' checks due now, of eligible members asked through `channel`."""
    return _rows((await session.execute(
        select(Check.id, Check.member_id, Member.chat_id, Check.community_id, Member.language)
        .join(Member, Member.id == Check.member_id)
        .join(Membership, and_(Membership.member_id == Check.member_id,
                               Membership.community_id == Check.community_id))
        .where(eligible(), Member.channel == channel, Check.status == CheckStatus.SCHEDULED,
               Check.due_at <= now)
        .order_by(Check.due_at, Check.id))).all())


async def busy_members(session: AsyncSession) -> set[int]:
    """Members with a conversation open."""
    return set((await session.scalars(
        select(Prompt.member_id).where(Prompt.status == PromptStatus.OPEN).distinct())).all())


# Claiming, putting on the wire, recording.

async def claim_prompts(session: AsyncSession, ids: Iterable[int]) -> list[Prompt]:
    """The scheduled prompts among these, locked; one missing: another process has it, or it
    changed since the tick looked."""
    return list((await session.scalars(
        select(Prompt).where(Prompt.id.in_(list(ids)), Prompt.status == PromptStatus.SCHEDULED)
        .order_by(Prompt.id).with_for_update(skip_locked=True))).all())


async def claim_reminder(session: AsyncSession, prompt_id: int, now: dt.datetime) -> Prompt | None:
    """The open prompt, locked, if its reminder is due."""
    return await session.scalar(
        select(Prompt).where(Prompt.id == prompt_id, Prompt.status == PromptStatus.OPEN,
                             Prompt.remind_at.is_not(None), Prompt.remind_at <= now)
        .with_for_update(skip_locked=True))


async def claim_in_doubt(session: AsyncSession, prompt_id: int) -> Prompt | None:
    """The open prompt, locked, if its opening is in doubt and no "in case" went yet."""
    return await session.scalar(
        select(Prompt).where(Prompt.id == prompt_id, Prompt.status == PromptStatus.OPEN,
                             in_doubt())
        .with_for_update(skip_locked=True))


async def has_answered(session: AsyncSession, prompt_id: int) -> bool:
    return bool(await session.scalar(select(answered()).where(Prompt.id == prompt_id)))


async def claim_check(session: AsyncSession, check_id: int | None) -> Check | None:
    return await session.scalar(
        select(Check).where(Check.id == check_id, Check.status == CheckStatus.SCHEDULED)
        .with_for_update(skip_locked=True))


# What is sent after a claim: a prompt's delivery, a notice, an invitation's email.
Sends = type[Delivery] | type[Notice] | type[Invitation]


async def put_on_wire(session: AsyncSession, sends: Sends, send_id: int, worker: str,
                      now: dt.datetime) -> bool:
    """Mark a claimed send on the wire, from when it may have arrived; False if our claim was
    taken from us."""
    marked = await session.execute(
        update(sends).where(sends.id == send_id, sends.status == CLAIMED, sends.claimed_by == worker)
        .values(status=SENDING, wire_at=now).execution_options(synchronize_session=False))
    return bool(marked.rowcount)  # type: ignore[attr-defined]


async def record_outcome(session: AsyncSession, sends: Sends, send_id: int,
                         values: dict[str, Any]) -> None:
    """Write how a send on the wire went; one no longer on the wire is left as it is."""
    await session.execute(
        update(sends).where(sends.id == send_id, sends.status == SENDING)
        .values(**values).execution_options(synchronize_session=False))


async def delivery_on_wire(session: AsyncSession, delivery_id: int, worker: str,
                           now: dt.datetime) -> bool:
    """Mark a delivery on the wire; False if our claim was taken from us."""
    return await put_on_wire(session, Delivery, delivery_id, worker, now)


async def record_delivery(session: AsyncSession, delivery_id: int, values: dict[str, Any],
                          unreachable: int | None, now: dt.datetime) -> None:
    """Write how a send went; `unreachable`: the member who blocked the bot, marked so."""
    await record_outcome(session, Delivery, delivery_id, values)
    if unreachable is not None:
        await session.execute(
            update(Member).where(Member.id == unreachable).values(unreachable_at=now)
            .execution_options(synchronize_session=False))


async def record_deliveries(conn: AsyncConnection, outcomes: Sequence[tuple[int, dict[str, Any]]],
                            unreachable: Sequence[int], now: dt.datetime) -> None:
    """Write how several sends went in one statement (on a connection committing as it runs);
    `unreachable`: members who blocked the bot, marked so."""
    rows = [{"d_id": delivery_id, "d_status": v["status"], "d_error": v["error"],
             "d_sent_at": v.get("sent_at"), "d_message_id": v.get("telegram_message_id")}
            for delivery_id, v in outcomes]
    await conn.execute(
        update(Delivery).where(Delivery.id == bindparam("d_id"), Delivery.status == SENDING)
        .values(status=bindparam("d_status"), error=bindparam("d_error"),
                sent_at=bindparam("d_sent_at"), telegram_message_id=bindparam("d_message_id")),
        rows)
    if unreachable:
        await conn.execute(update(Member).where(Member.id.in_(unreachable))
                           .values(unreachable_at=now))


async def give_back_delivery(session: AsyncSession, delivery_id: int, worker: str) -> None:
    """A send on the wire that surely did not arrive: the claim goes, and what it was for is due
    again as before it."""
    released = (await session.execute(
        delete(Delivery).where(Delivery.id == delivery_id, Delivery.status == SENDING,
                               Delivery.claimed_by == worker)
        .returning(Delivery.prompt_id, Delivery.purpose, Delivery.claimed_at, Delivery.check_id)
        .execution_options(synchronize_session=False))).all()
    await _due_again_as_before(session, [(r[0], r[1], r[2], r[3]) for r in released])


async def release_deliveries(session: AsyncSession, alive: Select[Any], worker: str) -> int:
    """Claims of stopped processes (and this one's) that never left: gone, and what they were
    for due again as before them. How many."""
    orphan = or_(Delivery.claimed_by == worker, Delivery.claimed_by.not_in(alive))
    released = (await session.execute(
        delete(Delivery).where(Delivery.status == CLAIMED, orphan)
        .returning(Delivery.prompt_id, Delivery.purpose, Delivery.claimed_at, Delivery.check_id)
        .execution_options(synchronize_session=False))).all()
    await _due_again_as_before(session, [(r[0], r[1], r[2], r[3]) for r in released])
    return len(released)


async def deliveries_in_doubt(session: AsyncSession, alive: Select[Any], worker: str) -> list[str]:
    """Sends of stopped processes that were on the wire: uncertain now. Their purposes."""
    orphan = or_(Delivery.claimed_by == worker, Delivery.claimed_by.not_in(alive))
    return list((await session.execute(
        update(Delivery).where(Delivery.status == SENDING, orphan)
        .values(status=Outcome.UNCERTAIN, error="on the wire when its process stopped")
        .returning(Delivery.purpose)
        .execution_options(synchronize_session=False))).scalars().all())


async def _due_again_as_before(
        session: AsyncSession,
        released: list[tuple[int | None, str, dt.datetime, int | None]]) -> None:
    """Claims (prompt id, purpose, claimed at, check id) given back unsent: due again as before."""
    openings = [prompt for prompt, purpose, _, _ in released if purpose == "prompt"]
    if openings:
        # Nothing reached the member: the prompt is as it was before it was claimed.
        await session.execute(
            update(Prompt).where(Prompt.id.in_(openings), Prompt.status == PromptStatus.OPEN)
            .values(status=PromptStatus.SCHEDULED, opened_at=None, remind_at=None,
                    question_id=None, fresh=True, held=False, held_message=None, attended=None)
            .execution_options(synchronize_session=False))
    for prompt, purpose, claimed_at, _ in released:
        if purpose == "reminder":
            await session.execute(
                update(Prompt).where(Prompt.id == prompt, Prompt.status == PromptStatus.OPEN)
                .values(remind_at=claimed_at).execution_options(synchronize_session=False))
    checks = [check for _, purpose, _, check in released if purpose == "check"]
    if checks:
        # A members' check that never left is to be sent as it was planned.
        await session.execute(
            update(Check).where(Check.id.in_(checks), Check.status == CheckStatus.OPEN)
            .values(status=CheckStatus.SCHEDULED, opened_at=None, waiting_id=None)
            .execution_options(synchronize_session=False))
    # An "again" given back needs nothing: its opening is still in doubt, so it is due again.


# Notices.


async def community(session: AsyncSession, community_id: int) -> Community | None:
    return await session.get(Community, community_id)


async def add_due(db: Database, session: AsyncSession, kind: str, community_id: int, round: str,
                  people: Iterable[int], details: dict[str, Any]) -> None:
    """A due notice for each person, unless this round already has theirs."""
    rows = [{"kind": kind, "community_id": community_id, "round": round,
             "telegram_user_id": person, "status": DUE, "again": False, "details": details}
            for person in people]
    if rows:
        await session.execute(insert_new(db, Notice).values(rows))


async def claim_due(session: AsyncSession, worker: str, now: dt.datetime, kinds: Sequence[str],
                    community_id: int | None, round: str | None) -> list[Notice]:
    """Claim the due notices of these kinds (of one community and round, if given), oldest first."""
    query = (select(Notice).where(Notice.status == DUE, Notice.kind.in_(kinds))
             .order_by(Notice.id).with_for_update(skip_locked=True))
    if community_id is not None:
        query = query.where(Notice.community_id == community_id)
    if round is not None:
        query = query.where(Notice.round == round)
    found = list((await session.scalars(query)).all())
    for notice in found:
        notice.status, notice.claimed_by, notice.claimed_at = CLAIMED, worker, now
    return found


async def on_wire(session: AsyncSession, notice_id: int, worker: str, now: dt.datetime) -> bool:
    return await put_on_wire(session, Notice, notice_id, worker, now)


async def record(session: AsyncSession, notice_id: int, values: dict[str, Any]) -> None:
    await record_outcome(session, Notice, notice_id, values)


async def give_back(session: AsyncSession, ids: Sequence[int], worker: str) -> None:
    """Claims that surely did not arrive (on the wire or not): due again, as before them."""
    await session.execute(
        update(Notice).where(Notice.id.in_(ids), Notice.status.in_((CLAIMED, SENDING)),
                             Notice.claimed_by == worker)
        .values(status=DUE, claimed_by=None, claimed_at=None, wire_at=None)
        .execution_options(synchronize_session=False))


async def recover(session: AsyncSession, alive: Select[Any], worker: str) -> tuple[int, list[str]]:
    """A stopped process's notices: claims due again (how many), those on the wire in doubt (kinds).

    In doubt, a notice is due once more as its "in case" version; an "in case" in doubt is left.
    """
    orphan = or_(Notice.claimed_by == worker, Notice.claimed_by.not_in(alive))
    released = (await session.execute(
        update(Notice).where(Notice.status == CLAIMED, orphan)
        .values(status=DUE, claimed_by=None, claimed_at=None)
        .returning(Notice.id).execution_options(synchronize_session=False))).all()
    again = (await session.execute(
        update(Notice).where(Notice.status == SENDING, Notice.again.is_(False), orphan)
        .values(status=DUE, again=True, claimed_by=None, claimed_at=None,
                error="on the wire when its process stopped")
        .returning(Notice.kind).execution_options(synchronize_session=False))).scalars().all()
    left = (await session.execute(
        update(Notice).where(Notice.status == SENDING, Notice.again.is_(True), orphan)
        .values(status=UNCERTAIN, error="on the wire when its process stopped")
        .returning(Notice.kind).execution_options(synchronize_session=False))).scalars().all()
    return len(released), [*again, *left]


# --- Emails: what a letter about a prompt says, and to whom ---------------------------------


async def letter_about(session: AsyncSession, prompt_id: int) -> Any:
    """(address, community, event title, prompt kind, story id, member id) for an email about a
    prompt, if the member's address may still be written to; else None."""
    return (await session.execute(
        select(MemberEmail.address, Community.name, Event.title, Prompt.kind, Prompt.story_id,
               Prompt.member_id)
        .join(Prompt, Prompt.member_id == MemberEmail.member_id)
        .join(Community, Community.id == Prompt.community_id)
        .join(Event, Event.id == Prompt.event_id)
        .where(Prompt.id == prompt_id, MemberEmail.unsubscribed_at.is_(None),
               MemberEmail.unreachable_at.is_(None)))).first()


async def plan_of(session: AsyncSession, story_id: str, member_id: int) -> str | None:
    """The plan a member made in a story (their answer to its intention question), if any."""
    return await session.scalar(
        select(Narrative.text).where(Narrative.story_id == story_id,
                                     Narrative.member_id == member_id,
                                     Narrative.intended.is_(True))
        .order_by(Narrative.id.desc()).limit(1))
