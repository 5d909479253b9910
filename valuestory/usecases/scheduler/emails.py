"""The email fan-out: members whose channel is email get their prompts, reminders, "in case"
messages and members' checks as emails, claimed, put on the wire and recorded exactly as
Telegram's (`fanout`), and convener's invitations the same way (`invitations`). A check's email
holds none of its statements: its link opens them on the member's page.

It runs beside the Telegram tick under a worker name of its own, so each process's claims are
told apart and `claims.recover` never takes the other's for a stopped process's. The rules are
Telegram's: the same due prompts (quiet hours, pause and window were applied when they were
planned and are checked again as they are claimed), one message per member per run. A
permanent refusal marks the address and the member unreachable, as a blocked bot does; a
temporary one gives the claim back, due again at the next run; a connection lost while the
server had the email leaves it in doubt, and an opening in doubt gets one "in case" email.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from prometheus_client import Counter

from storage.db import Database
from storage.models import Channel
from valuestory.usecases.checking import queries as check_queries
from valuestory.usecases.emails import Kind, Letter
from valuestory.usecases.invitations import queries as invitation_queries
from valuestory.usecases.scheduler import queries
from valuestory.usecases.scheduler.claims import LEASE, recover, renew
from valuestory.usecases.scheduler.fanout import (
    Claimed,
    FanOut,
    busy_members,
    communities_by_id,
    due_again,
    due_checks,
    due_openings,
    due_reminders,
)
from valuestory.usecases.scheduler.model import Outcome, SendResult, TickReport

log = logging.getLogger(__name__)

INVITATIONS = Counter("valuestory_invitations_sent", "Invitation emails handed to the mail server.")
KINDS = {"prompt": Kind.PROMPT, "reminder": Kind.REMINDER, "again": Kind.AGAIN}
# How many invitations one run claims at a time.
INVITATION_BATCH = 10


class LetterSender(Protocol):
    """How emails leave: the mail front end, or anything with the same shape in tests."""

    async def pace(self) -> None:
        """Wait until one more email may be sent."""

    async def send_letter(self, letter: Letter, now: dt.datetime,
                          on_wire: Callable[[], Awaitable[bool]] | None = None) -> SendResult:
        """Compose and send one email, awaiting `on_wire` just before its content goes (False:
        it is not sent); never raises but what `on_wire` raises."""


class _Pacing:
    """The fan-out's pacing, by the letter sender's; emails never go through `send`."""

    def __init__(self, letters: LetterSender) -> None:
        self.letters = letters

    async def pace(self) -> None:
        await self.letters.pace()

    async def send(self, chat_id: int, outs: object) -> SendResult:  # pragma: no cover
        raise AssertionError("emails are delivered as letters")


class EmailFanOut(FanOut):
    """The fan-out for members asked by email: claims as Telegram's, then a letter each."""

    def __init__(self, db: Database, letters: LetterSender, now: dt.datetime, worker: str,
                 report: TickReport, *args: object, **kwargs: object) -> None:
        super().__init__(db, _Pacing(letters), now, worker, report, *args, **kwargs)  # type: ignore[arg-type]
        self.letters = letters
        self.mail: dict[int, Letter] = {}  # a claimed delivery's letter, until it is sent

    async def _write(self, claimed: list[Claimed]) -> None:
        """Each claim's letter, with a new personal link (kept hashed) made for it."""
        if not claimed:
            return
        async with self._turn("other"), self.db.session() as session:
            for c in claimed:
                if c.due.check_id is not None:
                    about = await check_queries.letter_about(session, c.due.check_id)
                    if about is not None:
                        address, community, member_id = about
                        token = await invitation_queries.new_link(session, member_id, self.now)
                        self.mail[c.delivery_id] = Letter(Kind.CHECK, address, c.due.language,
                                                          token, community)
                    continue
                found = await queries.letter_about(session, c.due.prompt_id)
                if found is None:
                    continue  # stopped or refused since it was planned: delivered as nothing
                address, community, event, kind, story_id, member_id = found
                plan = None
                letter_kind = KINDS.get(c.due.purpose, Kind.PROMPT)
                if letter_kind is Kind.PROMPT and kind.startswith("followup"):
                    letter_kind = Kind.FOLLOWUP
                    plan = await queries.plan_of(session, story_id, member_id)
                token = await invitation_queries.new_link(session, member_id, self.now)
                self.mail[c.delivery_id] = Letter(letter_kind, address, c.due.language, token,
                                                  community, event, plan)

    async def claim_openings(self, batch: list) -> list[Claimed]:  # type: ignore[type-arg]
        claimed = await super().claim_openings(batch)
        await self._write(claimed)
        return claimed

    async def claim_reminder(self, due):  # type: ignore[no-untyped-def]
        claimed = await super().claim_reminder(due)
        await self._write([claimed] if claimed else [])
        return claimed

    async def claim_again(self, due):  # type: ignore[no-untyped-def]
        claimed = await super().claim_again(due)
        await self._write([claimed] if claimed else [])
        return claimed

    async def claim_check(self, due):  # type: ignore[no-untyped-def]
        claimed = await super().claim_check(due)
        await self._write([claimed] if claimed else [])
        return claimed

    async def send(self, claimed: Claimed) -> None:
        """As Telegram's, but marked on the wire only once the mail server has taken the
        address, just before the content goes: a crash before that leaves a claim that never
        left (sent again), not one in doubt."""
        letter = self.mail.pop(claimed.delivery_id, None)
        marked: bool | None = None

        async def on_wire() -> bool:
            nonlocal marked
            marked = await self.on_wire(claimed)
            return marked

        if letter is None:
            result = SendResult(Outcome.FAILED, error="no address to write to")
        else:
            result = await self.letters.send_letter(letter, self.now, on_wire)
        if marked is None:  # refused, or failed, before any content went: recorded as such
            marked = await self.on_wire(claimed)
        if not marked:
            log.info("a claim was released while it waited; whoever holds it now sends it")
            return
        await self.settle(claimed, result)

    async def record(self, claimed: Claimed, result: SendResult) -> None:
        await super().record(claimed, result)
        if result.outcome is Outcome.UNREACHABLE:
            log.info("an address was refused for good (%s): its member is not emailed again",
                     result.error)
            async with self._turn("outcome"), self.db.session() as session:
                await invitation_queries.address_refused(session, claimed.due.member_id, self.now)


async def _invitations(db: Database, letters: LetterSender, now: dt.datetime, worker: str,
                       report: TickReport, stop: asyncio.Event | None) -> bool:
    """Send the invitations that are due, a few at a time, each claimed before it goes.

    False if the mail server was away: what is left waits for the next run.
    """
    started = asyncio.get_running_loop().time()
    while not (stop and stop.is_set()):
        # Many invitations take a while: the lease is renewed before each batch is claimed, so
        # other processes leave this one's claims alone while it works.
        elapsed = dt.timedelta(seconds=asyncio.get_running_loop().time() - started)
        await renew(db, worker, now + elapsed)
        async with db.session() as session:
            rows = await invitation_queries.claim_due(session, worker, now, INVITATION_BATCH)
            work = []
            for invitation, address, language, community in rows:
                token = await invitation_queries.new_link(session, invitation.member_id, now,
                                                          invitation.community_id)
                work.append((invitation.id, invitation.member_id,
                             Letter(Kind.INVITATION, address, language, token, community)))
        if not work:
            return True
        for invitation_id, member_id, letter in work:
            await letters.pace()
            marked: bool | None = None

            async def on_wire(invitation_id: int = invitation_id) -> bool:
                nonlocal marked
                async with db.session() as session:
                    marked = await invitation_queries.on_wire(session, invitation_id, worker, now)
                return marked

            result = await letters.send_letter(letter, now, on_wire)
            if marked is None:  # refused, or failed, before any content went
                await on_wire()
            if not marked:
                continue  # taken from us while it waited: whoever holds it sends it
            async with db.session() as session:
                if result.outcome is Outcome.NOT_SENT:
                    # Surely not taken: due again, with the rest of what this run claimed.
                    for left, _, _ in work:
                        await invitation_queries.give_back(session, left, worker)
                    report.not_sent += 1
                    return False
                values: dict[str, object] = {"status": result.outcome.value,
                                             "error": result.error}
                if result.outcome is Outcome.SENT:
                    values["sent_at"] = now
                await invitation_queries.record(session, invitation_id, values)
                if result.outcome is Outcome.UNREACHABLE:
                    log.info("an invitation's address was refused for good (%s)", result.error)
                    await invitation_queries.address_refused(session, member_id, now)
            if result.outcome is Outcome.SENT:
                INVITATIONS.inc()
                report.notices += 1
            else:
                name = result.outcome.value
                setattr(report, name, getattr(report, name) + 1)
    return True


async def send_emails(db: Database, letters: LetterSender, now: dt.datetime, *, worker: str,
                      lease: dt.timedelta = LEASE, stop: asyncio.Event | None = None,
                      heartbeat: Callable[[], object] | None = None) -> TickReport:
    """Send what is due by email at `now`: invitations, then prompts, reminders, "in case",
    members' checks.

    Planning, closing and the digest stay with the Telegram tick; this run only sends, under
    `worker`'s own name, and first gives back or marks in doubt what a stopped process left.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    report = TickReport()
    await renew(db, worker, now)
    await recover(db, now, worker, lease, report)
    async with db.session() as session:
        released, doubt = await invitation_queries.recover(session, now, lease, worker)
    report.released += released
    report.uncertain += doubt
    if not await _invitations(db, letters, now, worker, report, stop) or (stop and stop.is_set()):
        return report
    run = EmailFanOut(db, letters, now, worker, report, await communities_by_id(db),
                      await busy_members(db), lease)
    run.stop, run.heartbeat = stop, heartbeat
    openings = await due_openings(db, now, report, channel=Channel.EMAIL)
    skip = {d.member_id for d in openings}
    again = await due_again(db, now, skip, channel=Channel.EMAIL)
    reminders = await due_reminders(db, now, skip, channel=Channel.EMAIL)
    checks = await due_checks(db, now, report, skip, channel=Channel.EMAIL)
    await run.fan_out(openings + again + reminders + checks, max(1, round(getattr(letters, "rate", 5.0))))
    return report
