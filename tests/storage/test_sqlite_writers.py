"""SQLite has one writer: a unit of work waits for another process's write lock with the event
loop free (aiosqlite's thread does the waiting), and neither side's work is lost."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Community, SchedulerState


@pytest.fixture
def sqlite_path(tmp_path: Path, sqlite_template: Path) -> Path:
    path = tmp_path / "writers.db"
    path.write_bytes(sqlite_template.read_bytes())
    return path


async def test_a_unit_of_work_waits_for_another_process_with_the_loop_free(
    sqlite_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{sqlite_path}")
    other = sqlite3.connect(sqlite_path, isolation_level=None)  # as another process would
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO scheduler_state (key, value, at) "
                  "VALUES ('other', 'theirs', '2026-12-01 10:00:00')")
    beats = 0

    async def heartbeat() -> None:
        nonlocal beats
        while True:
            beats += 1
            await asyncio.sleep(0.01)

    async def write() -> tuple[list[str], str | None]:
        async with db.session() as session:  # waits here for the other writer
            session.add(Community(name="Diabetes", timezone="UTC", invite_code="ours01",
                                  question_set="default"))
        async with db.session() as session:
            names = list((await session.scalars(select(Community.name))).all())
            theirs = await session.scalar(select(SchedulerState.value)
                                          .where(SchedulerState.key == "other"))
            return names, theirs

    beating = asyncio.create_task(heartbeat())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.5)
    assert not writing.done()  # still waiting for the lock...
    assert beats > 1  # ...and the loop went on meanwhile
    other.execute("COMMIT")
    names, theirs = await asyncio.wait_for(writing, 10)
    beating.cancel()
    other.close()
    await db.dispose()
    # Both writers' work is there: neither was lost to "database is locked".
    assert names == ["Diabetes"] and theirs == "theirs"
