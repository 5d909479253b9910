"""A real bot process: SIGTERM in the middle of a burst loses nothing and sends nothing twice,
and its logs, even at DEBUG, hold no answers, names, usernames or token."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Delivery, Member, Membership, Narrative
from tests import seed
from tests.botapi import TOKEN, BotApiDouble, BotApiServer
from tests.harness import Harness
from tests.remote import SECRET, BotProcess, Remote
from tests.waiting import until


def slow_sends(method: str, params: dict[str, Any]) -> None:
    """Telegram taking a moment per message, so the burst is still in flight at SIGTERM."""
    if method == "sendMessage":
        import time

        time.sleep(0.15)


async def test_sigterm_in_a_burst_of_answers_loses_nothing_and_sends_nothing_twice(
    database_url: str, tmp_path: Path,
) -> None:
    double = BotApiDouble()
    db = Database(database_url)
    with BotApiServer(double) as api:
        bot = BotProcess(tmp_path, database_url, api, "bot")
        restarted = BotProcess(tmp_path, database_url, api, "restarted", port=bot.port)
        try:
            await bot.start()
            telegram = Remote(double, [bot])
            community = await seed.community(db)
            event = await seed.event(db, community)
            people = [telegram.person(800 + i) for i in range(16)]
            for person in people:
                await seed.join(person, community)
                await seed.open_prompt(db, person, event)
                await person.say("/continue")
                await person.tap(seed.THERE)
            marks = {p.user_id: len(p.inbox) for p in people}
            answers = {p.user_id: f"Burst answer from member {i}" for i, p in enumerate(people)}
            updates = {p.user_id: {"update_id": 6_000_000 + i, "message": p.message(
                text=answers[p.user_id])} for i, p in enumerate(people)}

            double.rules.append(slow_sends)  # type: ignore[arg-type]
            sends_before = double.count("sendMessage")

            async def deliver(data: dict[str, Any]) -> int:
                try:
                    return (await telegram.post(bot, data)).status_code
                except httpx.TransportError:
                    return 0  # connection refused or dropped: Telegram keeps it for later

            first_wave, late_wave = list(updates)[:10], list(updates)[10:]
            burst = [asyncio.create_task(deliver(updates[uid])) for uid in first_wave]
            await until(lambda: double.count("sendMessage") >= sends_before + 2,
                        "the burst reaching Telegram")
            assert bot.proc is not None
            bot.proc.send_signal(signal.SIGTERM)
            await until(lambda: "stop requested" in bot.logs(), "the process noticing SIGTERM")
            # Arriving while the process stops: refused, so Telegram keeps them for later.
            late = await asyncio.gather(*(deliver(updates[uid]) for uid in late_wave))
            statuses = dict(zip(first_wave, await asyncio.gather(*burst), strict=True))
            statuses.update(zip(late_wave, late, strict=True))
            exit_status = await asyncio.to_thread(bot.proc.wait, 60)
            assert all(status != 200 for status in late)
            double.rules.clear()

            assert exit_status == 0
            assert "stopped cleanly" in bot.logs()
            # Answered 200 means handled and replied to before the process went.
            for user_id, status in statuses.items():
                if status == 200:
                    assert len(double.chat(user_id)) > marks[user_id]

            await restarted.start()
            # Telegram delivers again whatever was not answered 200; and may repeat one that
            # was (its answer was lost): both must come out exactly once.
            again = [u for uid, u in updates.items() if statuses[uid] != 200]
            again += [u for uid, u in updates.items() if statuses[uid] == 200][:1]
            for data in again:
                assert (await telegram.post(restarted, data)).status_code == 200
            await telegram.close()
            assert await restarted.terminate() == 0
        finally:
            bot.kill()
            restarted.kill()

    async with db.session() as s:
        for person in people:
            member = await s.scalar(select(Member).where(Member.telegram_user_id == person.user_id))
            assert member is not None
            stored = (await s.scalars(select(Narrative.text).where(
                Narrative.member_id == member.id))).all()
            assert stored == [answers[person.user_id]]
    for person in people:
        replies = double.texts(person.user_id)[marks[person.user_id]:]
        assert len(replies) == 1, replies  # one reply to the one answer, never two
    await db.dispose()


async def test_sigterm_in_the_middle_of_a_fan_out_sends_each_prompt_exactly_once(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    """The fan-out half of graceful shutdown; it needs the scheduler (bot.scheduling)."""
    pytest.importorskip("bot.scheduling", reason="needs the scheduler's fan-out")
    members = 30
    people = await seed.members_due_a_prompt_now(harness, 1000, members)
    double = harness.double
    double.rules.append(slow_sends)  # type: ignore[arg-type]

    def asked() -> list[int]:
        return [sum("Evening Session" in t for t in double.texts(p.user_id)) for p in people]

    env = {"SCHEDULER_INTERVAL_SECONDS": "1"}
    with BotApiServer(double) as api:
        bot = BotProcess(tmp_path, database_url, api, "bot", extra_env=env)
        restarted = BotProcess(tmp_path, database_url, api, "restarted", port=bot.port,
                               extra_env=env)
        try:
            await bot.start()
            await until(lambda: sum(asked()) >= 3, "the fan-out to start")
            assert sum(asked()) < members, "the stop should land in the middle of the fan-out"
            assert await bot.terminate() == 0
            assert "stopped cleanly" in bot.logs()
            at_stop = asked()
            assert sum(at_stop) > 0 and max(at_stop) == 1
            async with harness.db.session() as s:
                # Everything sent before the stop is recorded as sent: no claim left in doubt.
                assert (await s.scalars(select(Delivery).where(
                    Delivery.status == "claimed"))).all() == []
            double.rules.clear()
            await restarted.start()
            await until(lambda: sum(asked()) >= members, "the rest of the fan-out")
            assert await restarted.terminate() == 0
        finally:
            bot.kill()
            restarted.kill()
    assert asked() == [1] * members  # nobody lost, nobody asked twice
    async with harness.db.session() as s:
        statuses = (await s.scalars(select(Delivery.status))).all()
    assert statuses.count("sent") == members and set(statuses) == {"sent"}


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_debug_logs_of_a_full_story_hold_no_answers_names_usernames_or_token(
    database_url: str, tmp_path: Path, log_format: str,
) -> None:
    double = BotApiDouble()
    db = Database(database_url)
    moment, capitals, intention = ("Quiet revelation about insulin pumps",
                                   {seed.INSIGHT: "Untangling a glucose chart together",
                                    seed.CONNECTION: "Met Priyanka from the renal ward"},
                                   "Pilot the evening huddle in March")
    with BotApiServer(double) as api:
        bot = BotProcess(tmp_path, database_url, api, "bot",
                         extra_env={"LOG_LEVEL": "DEBUG", "LOG_FORMAT": log_format})
        try:
            await bot.start()
            telegram = Remote(double, [bot])
            community = await seed.community(db)
            event = await seed.event(db, community)
            zara = telegram.person(587309214, first_name="Zarathustra", username="zara_midwife_77")
            await seed.join(zara, community)
            await seed.open_prompt(db, zara, event)
            recap = await seed.tell(zara, moment, capitals, intention)
            await zara.send(contact={"phone_number": "+447700900123", "first_name": "Zarathustra"})
            failures = iter([True])

            def refuse_once(method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
                if method == "sendMessage" and next(failures, False):
                    return 400, {"ok": False, "error_code": 400,
                                 "description": "Bad Request: message is too long"}
                return None

            double.rules.append(refuse_once)
            await zara.say("/help")  # the reply fails: a handler error with a traceback
            forged = await telegram.post(bot, {"update_id": 1, "message": zara.message(
                text="Quiet revelation about insulin pumps")}, secret="wrong")
            assert forged.status_code == 403
            await telegram.close()
            assert await bot.terminate() == 0
        finally:
            bot.kill()
    assert moment in recap[-1]  # the story really went through
    async with db.session() as s:
        pseudonym = await s.scalar(select(Membership.pseudonym))
    await db.dispose()

    logs = bot.logs()
    lines = [line for line in logs.splitlines() if line.strip()]
    assert len(lines) > 5
    if log_format == "json":
        entries = [json.loads(line) for line in lines]
        assert any("BadRequest" in e.get("error", "") for e in entries)
    else:
        # One line per event: the traceback is folded onto its line.
        assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line) for line in lines)
        assert any("handler failed" in line and "Traceback" in line for line in lines)
    # Members are named by pseudonym.
    assert f"{pseudonym} joined community" in logs and f"{pseudonym} finished prompt" in logs
    for secret in (moment, *capitals.values(), intention, "insulin", "Zarathustra", "zara_midwife",
                   "Priyanka", "7700900123", TOKEN, TOKEN.split(":")[1], SECRET, str(zara.user_id)):
        assert secret not in logs, f"{secret!r} leaked into the logs"
