"""A real bot process killed while it sends the conveners' weekly digest, or a retention notice,
then restarted: every convener gets it, none twice as it was.

As with prompts (`test_scheduler_restart.py`), the Bot API double holds one notice on the wire
(the bot has written it, Telegram has not answered) and every send after it; the bot is killed
there, and only then does Telegram take the held request in, so it arrives although the bot
never heard so. That convener gets the notice once more, under a line saying "in case" it did
not reach them; everyone after it gets it once, from the restarted process.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from flows import texts
from storage.models import Notice
from tests import seed
from tests.botapi import BotApiServer
from tests.harness import Harness
from tests.remote import HeldAt, bot_process
from tests.waiting import until

CONVENERS = 12
WAIT = 180.0  # a guard against a hang, not a speed goal: the dead process's lease must lapse
# What each kind says first, and the line its "in case" version starts with.
KINDS = {
    "digest": (texts.DIGEST_INTRO, texts.DIGEST_IN_CASE),
    "retention": (texts.RETENTION_NOTICE.partition("\n")[0].format(community="Frailty Network"),
                  texts.RETENTION_IN_CASE),
}


@pytest.mark.parametrize(("kind", "kill_at"), [("digest", 1), ("digest", CONVENERS // 2),
                                               ("retention", CONVENERS // 2)],
                         ids=["digest-first", "digest-middle", "retention-middle"])
async def test_killed_while_sending_notices_and_restarted_every_convener_gets_it_once(
    harness: Harness, database_url: str, tmp_path: Path, kind: str, kill_at: int,
) -> None:
    if kind == "digest":
        conveners = await seed.conveners_due_a_digest_now(harness, 9300, CONVENERS)
    else:
        conveners = await seed.conveners_told_of_an_erasure(harness, 9300, CONVENERS, teller=9400)
    said, in_case = KINDS[kind]
    held = HeldAt(kill_at, said, WAIT)
    harness.double.holds.append(held)

    def told() -> list[tuple[int, int]]:
        """For each convener: how many times they got it as it was, and as "in case"."""
        out = []
        for user_id in conveners:
            seen = [t for t in harness.double.texts(user_id) if said in t]
            again = sum(t.startswith(in_case) for t in seen)
            out.append((len(seen) - again, again))
        return out

    log = tmp_path / "bot.log"
    with BotApiServer(harness.double) as server:
        with bot_process(server, database_url, log) as first:
            async def reached() -> bool:
                assert first.poll() is None, log.read_text(errors="replace")
                return held.reached.is_set()

            await until(reached, "the notices to reach the send to kill at", WAIT)
            first.send_signal(signal.SIGKILL)
            first.wait(30)
        held.released.set()  # Telegram takes in what was on the wire
        harness.double.holds.remove(held)
        async with harness.db.session() as s:
            on_the_wire = len((await s.scalars(select(Notice.id).where(
                Notice.kind == kind, Notice.status == "sending"))).all())

        with bot_process(server, database_url, log):
            async def settled() -> bool:
                async with harness.db.session() as s:
                    rows = (await s.execute(select(Notice.status, Notice.again)
                                            .where(Notice.kind == kind))).all()
                return len(rows) == CONVENERS and all(status == "sent" for status, _ in rows)

            await until(settled, "the restarted bot to send every notice", WAIT)

    async with harness.db.session() as s:
        notices = (await s.scalars(select(Notice).where(Notice.kind == kind))).all()
    counts = told()
    doubts = sum(n.again for n in notices)
    print(f"{kind}, kill at send {kill_at}: on the wire {on_the_wire}, in doubt {doubts}, "
          f"told 'in case' {sum(a for _, a in counts)}")
    assert [user for user, (first, again) in zip(conveners, counts, strict=True)
            if first + again == 0] == [], "conveners never told"
    assert max(first for first, _ in counts) == 1, f"someone got it twice as it was: {counts}"
    assert max(again for _, again in counts) <= 1
    # Only the send on the wire at the kill was in doubt, and its convener was told again.
    assert doubts == on_the_wire == sum(again for _, again in counts) == 1
    assert all(first == 1 for first, again in counts if again)  # it had arrived: it reads well

    output = log.read_text(encoding="utf-8", errors="replace")
    print("\n".join(line for line in output.splitlines() if ".scheduler.claims" in line))
    assert "Traceback" not in output
    assert "notices were on their way to Telegram when their process stopped" in output
