"""The database goes away for a minute and comes back, while members talk and a fan-out runs.

A real bot process (long polling the Bot API double) reaches PostgreSQL through a TCP proxy on
127.0.0.1 that the test can cut: every open connection is reset and new ones are refused. On
SQLite, either its file sits on a small filesystem of its own that the test fills up, or the
file and its write-ahead log are made read-only in the one way a process holding them open
notices: immutable (`chattr +i`). A file made read-only with chmod is not noticed by a process
that has it open, a filesystem cannot be remounted read-only while a file on it is open for
writing, and SQLite's shared-memory index must stay writable (it is mapped into memory: made
immutable, the process dies of SIGBUS at its next write). Mounting and `chattr` need root; the
SQLite cases are skipped without it, and fail under CI, which runs as root.

The bot must stay up, say so in a few log lines, answer /healthz 503 naming the database, leave
unkept updates unconfirmed at Telegram, and, once the database is back, answer every member in
order, store every answer once, and finish the fan-out with nobody asked twice or missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from flows import texts
from storage.db import Database
from storage.models import Narrative
from tests import seed
from tests.botapi import BotApiServer
from tests.harness import Harness
from tests.proxy import CuttableProxy
from tests.remote import (
    FAN_OUT,
    OUTAGE,
    STORY,
    BotProcess,
    Chat,
    Remote,
    asked_once,
    at_question_2,
    chats_with_a_prompt_open,
    fan_out_finished,
    polling_bot,
    read_log,
    replied_once_in_order,
    until,
)

TALKING = 10
WAIT = 240.0  # a guard against a hang, not a speed goal


class HoldFanOut:
    """Holds the fan-out's openings after the first few, until released: it is mid-way."""

    def __init__(self, after: int) -> None:
        self.after, self.seen = after, 0
        self.lock = threading.Lock()
        self.released = threading.Event()

    def __call__(self, method: str, params: dict[str, Any]) -> None:
        if method != "sendMessage" or STORY not in str(params.get("text", "")):
            return
        with self.lock:
            self.seen += 1
            held = self.seen > self.after
        if held:
            self.released.wait(WAIT)


class FullDisk:
    """A SQLite database on a small filesystem of its own, which can be filled and freed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.filler = folder / "filler"

    def mount(self) -> None:
        self.folder.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(self.folder)],
                              capture_output=True, check=False)
        if done.returncode != 0:
            cannot("filling a filesystem needs one of our own, and mounting needs root")

    async def fill(self) -> None:
        with self.filler.open("wb") as out, contextlib.suppress(OSError):
            while True:
                out.write(b"\0" * (1 << 20))
                out.flush()

    async def free(self) -> None:
        self.filler.unlink()

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.folder)], capture_output=True, check=False)


def cannot(why: str) -> None:
    """Skip what this machine cannot do; under CI, which runs as root, that is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


class ReadOnlyFile:
    """A SQLite database file and its write-ahead log, made read-only (immutable) and back."""

    def __init__(self, path: Path) -> None:
        self.files = [path, path.with_name(path.name + "-wal")]

    def check(self, scratch: Path) -> None:
        scratch.write_bytes(b"")
        done = subprocess.run(["chattr", "+i", str(scratch)], capture_output=True, check=False)
        subprocess.run(["chattr", "-i", str(scratch)], capture_output=True, check=False)
        if done.returncode != 0:
            cannot(f"making a file immutable needs root and a filesystem that supports it: "
                   f"{done.stderr.decode(errors='replace').strip()}")

    async def cut(self) -> None:
        assert all(f.exists() for f in self.files), "the bot keeps its write-ahead log open"
        subprocess.run(["chattr", "+i", *map(str, self.files)], check=True)

    async def restore(self) -> None:
        subprocess.run(["chattr", "-i", *map(str, self.files)], check=True)


@contextlib.asynccontextmanager
async def outage_for(harness: Harness, database_url: str, tmp_path: Path,
                     read_only: bool = False) -> AsyncIterator[tuple[str, Database, Any, Any]]:
    """(the bot's database URL, a database to check with, cut, restore), once seeding is done."""
    if read_only:
        file = ReadOnlyFile(Path(make_url(database_url).database or ""))
        file.check(tmp_path / "scratch")
        try:
            yield database_url, harness.db, file.cut, file.restore
        finally:
            await file.restore()
        return
    if database_url.startswith("postgresql"):
        target = make_url(database_url)
        proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
        through = target.set(host="127.0.0.1", port=await proxy.start())
        try:
            yield through.render_as_string(hide_password=False), harness.db, proxy.cut_all, \
                proxy.restore
        finally:
            await proxy.close()
        return
    disk = FullDisk(tmp_path / "small")
    disk.mount()
    try:
        source = Path(make_url(database_url).database or "")
        copy = disk.folder / source.name
        with contextlib.closing(sqlite3.connect(source)) as origin, \
                contextlib.closing(sqlite3.connect(copy)) as there:
            origin.backup(there)  # everything seeded, with what is still in the WAL
        url = f"sqlite+aiosqlite:///{copy}"
        check = Database(url)
        try:
            yield url, check, disk.fill, disk.free
        finally:
            await check.dispose()
    finally:
        disk.unmount()


async def test_database_away_for_a_minute_loses_nothing_says_it_briefly_and_carries_on(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    chats, asked_people, hold = await _talking_and_due(harness)
    async with outage_for(harness, database_url, tmp_path) as (bot_url, db, cut, restore):
        await _story(harness, tmp_path, bot_url, db, cut, restore, chats, asked_people, hold)


async def test_sqlite_file_read_only_for_a_minute_loses_nothing_says_it_briefly_and_carries_on(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("a file made read-only is SQLite's; PostgreSQL's outage is the one above")
    chats, asked_people, hold = await _talking_and_due(harness)
    async with outage_for(harness, database_url, tmp_path, read_only=True) as (
            bot_url, db, cut, restore):
        await _story(harness, tmp_path, bot_url, db, cut, restore, chats, asked_people, hold)


async def _talking_and_due(harness: Harness) -> tuple[list[Chat], list[Any], HoldFanOut]:
    """Ten members in the middle of a story, and thirty due a prompt as the bot starts, whose
    fan-out is held a third of the way."""
    chats = await chats_with_a_prompt_open(harness, 701, TALKING)
    asked_people = await seed.members_due_a_prompt_now(harness, 900, FAN_OUT)
    hold = HoldFanOut(after=FAN_OUT // 3)
    harness.double.holds.append(hold)
    return chats, asked_people, hold


async def _story(harness: Harness, tmp_path: Path, bot_url: str, db: Database, cut: Any,
                 restore: Any, chats: list[Chat], asked_people: list[Any],
                 hold: HoldFanOut) -> None:
    with BotApiServer(harness.double) as server:
        bot = polling_bot(tmp_path, bot_url, server)
        await bot.start()
        try:
            await at_question_2(chats)
            await until(lambda: hold.seen > hold.after, "the fan-out to be under way", WAIT)

            await cut()
            loop = asyncio.get_running_loop()
            cut_at = loop.time()
            # Telegram answers the sends that were on their way; the bot cannot write it down.
            hold.released.set()
            for i, chat in enumerate(chats):
                chat.push_text(f"during the cut {i}")
            async with httpx.AsyncClient(timeout=30) as client:
                async def unhealthy() -> bool:
                    response = await client.get(bot.url + "/healthz")
                    return response.status_code == 503 and "database" in response.text

                await until(unhealthy, "/healthz to say the database is away", WAIT, every=0.2)
                await asyncio.sleep(max(0.0, OUTAGE - (loop.time() - cut_at)))
                assert bot.proc is not None and bot.proc.poll() is None, "the bot exited"
                # Nothing said during the cut was confirmed to Telegram before it was kept.
                assert all(sum("Got it" in t for t in chat.seen()) == 0 for chat in chats)
                await restore()

                for chat in chats:
                    await chat.expect("Got it", within=WAIT)
                for i, chat in enumerate(chats):
                    chat.push_text(f"after the cut {i}")
                for chat in chats:
                    await chat.expect(texts.ACK_MORE, within=WAIT)

                async def healthy() -> bool:
                    return (await client.get(bot.url + "/healthz")).status_code == 200

                await until(healthy, "/healthz to be 200 again", WAIT, every=0.2)

            await until(lambda: fan_out_finished(db), "the fan-out to finish", WAIT, every=0.2)
            assert bot.proc is not None and bot.proc.poll() is None, "the bot exited"
            assert await bot.terminate() == 0
        finally:
            bot.kill()

    async with db.session() as s:
        answers = {(n.prompt_id, n.question_id): n.text
                   for n in (await s.scalars(select(Narrative))).all()}
    told = sorted(text for text in answers.values())
    assert told == sorted(f"during the cut {i}\n\nafter the cut {i}" for i in range(TALKING))
    replied_once_in_order(chats, "Got it", "Added to")
    asked_once(harness.double, asked_people)
    read_log(bot, "database", OUTAGE, [f"the cut {i}" for i in range(TALKING)])


async def test_a_webhook_call_the_bot_cannot_keep_is_answered_503_and_handled_once_redelivered(
    harness: Harness, database_url: str, tmp_path: Path,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("the proxy stands between the bot and PostgreSQL")
    frailty = await seed.community(harness.db, "Frailty Network")
    winter = await seed.event(harness.db, frailty)
    robin = harness.person(801)
    await seed.join(robin, frailty)
    await seed.open_prompt(harness.db, robin, winter)
    target = make_url(database_url)
    proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
    through = target.set(host="127.0.0.1", port=await proxy.start())
    with BotApiServer(harness.double) as server:
        bot = BotProcess(tmp_path, through.render_as_string(hide_password=False), server, "bot")
        remote = Remote(harness.double, [bot])
        await bot.start()
        try:
            update = {"update_id": 7_000_001, "message": robin.message(
                text="/continue", entities=[{"type": "bot_command", "offset": 0, "length": 9}])}
            await proxy.cut_all()
            refused = await remote.post(bot, update)
            assert refused.status_code == 503 and "Retry-After" in refused.headers
            await proxy.restore()

            async def handled() -> bool:
                # Telegram delivers it again until it is answered 200.
                return (await remote.post(bot, update)).status_code == 200

            await until(handled, "the redelivered update to be handled", WAIT, every=0.2)
            assert (await remote.post(bot, update)).status_code == 200  # and again: a duplicate
            assert await bot.terminate() == 0
        finally:
            await remote.close()
            bot.kill()
            await proxy.close()
    assert sum("Question 1" in t for t in robin.texts_since(0)) == 1
    assert "Traceback" not in bot.logs()
