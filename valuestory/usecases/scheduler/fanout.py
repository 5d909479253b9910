"""The fan-out: claim due prompts and reminders a few at a time, send them, record the outcome.

A `Delivery` row is claimed and committed first, so a second process never sends the same
message; it is marked on the wire (`sending`) in its own commit, which the sender makes just
before its request is written, after every wait of pacing and rate limits; and its outcome is
recorded as soon as Telegram answers. So when a process dies, only the
requests it had written and not yet heard back about can be in doubt; `claims` sends the others
again and asks the members in doubt once more, in case. Each message is built in the member's
language, read with the row that says it is due.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter
from sqlalchemy.exc import IntegrityError

from storage.availability import unavailable, wait_out
from storage.db import Database
from storage.models import Channel, CheckStatus, Community, Delivery, Prompt, PromptStatus
from valuestory.usecases.checking import messages as check_messages
from valuestory.usecases.checking import queries as check_queries
from valuestory.usecases.conversation import queries as conversation_queries
from valuestory.usecases.out import Out
from valuestory.usecases.scheduler import queries
from valuestory.usecases.scheduler.claims import CLAIMED, IN_DOUBT, RESOLVED, SKIPPED, renew
from valuestory.usecases.scheduler.model import (
    Outcome,
    Sender,
    SendResult,
    TickReport,
)
from valuestory.usecases.scheduler.rules import remind_for

log = logging.getLogger(__name__)

_SENT = Counter("valuestory_prompts_sent", "Prompts, reminders and follow-ups sent.")
_FAILED = Counter("valuestory_prompts_failed", "Scheduled sends that failed after retries.")
_UNREACHABLE = Counter("valuestory_prompts_unreachable",
                       "Sends refused because the member blocked the bot.")
_CHECKS = Counter("valuestory_checks_sent", "Members' checks of the matrix sent.")

# An uncertain send is counted in doubt (claims.IN_DOUBT), not failed: it may have arrived.
COUNTERS = {Outcome.SENT: _SENT, Outcome.FAILED: _FAILED, Outcome.UNREACHABLE: _UNREACHABLE}

WORKERS = 16
IN_FLIGHT = 8  # messages claimed but not yet answered at Telegram's rate: about a quarter second


@dataclass(frozen=True)
class Due:
    """One message the tick means to send: a prompt's opening, its one reminder, or "in case";
    or a members' check (`check_id`, with no prompt: `prompt_id` is 0)."""

    purpose: str  # "prompt", "reminder", "again" or "check"
    prompt_id: int
    member_id: int
    chat_id: int
    community_id: int
    language: str = "en"  # the member's, as stored when the tick looked
    check_id: int | None = None


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    due: Due
    outs: list[Out]


class Turns:
    """A fan-out's writes, outcomes first: a send Telegram answered is written down before
    another is claimed or put on the wire, so that if the process dies, sends it had heard back
    about are not left in doubt. On SQLite (`one_writer`) the workers also take the one writer
    in turn rather than meet "database is locked"; on PostgreSQL outcomes are written side by
    side."""

    def __init__(self, one_writer: bool) -> None:
        self._lock: asyncio.Lock | None = asyncio.Lock() if one_writer else None
        self._outcomes = 0
        self._no_outcomes = asyncio.Event()
        self._no_outcomes.set()

    def _writer(self) -> AbstractAsyncContextManager[Any]:
        return self._lock if self._lock is not None else nullcontext()

    @asynccontextmanager
    async def outcome(self) -> AsyncIterator[None]:
        self._outcomes += 1
        self._no_outcomes.clear()
        try:
            async with self._writer():
                yield
        finally:
            self._outcomes -= 1
            if not self._outcomes:
                self._no_outcomes.set()

    @asynccontextmanager
    async def other(self) -> AsyncIterator[None]:
        await self._no_outcomes.wait()
        async with self._writer():
            yield


class FanOut:
    """One tick's fan-out: claim, send, record, for a few messages at a time."""

    def __init__(self, db: Database, sender: Sender, now: dt.datetime, worker: str,
                 report: TickReport, communities: dict[int, Community], busy: set[int],
                 lease: dt.timedelta | None = None) -> None:
        self.db, self.sender, self.now, self.worker, self.report = db, sender, now, worker, report
        self.lease = lease  # renewed while the fan-out runs, so other processes leave our claims
        self.communities = communities
        self.busy = busy  # members with an open conversation: a new one waits its turn
        # Outcomes first; on SQLite, with one writer, our own workers take turns.
        self.turns = Turns(one_writer=db.dialect == "sqlite")
        # Set when the process is told to stop: no new batch is claimed, the rest stays due
        # for whichever process looks next.
        self.stop: asyncio.Event | None = None
        self.telegram_away = False
        # Outcomes heard and not yet written (`record`), and whether a worker is writing them.
        self._outcomes: list[tuple[Claimed, SendResult, asyncio.Future[None]]] = []
        self._writing = False
        # Called after each batch, so a long fan-out still shows the scheduler is alive.
        self.heartbeat: Callable[[], object] | None = None

    def _turn(self, kind: str) -> AbstractAsyncContextManager[Any]:
        return self.turns.outcome() if kind == "outcome" else self.turns.other()

    async def claim_openings(self, batch: list[Due]) -> list[Claimed]:
        """Claim a few due prompts in one transaction; returns the ones this process must send."""
        by_id = {d.prompt_id: d for d in batch}
        claimed: list[tuple[Due, Prompt, Delivery]] = []
        async with self._turn("other"), self.db.session() as session:
            for prompt in await queries.claim_prompts(session, by_id):
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
                delivery = Delivery(prompt_id=prompt.id, purpose="prompt", status=CLAIMED,
                                    claimed_by=self.worker, claimed_at=self.now)
                session.add(delivery)
                claimed.append((due, prompt, delivery))
            await session.flush()
            return [Claimed(delivery.id, due,
                            await conversation_queries.opening(session, prompt, self.now, due.language))
                    for due, prompt, delivery in claimed]

    async def claim_reminder(self, due: Due) -> Claimed | None:
        async with self._turn("other"), self.db.session() as session:
            prompt = await queries.claim_reminder(session, due.prompt_id, self.now)
            if prompt is None:
                return None
            prompt.remind_at = None
            delivery = Delivery(prompt_id=prompt.id, purpose="reminder", status=CLAIMED,
                                claimed_by=self.worker, claimed_at=self.now)
            session.add(delivery)
            await session.flush()
            outs = await conversation_queries.reminder(session, prompt, due.language)
            return Claimed(delivery.id, due, outs)

    async def claim_again(self, due: Due) -> Claimed | None:
        """Claim the one "in case" message for a prompt whose opening may not have arrived."""
        async with self._turn("other"), self.db.session() as session:
            prompt = await queries.claim_in_doubt(session, due.prompt_id)
            if prompt is None:
                return None
            delivery = Delivery(prompt_id=prompt.id, purpose="again", status=CLAIMED,
                                claimed_by=self.worker, claimed_at=self.now)
            session.add(delivery)
            if await queries.has_answered(session, prompt.id):
                # The member has answered since: the opening arrived, nothing more to say.
                delivery.status, delivery.error = SKIPPED, "answered already"
                RESOLVED.labels("answered").inc()
                self.report.resolved += 1
                return None
            prompt.remind_at = None  # this is the reminder, brought forward
            await session.flush()
            outs = await conversation_queries.in_case(session, prompt, due.language)
            return Claimed(delivery.id, due, outs)

    async def claim_check(self, due: Due) -> Claimed | None:
        """Claim a members' check that is due; it waits while the member has a story open."""
        async with self._turn("other"), self.db.session() as session:
            check = await queries.claim_check(session, due.check_id)
            if check is None:
                return None  # another process has it, or it changed since we looked
            if check.closes_at <= self.now:
                check.status, check.finished_at = CheckStatus.MISSED, self.now
                self.report.missed += 1
                return None
            if due.member_id in self.busy:
                self.report.queued += 1  # sent by the first run after their story ends
                return None
            check.status, check.opened_at = CheckStatus.OPEN, self.now
            delivery = Delivery(check_id=check.id, purpose="check", status=CLAIMED,
                                claimed_by=self.worker, claimed_at=self.now)
            session.add(delivery)
            await session.flush()
            rows = await check_queries.statements(session, check.id)
            community = await check_queries.community_of(session, check.id)
            return Claimed(delivery.id, due, check_messages.opening(due.language, community, rows))

    async def on_wire(self, claimed: Claimed) -> bool:
        """Commit that the request is about to be written; False if our claim was taken from us."""
        async with self._turn("other"), self.db.session() as session:
            return await queries.delivery_on_wire(session, claimed.delivery_id, self.worker,
                                                  self.now)

    async def record(self, claimed: Claimed, result: SendResult) -> None:
        """Write down how a send went, with every other outcome heard meanwhile: the answers
        Telegram gives a burst of sends at once are written in one commit, not one after the
        other, so few sends it answered are left unwritten at any moment."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outcomes.append((claimed, result, done))
        if not self._writing:
            self._writing = True
            batch: list[tuple[Claimed, SendResult, asyncio.Future[None]]] = []
            try:
                while self._outcomes:
                    batch, self._outcomes = self._outcomes, []
                    try:
                        await self._write_outcomes([(c, r) for c, r, _ in batch])
                    except Exception as exc:  # each sender decides: wait for the database, or not
                        _settle(batch, exc)
                        continue
                    _settle(batch, None)
            except BaseException as exc:  # cancelled: nobody is left waiting for this writer
                _settle(batch + self._outcomes, exc)
                self._outcomes = []
                raise
            finally:
                self._writing = False
        await done
        self._count(claimed, result)

    async def _write_outcomes(self, outcomes: list[tuple[Claimed, SendResult]]) -> None:
        if self.db.dialect == "postgresql":
            # One round trip, committed as it runs, rather than three (BEGIN, UPDATE, COMMIT).
            async with self._turn("outcome"), self.db.one_statement() as conn:
                await queries.record_deliveries(
                    conn, [(c.delivery_id, _outcome_values(r, self.now)) for c, r in outcomes],
                    [c.due.member_id for c, r in outcomes if r.outcome is Outcome.UNREACHABLE],
                    self.now)
            return
        async with self._turn("outcome"), self.db.session() as session:
            for claimed, result in outcomes:
                unreachable = (claimed.due.member_id if result.outcome is Outcome.UNREACHABLE
                               else None)
                await queries.record_delivery(session, claimed.delivery_id,
                                              _outcome_values(result, self.now), unreachable,
                                              self.now)

    def _count(self, claimed: Claimed, result: SendResult) -> None:
        checked = claimed.due.purpose == "check" and result.outcome is Outcome.SENT
        counter = _CHECKS if checked else COUNTERS.get(result.outcome)
        if counter is not None:
            counter.inc()
        if result.outcome is Outcome.SENT:
            if checked:
                self.report.checks_sent += 1
            elif claimed.due.purpose == "reminder":
                self.report.reminded += 1
            elif claimed.due.purpose == "again":
                self.report.asked_again += 1
                RESOLVED.labels("asked_again").inc()
                self.report.resolved += 1
            else:
                self.report.sent += 1
        else:
            if result.outcome is Outcome.UNCERTAIN:
                IN_DOUBT.inc()
            name = result.outcome.value
            setattr(self.report, name, getattr(self.report, name) + 1)

    async def send(self, claimed: Claimed) -> None:
        """Send one claimed message, marked on the wire by the sender just before its request is
        written (after every wait of pacing and rate limits: a crash before that leaves a claim
        that never left, sent again, not one in doubt), and record at once how it went."""
        marked: bool | None = None

        async def on_wire() -> bool:
            nonlocal marked
            marked = await self.on_wire(claimed)
            return marked

        result = await self.deliver(claimed, on_wire)
        if marked is None:  # refused, or failed, before any request went: recorded as such
            marked = await self.on_wire(claimed)
        if not marked:
            log.info("a claim was released while it waited; whoever holds it now sends it")
            return
        await self.settle(claimed, result)

    async def settle(self, claimed: Claimed, result: SendResult) -> None:
        """Write down how a send on the wire went (given back if surely not there)."""
        while True:
            try:
                if result.outcome is Outcome.NOT_SENT:
                    await self.give_back(claimed)
                else:
                    await self.record(claimed, result)
                return
            except Exception as exc:
                if not unavailable(exc) or (self.stop and self.stop.is_set()):
                    # It stays on the wire: the next tick counts it in doubt.
                    log.warning("could not record a scheduled send (%s); it will be treated "
                                "as in doubt", type(exc).__name__)
                    self.report.errors.append(type(exc).__name__)
                    return
                await self.wait_out(exc)  # we know how it went: write it once we can

    async def deliver(self, claimed: Claimed, on_wire: Callable[[], Awaitable[bool]]) -> SendResult:
        """Hand one claimed message to its channel (here Telegram, through the sender)."""
        return await self.sender.send(claimed.due.chat_id, claimed.outs, on_wire)

    async def give_back(self, claimed: Claimed) -> None:
        """Telegram is away and surely has not got it: due again, for a later tick to send."""
        async with self._turn("outcome"), self.db.session() as session:
            await queries.give_back_delivery(session, claimed.delivery_id, self.worker)
        self.report.not_sent += 1
        self.telegram_away = True  # claim no more this tick: they would only wait and come back

    async def wait_out(self, exc: BaseException) -> None:
        """Wait for the database to come back, or for the process to be told to stop."""
        waits: list[asyncio.Future[object]] = [asyncio.ensure_future(wait_out(self.db, exc))]
        if self.stop is not None:
            waits.append(asyncio.ensure_future(self.stop.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()

    async def some(self, batch: list[Due]) -> None:
        for _ in batch:
            await self.sender.pace()
        try:
            if batch[0].purpose == "prompt":
                claimed = await self.claim_openings(batch)
            else:
                claim = {"reminder": self.claim_reminder,
                         "check": self.claim_check}.get(batch[0].purpose, self.claim_again)
                one = await claim(batch[0])
                claimed = [one] if one else []
        except IntegrityError:
            if len(batch) == 1:
                return  # another process claimed it between our look and our claim
            for due in batch:  # find which one, and claim the rest
                await self.some([due])
            return
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
            while (not queue.empty() and not (self.stop and self.stop.is_set())
                   and not self.telegram_away):
                chunk = queue.get_nowait()
                try:
                    await self.some(chunk)
                except Exception as exc:  # one bad prompt must not stop the others
                    if unavailable(exc):
                        # What this chunk claimed is released by the next tick and sent then.
                        self.report.errors.append(type(exc).__name__)
                        await self.wait_out(exc)
                        continue
                    log.exception("scheduled sends failed for prompts %s",
                                  [d.prompt_id for d in chunk])
                    self.report.errors.append(type(exc).__name__)
                if self.heartbeat is not None:
                    self.heartbeat()

        renewing = asyncio.create_task(self.renewing()) if self.lease and chunks else None
        try:
            # Few batches in flight: a claim is a promise to send soon, and other processes
            # leave it alone only while this one's lease holds.
            workers = min(WORKERS, max(4, math.ceil(IN_FLIGHT / batch)), len(chunks))
            await asyncio.gather(*(worker() for _ in range(workers)))
        finally:
            if renewing is not None:
                renewing.cancel()

    async def renewing(self) -> None:
        """Renew this process's lease while the fan-out lasts, well before it lapses."""
        assert self.lease is not None
        loop = asyncio.get_running_loop()
        started = loop.time()
        every = self.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            try:
                await renew(self.db, self.worker,
                            self.now + dt.timedelta(seconds=loop.time() - started))
            except Exception as exc:  # the next renewal tries again
                if not unavailable(exc):  # an outage has its own watcher, saying so
                    log.warning("could not renew the scheduler's lease (%s)", type(exc).__name__)


def _settle(batch: list[tuple[Claimed, SendResult, asyncio.Future[None]]],
            error: BaseException | None) -> None:
    """Tell the senders waiting on outcomes whether theirs was written."""
    for _, _, waiting in batch:
        if not waiting.done():
            if error is None:
                waiting.set_result(None)
            elif isinstance(error, Exception):
                waiting.set_exception(error)
            else:
                waiting.cancel()


def _outcome_values(result: SendResult, now: dt.datetime) -> dict[str, Any]:
    """A delivery's columns once Telegram answered (or surely did not take it)."""
    values: dict[str, Any] = {"status": result.outcome, "error": result.error}
    if result.outcome is Outcome.SENT:
        values |= {"sent_at": now, "telegram_message_id": result.message_id}
    return values


def _due(purpose: str, rows: list[queries.Row], skip: set[int]) -> list[Due]:
    """One message per member per tick: members in `skip` wait, and each one taken joins it."""
    out = []
    for row_id, member_id, chat_id, community_id, language in rows:
        if member_id not in skip:
            skip.add(member_id)
            if purpose == "check":
                out.append(Due(purpose, 0, member_id, chat_id, community_id, language, row_id))
            else:
                out.append(Due(purpose, row_id, member_id, chat_id, community_id, language))
    return out


async def due_openings(db: Database, now: dt.datetime, report: TickReport,
                       channel: str = Channel.TELEGRAM) -> list[Due]:
    """Scheduled prompts that are due, one per member; paused members' prompts are cancelled."""
    async with db.session() as session:
        # Withdrawn or paused since planning: they asked not to be messaged.
        report.cancelled += await queries.cancel_stopped_prompts(session, now)
        rows = await queries.due_prompts(session, now, channel)
    return _due("prompt", rows, set())


async def due_reminders(db: Database, now: dt.datetime, skip: set[int],
                        channel: str = Channel.TELEGRAM) -> list[Due]:
    async with db.session() as session:
        rows = await queries.due_reminders(session, now, channel)
    return _due("reminder", rows, skip)


async def due_again(db: Database, now: dt.datetime, skip: set[int],
                    channel: str = Channel.TELEGRAM) -> list[Due]:
    """Open prompts whose opening may not have arrived: each member is asked once more, in case."""
    async with db.session() as session:
        rows = await queries.due_again(session, now, channel)
    return _due("again", rows, skip)


async def due_checks(db: Database, now: dt.datetime, report: TickReport,
                     skip: set[int], channel: str = Channel.TELEGRAM) -> list[Due]:
    """Members' checks that are due, one per member asked through `channel`; those of members
    paused or gone since the share are cancelled, as their prompts are."""
    async with db.session() as session:
        report.cancelled += await queries.cancel_stopped_checks(session, now)
        rows = await queries.due_checks(session, now, channel)
    # In Telegram, a member with no chat is not asked.
    return _due("check", [row for row in rows
                          if channel != Channel.TELEGRAM or row[2] is not None], skip)


async def busy_members(db: Database) -> set[int]:
    async with db.session() as session:
        return await queries.busy_members(session)


async def communities_by_id(db: Database) -> dict[int, Community]:
    async with db.session() as session:
        return {c.id: c for c in await queries.communities(session)}
