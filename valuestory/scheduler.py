"""The scheduler: what is due lives in the database; `tick` looks at it and does the due work.

`tick` is a plain function of the database and a clock, so any process can run it, at any
interval, and tests run it with an explicit `now`. Sending is at most once: a `Delivery` row is
claimed and committed before Telegram is called, so a crash or a second process never sends the
same prompt or reminder twice. A claim whose outcome was never recorded is marked uncertain and
never retried: a lost message is better than a duplicate for people who get many messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from flows.questions import PromptKind
from storage.db import Database
from storage.models import (
    Community,
    Delivery,
    Event,
    Member,
    Membership,
    Narrative,
    Prompt,
    PromptStatus,
    SchedulerState,
)
from valuestory import conversation, parsing
from valuestory.conversation import Out
from valuestory.digest import last_slot
from valuestory.metrics import METRICS

log = logging.getLogger("valuestory.scheduler")

# Prompts are planned this far ahead of being due, so what is coming is visible in the database.
LOOKAHEAD = dt.timedelta(days=1)
# Events older than this are not planned any more (the last follow-up is long closed by then).
PLAN_HORIZON = dt.timedelta(days=240)
# A claim this old whose outcome was never recorded belonged to a process that died mid-send.
STALE_CLAIM = dt.timedelta(minutes=10)
WORKERS = 16
IN_FLIGHT = 8  # messages claimed but not yet answered at Telegram's rate: about a quarter second
# The last time any process finished planning: when everyone who could be asked was asked.
HEARTBEAT = "scheduler:last_tick"


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it, or kept failing: it did not arrive
    UNREACHABLE = "unreachable"  # the member blocked the bot or never started it
    UNCERTAIN = "uncertain"  # it may or may not have arrived: never sent again


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    message_id: int | None = None
    error: str | None = None


class Sender(Protocol):
    """How messages leave: Telegram in the bot, anything with the same shape elsewhere."""

    async def pace(self) -> None:
        """Wait until one more message may be sent without breaking the platform's limits."""

    async def send(self, chat_id: int, outs: Sequence[Out]) -> SendResult:
        """Send the messages to one chat; never raises."""


DigestHook = Callable[[int, dt.datetime], Awaitable[object]]


@dataclass
class TickReport:
    """What one tick did, in counts."""

    planned: int = 0
    rescheduled: int = 0
    cancelled: int = 0
    missed: int = 0
    closed: int = 0
    queued: int = 0
    sent: int = 0
    reminded: int = 0
    failed: int = 0
    unreachable: int = 0
    uncertain: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)


def worker_name() -> str:
    """Who claimed a delivery: enough to tell processes apart in a post-mortem, no more."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# --- Time rules -----------------------------------------------------------------------------


parse_hhmm = parsing.clock


def in_quiet_hours(at: dt.datetime, zone: str, quiet_start: str, quiet_end: str) -> bool:
    start, end = parse_hhmm(quiet_start), parse_hhmm(quiet_end)
    if start == end:
        return False  # quiet hours switched off
    local = at.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def allowed_time(at: dt.datetime, zone: str, quiet_start: str, quiet_end: str) -> dt.datetime:
    """`at`, or the end of the quiet hours it falls in: when a person may be messaged."""
    if not in_quiet_hours(at, zone, quiet_start, quiet_end):
        return at
    tz = ZoneInfo(zone)
    end = parse_hhmm(quiet_end)
    local = at.astimezone(tz)
    candidate = dt.datetime.combine(local.date(), end, tzinfo=tz)
    if candidate.astimezone(dt.UTC) <= at:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), end, tzinfo=tz)
    result = candidate.astimezone(dt.UTC)
    # A quiet end inside a daylight-saving gap lands a little early; step out of the hours.
    while in_quiet_hours(result, zone, quiet_start, quiet_end):
        result += dt.timedelta(minutes=15)
    return result


def _allowed(c: Community, at: dt.datetime) -> dt.datetime:
    return allowed_time(at, c.timezone, c.quiet_start, c.quiet_end)


def due_for(c: Community, event: Event, kind: str) -> dt.datetime:
    """When a prompt of this kind about this event is due for a member of this community."""
    after = {
        PromptKind.POST_EVENT: dt.timedelta(minutes=c.prompt_delay_minutes),
        PromptKind.FOLLOWUP_APPLIED: dt.timedelta(days=c.followup_applied_days),
        PromptKind.FOLLOWUP_REFRAMING: dt.timedelta(days=c.followup_reframing_days),
    }[PromptKind(kind)]
    return _allowed(c, event.ends_at + after)


def closes_for(c: Community, due: dt.datetime) -> dt.datetime:
    return due + dt.timedelta(days=c.window_days)


def remind_for(c: Community, opened: dt.datetime, closes: dt.datetime | None) -> dt.datetime | None:
    at = _allowed(c, opened + dt.timedelta(hours=c.reminder_after_hours))
    return at if closes is None or at < closes else None


# --- Database access -------------------------------------------------------------------------


def _insert(db: Database, table: Any) -> Any:
    """An INSERT that skips rows a unique constraint already holds (another process won)."""
    if db.dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


def _eligible() -> Any:
    """Active, consented members: membership held, nothing paused, still reachable."""
    return and_(
        Membership.paused.is_(False), Member.paused.is_(False), Member.unreachable_at.is_(None)
    )


# --- Planning -------------------------------------------------------------------------------


async def _plan_event(session: AsyncSession, db: Database, c: Community, event: Event, kind: str,
                      now: dt.datetime, last_tick: dt.datetime | None,
                      report: TickReport) -> None:
    due = due_for(c, event, kind)
    if due > now + LOOKAHEAD:
        return
    if last_tick is not None and due <= last_tick and event.updated_at <= last_tick:
        # A run at or after the due time already asked everyone who could be asked then; a
        # member paused or unreachable at that moment is not asked later, once they are back.
        return
    closes = closes_for(c, due)
    already = exists().where(
        Prompt.member_id == Member.id, Prompt.event_id == event.id, Prompt.kind == kind
    )
    base = (
        select(Member.id, Membership.joined_at)
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.community_id == c.id, Membership.joined_at <= due, _eligible(),
               ~already)
    )
    rows: list[dict[str, Any]] = []
    status = PromptStatus.MISSED if closes <= now else PromptStatus.SCHEDULED
    common = {"community_id": c.id, "event_id": event.id, "kind": kind, "status": status,
              "question_set": c.question_set, "due_at": due, "closes_at": closes}
    if kind == PromptKind.POST_EVENT:
        for member_id, _ in (await session.execute(base)).all():
            rows.append({**common, "member_id": member_id, "story_id": str(uuid.uuid4())})
    else:
        first = select(Prompt.member_id, Prompt.story_id).where(
            Prompt.event_id == event.id, Prompt.kind == PromptKind.POST_EVENT
        )
        if kind == PromptKind.FOLLOWUP_APPLIED:
            # Only members who said what they might do: the follow-up quotes their own words.
            first = first.where(exists().where(
                Narrative.prompt_id == Prompt.id, Narrative.intended.is_(True),
                Narrative.text != "",
            ))
        else:
            first = first.where(Prompt.attended.is_(True))
        stories = {m: s for m, s in (await session.execute(first)).all()}
        if not stories:
            return
        for member_id, _ in (await session.execute(base)).all():
            if member_id in stories:
                rows.append({**common, "member_id": member_id, "story_id": stories[member_id]})
    for start in range(0, len(rows), 1000):
        await session.execute(_insert(db, Prompt), rows[start:start + 1000])
    if status == PromptStatus.MISSED:
        report.missed += len(rows)  # fell due while no scheduler ran, and its window passed
    else:
        report.planned += len(rows)


async def plan(db: Database, now: dt.datetime, report: TickReport) -> None:
    """Create the prompts that are (nearly) due, and follow events that moved or were cancelled."""
    async with db.session() as session:
        heartbeat = await session.get(SchedulerState, HEARTBEAT)
        last_tick = heartbeat.at if heartbeat is not None else None
        communities = (await session.scalars(select(Community))).all()
        for c in communities:
            events = (await session.scalars(select(Event).where(
                Event.community_id == c.id, Event.cancelled_at.is_(None),
                Event.ends_at >= now - PLAN_HORIZON, Event.ends_at <= now + LOOKAHEAD,
            ))).all()
            for event in events:
                for kind in (PromptKind.POST_EVENT, PromptKind.FOLLOWUP_APPLIED,
                             PromptKind.FOLLOWUP_REFRAMING):
                    await _plan_event(session, db, c, event, kind, now, last_tick, report)
        # Events cancelled after their prompts were planned: those prompts are never sent.
        gone = await session.execute(
            update(Prompt)
            .where(Prompt.status == PromptStatus.SCHEDULED,
                   Prompt.event_id.in_(select(Event.id).where(Event.cancelled_at.is_not(None))))
            .values(status=PromptStatus.CANCELLED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        report.cancelled += gone.rowcount or 0  # type: ignore[attr-defined]
        # Events moved after their prompts were planned: follow the event.
        moved = (await session.execute(
            select(Prompt, Event, Community)
            .join(Event, Event.id == Prompt.event_id)
            .join(Community, Community.id == Prompt.community_id)
            .where(Prompt.status == PromptStatus.SCHEDULED, Event.updated_at > Prompt.updated_at)
        )).all()
        for p, event, c in moved:
            due = due_for(c, event, p.kind)
            p.updated_at = max(event.updated_at, p.updated_at) + dt.timedelta(microseconds=1)
            if due != p.due_at:
                p.due_at, p.closes_at = due, closes_for(c, due)
                report.rescheduled += 1


# --- Sweeping -------------------------------------------------------------------------------


async def sweep(db: Database, now: dt.datetime) -> tuple[int, int, int]:
    """Close what is past its window. Returns (missed, closed, uncertain)."""
    async with db.session() as session:
        missed = await session.execute(
            update(Prompt)
            .where(Prompt.status == PromptStatus.SCHEDULED, Prompt.closes_at <= now)
            .values(status=PromptStatus.MISSED, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        closed = await session.execute(
            update(Prompt)
            .where(Prompt.status == PromptStatus.OPEN, Prompt.closes_at <= now)
            .values(status=PromptStatus.CLOSED, finished_at=now, remind_at=None,
                    held_message=None)
            .execution_options(synchronize_session=False)
        )
        stale = await session.execute(
            update(Delivery)
            .where(Delivery.status == "claimed", Delivery.claimed_at <= now - STALE_CLAIM)
            .values(status=Outcome.UNCERTAIN, error="claim never recorded")
            .execution_options(synchronize_session=False)
        )
    return (missed.rowcount or 0, closed.rowcount or 0,  # type: ignore[attr-defined]
            stale.rowcount or 0)  # type: ignore[attr-defined]


# --- Sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """One message the tick means to send: a prompt's opening, or its one reminder."""

    purpose: str  # "prompt" or "reminder"
    prompt_id: int
    member_id: int
    chat_id: int
    community_id: int


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    due: Due
    outs: list[Out]


class _Run:
    """One tick's fan-out: claim, send, record, for a few messages at a time."""

    def __init__(self, db: Database, sender: Sender, now: dt.datetime, worker: str,
                 report: TickReport, communities: dict[int, Community], busy: set[int]) -> None:
        self.db, self.sender, self.now, self.worker, self.report = db, sender, now, worker, report
        self.communities = communities
        self.busy = busy  # members with an open conversation: a new one waits its turn
        # SQLite has one writer: our own workers take turns rather than meet "database is locked".
        self.lock: AbstractAsyncContextManager[Any] = (
            asyncio.Lock() if db.dialect == "sqlite" else nullcontext()
        )
        self.results: asyncio.Queue[tuple[Claimed, SendResult] | None] = asyncio.Queue()
        # Set when the process is told to stop: no new batch is claimed, the rest stays due
        # for whichever process looks next.
        self.stop: asyncio.Event | None = None
        # Called after each batch, so a long fan-out still shows the scheduler is alive.
        self.heartbeat: Callable[[], object] | None = None

    async def claim_openings(self, batch: list[Due]) -> list[Claimed]:
        """Claim a few due prompts in one transaction; returns the ones this process must send."""
        by_id = {d.prompt_id: d for d in batch}
        claimed: list[tuple[Due, Prompt, Delivery]] = []
        async with self.lock, self.db.session() as session:
            found = (await session.scalars(
                select(Prompt).where(Prompt.id.in_(by_id), Prompt.status == PromptStatus.SCHEDULED)
                .order_by(Prompt.id).with_for_update(skip_locked=True)
            )).all()  # a prompt missing here: another process has it, or it changed since we looked
            for prompt in found:
                due = by_id[prompt.id]
                if prompt.closes_at is not None and prompt.closes_at <= self.now:
                    prompt.status, prompt.finished_at = PromptStatus.MISSED, self.now
                    self.report.missed += 1
                    continue
                if due.member_id in self.busy:
                    # One conversation at a time: this one stays due, and is sent by the first
                    # run after the open one finishes or closes.
                    self.report.queued += 1
                    continue
                prompt.status, prompt.opened_at = PromptStatus.OPEN, self.now
                self.busy.add(due.member_id)
                prompt.remind_at = remind_for(self.communities[due.community_id], self.now,
                                              prompt.closes_at)
                delivery = Delivery(prompt_id=prompt.id, purpose="prompt", status="claimed",
                                    claimed_by=self.worker, claimed_at=self.now)
                session.add(delivery)
                claimed.append((due, prompt, delivery))
            await session.flush()
            return [Claimed(delivery.id, due, await conversation.opening(session, prompt, self.now))
                    for due, prompt, delivery in claimed]

    async def claim_reminder(self, due: Due) -> Claimed | None:
        async with self.lock, self.db.session() as session:
            prompt = await session.scalar(
                select(Prompt).where(Prompt.id == due.prompt_id, Prompt.status == PromptStatus.OPEN,
                                     Prompt.remind_at.is_not(None), Prompt.remind_at <= self.now)
                .with_for_update(skip_locked=True)
            )
            if prompt is None:
                return None
            prompt.remind_at = None
            delivery = Delivery(prompt_id=prompt.id, purpose="reminder", status="claimed",
                                claimed_by=self.worker, claimed_at=self.now)
            session.add(delivery)
            await session.flush()
            outs = await conversation.reminder(session, prompt)
            return Claimed(delivery.id, due, outs)

    async def recorder(self) -> None:
        """Write outcomes in batches: one transaction per batch, not one per message."""
        done = False
        while not done:
            batch = [await self.results.get()]
            while not self.results.empty() and len(batch) < 500:
                batch.append(self.results.get_nowait())
            done = batch[-1] is None
            entries = [b for b in batch if b is not None]
            if entries:
                try:
                    await self.record(entries)
                except Exception as exc:  # the claims stay; a later sweep marks them uncertain
                    log.exception("could not record %d scheduled sends", len(entries))
                    self.report.errors.append(type(exc).__name__)

    async def record(self, entries: list[tuple[Claimed, SendResult]]) -> None:
        rows = []
        unreachable = []
        for claimed, result in entries:
            row: dict[str, Any] = {"id": claimed.delivery_id, "status": result.outcome,
                                   "error": result.error}
            if result.outcome is Outcome.SENT:
                row |= {"sent_at": self.now, "telegram_message_id": result.message_id}
            rows.append(row)
            if result.outcome is Outcome.UNREACHABLE:
                unreachable.append(claimed.due.member_id)
        async with self.lock, self.db.session() as session:
            sent = [r for r in rows if r["status"] is Outcome.SENT]
            other = [r | {"sent_at": None, "telegram_message_id": None}
                     for r in rows if r["status"] is not Outcome.SENT]
            for group in (sent, other):
                if group:
                    await session.execute(update(Delivery), group)
            if unreachable:
                await session.execute(
                    update(Member).where(Member.id.in_(unreachable))
                    .values(unreachable_at=self.now)
                    .execution_options(synchronize_session=False)
                )
        for claimed, result in entries:
            METRICS.inc({
                Outcome.SENT: "valuestory_prompts_sent_total",
                Outcome.FAILED: "valuestory_prompts_failed_total",
                Outcome.UNCERTAIN: "valuestory_prompts_failed_total",
                Outcome.UNREACHABLE: "valuestory_prompts_unreachable_total",
            }[result.outcome])
            if result.outcome is Outcome.SENT:
                if claimed.due.purpose == "reminder":
                    self.report.reminded += 1
                else:
                    self.report.sent += 1
            else:
                name = result.outcome.value
                setattr(self.report, name, getattr(self.report, name) + 1)

    async def send(self, claimed: Claimed) -> None:
        result = await self.sender.send(claimed.due.chat_id, claimed.outs)
        self.results.put_nowait((claimed, result))

    async def some(self, batch: list[Due]) -> None:
        for _ in batch:
            await self.sender.pace()
        try:
            if batch[0].purpose == "prompt":
                claimed = await self.claim_openings(batch)
            else:
                one = await self.claim_reminder(batch[0])
                claimed = [one] if one else []
        except IntegrityError:
            if len(batch) == 1:
                return  # another process claimed it between our look and our claim
            for due in batch:  # find which one, and claim the rest
                await self.some([due])
            return
        # Nothing may stand between the committed claim and the send but the send itself.
        await asyncio.gather(*(self.send(c) for c in claimed))

    async def fan_out(self, work: list[Due], batch: int) -> None:
        # Batches never mix openings with reminders.
        chunks: list[list[Due]] = []
        for due in work:
            if (chunks and len(chunks[-1]) < batch and chunks[-1][0].purpose == due.purpose
                    and due.purpose == "prompt"):
                chunks[-1].append(due)
            else:
                chunks.append([due])
        queue: asyncio.Queue[list[Due]] = asyncio.Queue()
        for chunk in chunks:
            queue.put_nowait(chunk)

        async def worker() -> None:
            while not queue.empty() and not (self.stop and self.stop.is_set()):
                chunk = queue.get_nowait()
                try:
                    await self.some(chunk)
                except Exception as exc:  # one bad prompt must not stop the others
                    log.exception("scheduled sends failed for prompts %s",
                                  [d.prompt_id for d in chunk])
                    self.report.errors.append(type(exc).__name__)
                if self.heartbeat is not None:
                    self.heartbeat()

        recorder = asyncio.create_task(self.recorder())
        try:
            # Few batches in flight: a claim is a promise to send at once, and what is claimed but
            # unanswered when a process dies can only be recorded uncertain.
            workers = min(WORKERS, max(4, math.ceil(IN_FLIGHT / batch)), len(chunks))
            await asyncio.gather(*(worker() for _ in range(workers)))
        finally:
            self.results.put_nowait(None)
            await recorder


def _active() -> Any:
    return (
        select(Prompt.id, Prompt.member_id, Member.chat_id, Prompt.community_id)
        .join(Member, Member.id == Prompt.member_id)
        .join(Membership, and_(Membership.member_id == Prompt.member_id,
                               Membership.community_id == Prompt.community_id))
        .where(_eligible())
    )


async def _due_openings(db: Database, now: dt.datetime, report: TickReport) -> list[Due]:
    """Scheduled prompts that are due, one per member; paused members' prompts are cancelled."""
    async with db.session() as session:
        # Withdrawn or paused since planning: they asked not to be messaged.
        stopped = (await session.scalars(
            select(Prompt.id)
            .join(Member, Member.id == Prompt.member_id)
            .outerjoin(Membership, and_(Membership.member_id == Prompt.member_id,
                                        Membership.community_id == Prompt.community_id))
            .where(Prompt.status == PromptStatus.SCHEDULED, Prompt.due_at <= now,
                   (Membership.id.is_(None)) | Membership.paused.is_(True) | Member.paused.is_(True))
        )).all()
        if stopped:
            await session.execute(
                update(Prompt).where(Prompt.id.in_(stopped))
                .values(status=PromptStatus.CANCELLED, finished_at=now)
                .execution_options(synchronize_session=False)
            )
            report.cancelled += len(stopped)
        rows = (await session.execute(
            _active().where(Prompt.status == PromptStatus.SCHEDULED, Prompt.due_at <= now)
            .order_by(Prompt.due_at, Prompt.id)
        )).all()
    seen: set[int] = set()
    out = []
    for prompt_id, member_id, chat_id, community_id in rows:
        if member_id not in seen:  # one new conversation per member per tick
            seen.add(member_id)
            out.append(Due("prompt", prompt_id, member_id, chat_id, community_id))
    return out


async def _due_reminders(db: Database, now: dt.datetime, skip: set[int]) -> list[Due]:
    async with db.session() as session:
        rows = (await session.execute(
            _active().where(
                Prompt.status == PromptStatus.OPEN, Prompt.remind_at <= now, Prompt.closes_at > now,
                # Only nudge about a prompt the member was actually sent.
                exists().where(Delivery.prompt_id == Prompt.id, Delivery.purpose == "prompt",
                               Delivery.status == Outcome.SENT),
            ).order_by(Prompt.remind_at, Prompt.id)
        )).all()
    out = []
    for prompt_id, member_id, chat_id, community_id in rows:
        if member_id not in skip:
            skip.add(member_id)
            out.append(Due("reminder", prompt_id, member_id, chat_id, community_id))
    return out


async def _busy_members(db: Database) -> set[int]:
    async with db.session() as session:
        return set((await session.scalars(
            select(Prompt.member_id).where(Prompt.status == PromptStatus.OPEN).distinct()
        )).all())


async def _communities(db: Database) -> dict[int, Community]:
    async with db.session() as session:
        return {c.id: c for c in (await session.scalars(select(Community))).all()}


# --- The weekly digest ----------------------------------------------------------------------


async def _digests(db: Database, now: dt.datetime, hook: DigestHook, report: TickReport) -> None:
    async with db.session() as session:
        communities = (await session.scalars(select(Community))).all()
    for c in communities:
        moment = last_slot(c, now)
        if moment < c.created_at:
            continue  # no digest for a week the community did not exist in
        year, week, _ = moment.astimezone(ZoneInfo(c.timezone)).isocalendar()
        key = f"digest:{c.id}:{year}-W{week:02d}"
        async with db.session() as session:
            inserted = await session.execute(
                _insert(db, SchedulerState).values(key=key, value=moment.isoformat(), at=now)
            )
        if not inserted.rowcount:  # type: ignore[attr-defined]
            continue  # this week's digest is already handed off, here or in another process
        try:
            await hook(c.id, now)
            report.digests += 1
        except Exception as exc:  # the digest's own failure must not stop the scheduler
            log.exception("weekly digest failed for community %s", c.id)
            report.errors.append(type(exc).__name__)


async def _beat(db: Database, now: dt.datetime) -> None:
    async with db.session() as session:
        await session.execute(
            _insert(db, SchedulerState).values(key=HEARTBEAT, value="planned", at=now)
        )
        # Several processes may beat at once: the mark only ever moves forward.
        await session.execute(
            update(SchedulerState)
            .where(SchedulerState.key == HEARTBEAT, SchedulerState.at < now)
            .values(at=now)
        )


# --- The tick -------------------------------------------------------------------------------


async def tick(db: Database, sender: Sender, now: dt.datetime, *,
               on_digest_due: DigestHook | None = None, worker: str | None = None,
               batch: int | None = None, stop: asyncio.Event | None = None,
               heartbeat: Callable[[], object] | None = None) -> TickReport:
    """Do all work that is due at `now`: plan, send prompts and reminders, close, hand off digests."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    report = TickReport()
    await plan(db, now, report)
    await _beat(db, now)
    missed, report.closed, report.uncertain = await sweep(db, now)
    report.missed += missed
    run = _Run(db, sender, now, worker or worker_name(), report, await _communities(db),
               await _busy_members(db))
    run.stop, run.heartbeat = stop, heartbeat
    openings = await _due_openings(db, now, report)
    # One message per member per tick keeps every chat well under one message a second.
    reminders = await _due_reminders(db, now, {d.member_id for d in openings})
    if batch is None:
        # Claim about a twentieth of a second's sending at once: few transactions at high rates,
        # and few messages between claim and send at Telegram's own.
        batch = max(1, round(getattr(sender, "rate", 30.0) / 20))
    await run.fan_out(openings + reminders, batch)
    if on_digest_due is not None:
        await _digests(db, now, on_digest_due, report)
    return report

