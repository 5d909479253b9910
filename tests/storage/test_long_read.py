"""A long read never holds the event loop: others are answered while it runs, on either driver."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.db import Database
from storage.models import Community

# A statement that takes a good part of a second on this kind of machine.
LONG = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
              "SELECT count(*) FROM c",
    "postgresql": "SELECT count(*) FROM generate_series(1, 3000000)",
}


async def test_others_go_on_while_a_long_read_runs(db: Database) -> None:
    beats_during = 0
    reading = True

    async def heartbeat() -> None:
        nonlocal beats_during
        while reading:
            await asyncio.sleep(0.001)
            beats_during += 1

    async def long_read() -> int:
        nonlocal reading
        try:
            async with db.long_read() as session:
                return int(await session.scalar(text(LONG[db.dialect])) or 0)
        finally:
            reading = False

    beating = asyncio.create_task(heartbeat())
    counted = await long_read()
    await beating
    assert counted == 3_000_000
    # The loop went on while the statement ran: on the loop's thread it could not have.
    assert beats_during > 0


async def test_a_member_can_write_while_a_long_read_is_open(db: Database) -> None:
    async with db.long_read() as session:
        assert await session.scalar(text("SELECT count(*) FROM communities")) == 0
        # A writer's unit of work is not made to wait for the reader to finish.
        async with asyncio.timeout(10), db.session() as writing:
            writing.add(Community(name="Diabetes", timezone="UTC", invite_code="ours01",
                                  question_set="default"))
    async with db.long_read() as session:
        assert await session.scalar(text("SELECT count(*) FROM communities")) == 1


async def test_a_long_read_on_sqlite_may_not_write(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("on PostgreSQL the server keeps readers and writers apart")
    with pytest.raises(OperationalError, match="readonly"):
        async with db.long_read() as session:
            await session.execute(text("DELETE FROM communities"))
