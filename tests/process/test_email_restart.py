"""A real bot process killed in the middle of an email fan-out to 30 members, then restarted:
every member gets the prompt's email once, nobody twice.

The mail server takes in one email's content and holds its answer (and every email's after it);
the bot is killed there, and only then does the server let the held emails arrive, though the
bot never heard so. Those are the emails in doubt: their members get one "in case" email after
the restart. Everything else is sent by the restarted process, once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from flows import texts
from storage.models import Delivery, Invitation, utcnow
from tests import seed
from tests.botapi import BotApiServer
from tests.harness import Harness
from tests.mailserver import HeldAt, running
from tests.remote import count_deliveries, fan_out_finished, killed_when_held, restarted_until
from valuestory.usecases import community_settings, scheduler

MEMBERS = 30
TITLE = "Evening Session"
PROMPT = texts.MAIL_PROMPT_SUBJECT.format(event=texts.isolate(TITLE))
IN_CASE = texts.MAIL_AGAIN_SUBJECT.format(event=texts.isolate(TITLE))
WAIT = 180.0  # a guard against a hang, not a speed goal: the dead process's lease must lapse


@pytest.mark.parametrize("kill_at", [1, MEMBERS // 2], ids=["first", "middle"])
async def test_killed_in_an_email_fan_out_and_restarted_every_member_is_emailed_once(
    harness: Harness, database_url: str, tmp_path: Path, kill_at: int,
) -> None:
    db = harness.db
    c = await seed.community(db, "Frailty")
    await community_settings.change(db, str(c.id), community_settings.Change(
        delay="0", quiet="off"), {}, actor="test")
    now = utcnow()
    addresses = [f"member{i}@example.net" for i in range(MEMBERS)]
    for address in addresses:
        await seed.email_member(db, c, address, joined=now - dt.timedelta(days=30))
    await seed.event(db, c, TITLE, (now - dt.timedelta(hours=2)).isoformat(),
                     (now - dt.timedelta(minutes=1)).isoformat())
    held = HeldAt(kill_at, PROMPT, WAIT)
    log = tmp_path / "bot.log"

    with running() as mail, BotApiServer(harness.double) as server:
        settings = {"SMTP_URL": mail.url, "MAIL_FROM": "Our CoP <valuestory@example.org>",
                    "PUBLIC_URL": "https://cop.example.org"}
        mail.hold(held)

        def subjects(subject: str) -> list[int]:
            return [sum(m["Subject"] == subject for m in mail.to(a)) for a in addresses]

        await killed_when_held(server, database_url, log, held,
                               "the email fan-out to reach the email to kill at", WAIT, settings)
        at_kill = sum(subjects(PROMPT))
        written = held.held
        marked = await count_deliveries(db, "sending")
        # The server lets what was held arrive, though the killed bot never heard so.
        held.released.set()
        mail.hold(None)

        await restarted_until(server, database_url, log, lambda: fan_out_finished(db, MEMBERS),
                              "the restarted bot to finish the email fan-out", WAIT, settings)

        prompts, again = subjects(PROMPT), subjects(IN_CASE)
        invited = subjects(texts.MAIL_INVITE_SUBJECT.format(community=texts.isolate("Frailty")))
    async with db.session() as s:
        deliveries = (await s.scalars(select(Delivery))).all()
        invitations = set((await s.scalars(select(Invitation.status))).all())
    doubts = [d for d in deliveries if d.purpose == "prompt" and d.status == "uncertain"]
    never = [a for a, n, m in zip(addresses, prompts, again, strict=True) if n + m == 0]
    print(f"kill at email {kill_at}: arrived before the kill {at_kill}, written and unanswered "
          f"{written}, marked on the wire {marked}, in doubt {len(doubts)}, "
          f"emailed again {sum(again)}")
    assert never == [], f"members never emailed: {never}"
    assert max(prompts) == 1, f"someone was emailed twice: {prompts}"
    assert max(again) <= 1 and sum(again) == len(doubts)
    assert written <= len(doubts) == marked
    assert len(doubts) >= 1  # the held email is on the wire, and its answer never came back
    assert {d.status for d in deliveries} == {"sent", "uncertain"}
    assert invited == [1] * MEMBERS and invitations == {"sent"}
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in output
    assert not any(a in output for a in addresses)
    assert scheduler.IN_FLIGHT >= 1
