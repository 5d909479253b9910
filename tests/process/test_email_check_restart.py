"""A real bot process killed while it emails the members' check, then restarted: nobody gets the
check's email twice, and everyone whose email was not in doubt gets it once.

The mail server takes in the content of the middle member's email and holds its answer (and
every email's after it); the bot is killed there. Those checks are in doubt and, as Telegram's,
never sent again (a check has no "in case" email): if one came, its link works; if not, its
member is not counted as asked. The ones claimed and not yet on the wire are sent by the
restarted process, once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select

from flows import texts
from storage.models import Check, CheckStatus, Delivery, utcnow
from tests import seed
from tests.botapi import BotApiServer
from tests.harness import Harness
from tests.mailserver import HeldAt, running
from tests.remote import count_deliveries, killed_when_held, restarted_until
from valuestory.usecases import checking, community_settings, indicators

MEMBERS = 12
NAME = "Frailty"
CHECK = texts.MAIL_CHECK_SUBJECT.format(community=texts.isolate(NAME))
WAIT = 180.0  # a guard against a hang, not a speed goal: the dead process's lease must lapse


async def test_killed_while_emailing_the_check_and_restarted_no_member_is_asked_twice(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    db = harness.db
    c = await seed.community(db, NAME)
    await community_settings.change(db, str(c.id), community_settings.Change(quiet="off"), {},
                                    actor="test")
    await indicators.add(db, indicators.COMMAND_LINE, NAME, "immediate",
                         "It's a safe space to ask questions")
    addresses = [f"member{i}@example.net" for i in range(MEMBERS)]
    for address in addresses:
        await seed.email_member(db, c, address, joined=utcnow() - dt.timedelta(days=30))
    await checking.share_from_command_line(db, NAME, "test")
    held = HeldAt(MEMBERS // 2, CHECK, WAIT)
    log = tmp_path / "bot.log"

    with running() as mail, BotApiServer(harness.double) as server:
        settings = {"SMTP_URL": mail.url, "MAIL_FROM": "Our CoP <valuestory@example.org>",
                    "PUBLIC_URL": "https://cop.example.org"}
        mail.hold(held)

        def checks_to() -> list[int]:
            return [sum(m["Subject"] == CHECK for m in mail.to(a)) for a in addresses]

        await killed_when_held(server, database_url, log, held,
                               "the email run to reach the check's email to kill at", WAIT, settings)
        marked = await count_deliveries(db, "sending")
        # The server lets what was held arrive, though the killed bot never heard so.
        held.released.set()
        mail.hold(None)

        async def settled() -> bool:
            async with db.session() as s:
                rows = (await s.execute(select(Delivery.status).where(
                    Delivery.check_id.is_not(None)))).scalars().all()
                waiting = (await s.scalars(select(Check.id).where(
                    Check.status == CheckStatus.SCHEDULED))).all()
            return (not waiting and len(rows) == MEMBERS
                    and not any(r in ("claimed", "sending") for r in rows))

        await restarted_until(server, database_url, log, settled,
                              "the restarted bot to finish emailing the check", WAIT, settings)
        asked = checks_to()

    async with db.session() as s:
        statuses = (await s.scalars(select(Delivery.status).where(
            Delivery.check_id.is_not(None)))).all()
        opened = set((await s.scalars(select(Check.status))).all())
    print(f"kill at check email {MEMBERS // 2}: written and unanswered {held.held}, marked on "
          f"the wire {marked}, in doubt {statuses.count('uncertain')}")
    doubts = statuses.count("uncertain")
    assert max(asked) == 1, f"someone was emailed the check twice: {asked}"
    assert MEMBERS - sum(asked) <= doubts == marked >= 1
    assert set(statuses) == {"sent", "uncertain"} and opened == {CheckStatus.OPEN}
    # Counted as asked: the members whose email the mail server was heard to take.
    (listed,) = await indicators.listing(db, NAME)
    assert listed.to_dict()["check"]["asked"] == statuses.count("sent")
    output = log.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in output
    assert not any(a in output for a in addresses)
