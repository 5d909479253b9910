"""A real bot process killed in the middle of a fan-out, then restarted: every member is reached,
nobody is asked twice, and only the requests truly on the wire at the kill are in doubt.

The Bot API double holds the send to kill at and every send after it: the bot has written them,
Telegram has not answered. The bot goes on as far as it can (its other workers claim, mark and
write their sends, which are held too) and writes down every answer it heard; it is killed once
the database shows that state: nothing claimed and not yet written, every send marked on the wire
received by the double, every send the double answered recorded. Only then does Telegram take the
held requests in, so they arrive although the bot never heard so.

The bound asserted is the issue's: sends in doubt <= requests the double received and had not
answered at the kill. A send is marked on the wire just as its request is handed to HTTP, after
every wait of pacing and rate limits, so a mark is never left waiting behind them; the moment
between a mark's commit and its write cannot be closed (they are two systems), which is why the
kill waits for the state above rather than landing inside that moment. Their members get one
"in case" message after the restart; everything else is sent by the restarted process, once.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from flows import texts
from storage.models import Delivery, Member, Prompt
from tests import seed
from tests.botapi import BotApiServer
from tests.harness import Harness
from tests.remote import HeldAt, bot_process, fan_out_finished, restarted_until
from tests.waiting import until

ATTENDANCE = "Did you take part in Evening Session?"
IN_CASE = texts.IN_CASE.format(event="Evening Session", minutes="5 minutes")
MEMBERS = 30
WAIT = 180.0  # a guard against a hang, not a speed goal: the dead process's lease must lapse


@pytest.mark.parametrize("kill_at", [1, MEMBERS // 2, MEMBERS], ids=["first", "middle", "last"])
async def test_killed_at_a_send_of_a_fan_out_and_restarted_every_member_is_reached_once(
    harness: Harness, database_url: str, tmp_path: Path, kill_at: int,
) -> None:
    people = await seed.members_due_a_prompt_now(harness, 900, MEMBERS)
    held = HeldAt(kill_at, ATTENDANCE, WAIT)
    harness.double.holds.append(held)

    def asked() -> list[int]:
        return [sum(ATTENDANCE in t for t in harness.double.texts(p.user_id)) for p in people]

    def asked_again() -> list[int]:
        return [sum(IN_CASE in t for t in harness.double.texts(p.user_id)) for p in people]

    def answered() -> set[int]:
        return {p.user_id for p in people if any(ATTENDANCE in t
                                                 for t in harness.double.texts(p.user_id))}

    async def openings() -> dict[str, set[int]]:
        """The chats of the openings in each state, as the database says."""
        async with harness.db.session() as s:
            rows = (await s.execute(
                select(Member.telegram_user_id, Delivery.status)
                .join(Prompt, Prompt.id == Delivery.prompt_id)
                .join(Member, Member.id == Prompt.member_id)
                .where(Delivery.purpose == "prompt"))).all()
        states: dict[str, set[int]] = {}
        for chat, status in rows:
            if chat is not None:
                states.setdefault(status, set()).add(chat)
        return states

    async def gaps() -> tuple[int, int, int]:
        """Claimed and not on the wire; marked on the wire and not received; answered and not
        recorded."""
        states, heard = await openings(), answered()
        received = set(held.chats) | heard
        return (len(states.get("claimed", set())),
                len(states.get("sending", set()) - received),
                len(heard - states.get("sent", set())))

    log = tmp_path / "bot.log"
    with BotApiServer(harness.double) as server:
        with bot_process(server, database_url, log) as first:
            async def reached() -> bool:
                assert first.poll() is None, log.read_text(errors="replace")
                return held.reached.is_set()

            await until(reached, "the fan-out to reach the send to kill at", WAIT)
            at_reach = await gaps()

            async def quiet() -> bool:
                assert first.poll() is None, log.read_text(errors="replace")
                return await gaps() == (0, 0, 0)

            await until(quiet, "the bot to put on the wire what it can and record what it heard",
                        WAIT, every=0.05)
            first.send_signal(signal.SIGKILL)
            first.wait(30)
        # Counted before Telegram takes in what was held, so these are what arrived before.
        at_kill = sum(asked())
        written = held.held  # requests the bot wrote that Telegram had not answered
        states = await openings()
        # Telegram takes in what was on the wire: it arrives, though the bot never heard so.
        held.released.set()
        harness.double.holds.remove(held)

        await restarted_until(server, database_url, log,
                              lambda: fan_out_finished(harness.db, MEMBERS),
                              "the restarted bot to finish the fan-out", WAIT)

    counts, again = asked(), asked_again()
    async with harness.db.session() as s:
        deliveries = (await s.scalars(select(Delivery))).all()
    doubts = [d for d in deliveries if d.purpose == "prompt" and d.status == "uncertain"]
    never = [p.user_id for p, n, m in zip(people, counts, again, strict=True) if n + m == 0]
    print(f"kill at send {kill_at}: in doubt {len(doubts)}, truly unanswered (held by Telegram) "
          f"{written}; when the send was reached: claimed {at_reach[0]}, marked and not "
          f"received {at_reach[1]}, answered and not recorded {at_reach[2]}; at the kill: "
          f"on the wire {len(states.get('sending', set()))}, answered {at_kill}, "
          f"asked again {sum(again)}")
    assert never == [], f"members never reached: {never}"
    assert max(counts) == 1, f"someone was asked twice: {counts}"
    assert max(again) <= 1 and sum(again) == len(doubts)
    # The bound: in doubt, at most the requests written and unanswered at the kill;
    # the send killed at is one of them.
    assert 1 <= len(doubts) <= written
    assert {d.status for d in deliveries} == {"sent", "uncertain"}

    output = log.read_text(encoding="utf-8", errors="replace")
    print("\n".join(line for line in output.splitlines() if ".scheduler.claims" in line))
    assert "Traceback" not in output
    assert "were on their way to Telegram when their process stopped" in output
