"""The fan-out: claim due prompts and reminders a few at a time, send them, record the outcome.

A `Delivery` row is claimed and committed before Telegram is called, so a crash or a second
process never sends the same message twice; a claim whose outcome was never recorded is marked
uncertain and never retried. Each message is built in the member's language, read with the row
that says it is due.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from sqlalchemy import and_, exists, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    Community,
    Delivery,
    Member,
    Membership,
    Prompt,
    PromptStatus,
)
from valuestory.usecases import conversation
from valuestory.usecases.out import Out
from valuestory.usecases.scheduler.model import (
    Outcome,
    Sender,
    SendResult,
    TickReport,
)
from valuestory.usecases.scheduler.rules import eligible, remind_for

log = logging.getLogger(__name__)

_SENT = Counter("valuestory_prompts_sent", "Prompts, reminders and follow-ups sent.")
_FAILED = Counter("valuestory_prompts_failed", "Scheduled sends that failed after retries.")
_UNREACHABLE = Counter("valuestory_prompts_unreachable",
                       "Sends refused because the member blocked the bot.")

# An uncertain send is counted as failed: nobody can say it arrived.
COUNTERS = {Outcome.SENT: _SENT, Outcome.FAILED: _FAILED, Outcome.UNCERTAIN: _FAILED,
            Outcome.UNREACHABLE: _UNREACHABLE}

WORKERS = 16
IN_FLIGHT = 8  # messages claimed but not yet answered at Telegram's rate: about a quarter second




@dataclass(frozen=True)
class Due:
    """One message the tick means to send: a prompt's opening, or its one reminder."""

    purpose: str  # "prompt" or "reminder"
    prompt_id: int
    member_id: int
    chat_id: int
    community_id: int
    language: str = "en"  # the member's, as stored when the tick looked


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    due: Due
    outs: list[Out]


class FanOut:
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
            return [Claimed(delivery.id, due,
                            await conversation.opening(session, prompt, self.now, due.language))
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
            outs = await conversation.reminder(session, prompt, due.language)
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
            COUNTERS[result.outcome].inc()
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
        select(Prompt.id, Prompt.member_id, Member.chat_id, Prompt.community_id, Member.language)
        .join(Member, Member.id == Prompt.member_id)
        .join(Membership, and_(Membership.member_id == Prompt.member_id,
                               Membership.community_id == Prompt.community_id))
        .where(eligible())
    )


async def due_openings(db: Database, now: dt.datetime, report: TickReport) -> list[Due]:
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
    for prompt_id, member_id, chat_id, community_id, language in rows:
        if member_id not in seen:  # one new conversation per member per tick
            seen.add(member_id)
            out.append(Due("prompt", prompt_id, member_id, chat_id, community_id, language))
    return out


async def due_reminders(db: Database, now: dt.datetime, skip: set[int]) -> list[Due]:
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
    for prompt_id, member_id, chat_id, community_id, language in rows:
        if member_id not in skip:
            skip.add(member_id)
            out.append(Due("reminder", prompt_id, member_id, chat_id, community_id, language))
    return out


async def busy_members(db: Database) -> set[int]:
    async with db.session() as session:
        return set((await session.scalars(
            select(Prompt.member_id).where(Prompt.status == PromptStatus.OPEN).distinct()
        )).all())


async def communities_by_id(db: Database) -> dict[int, Community]:
    async with db.session() as session:
        return {c.id: c for c in (await session.scalars(select(Community))).all()}
