"""The bot's SQLite statements run where its setting says: on the event loop's thread (the
tuning in storage/tuned_sqlite.py, the default) or on aiosqlite's own (VALUESTORY_STOCK_IO=1).
CI runs the Telegram tests once on each path; this test shows which one a run took."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event, text

from tests import seed
from tests.harness import Harness
from valuestory.process.settings import Settings


async def test_a_member_is_answered_with_statements_running_where_the_setting_says(
    harness: Harness, settings: Settings,
) -> None:
    if harness.db.dialect != "sqlite":
        pytest.skip("PostgreSQL has one driver, asyncpg, on either path")

    def thread_function(dbapi_connection: Any, _record: Any) -> None:
        # Answers, inside a statement, which thread is running it.
        dbapi_connection.create_function("running_thread", 0, threading.get_ident)

    event.listen(harness.db.engine.sync_engine, "connect", thread_function)
    await harness.db.engine.dispose()  # connections from now on have it
    community = await seed.community(harness.db)
    alex = harness.person(501, first_name="Alex")
    replies = await alex.say(f"/start {community.invite_code}")
    assert "Joining Diabetes in Pregnancy" in replies[0]

    async with harness.db.session() as session:
        running = await session.scalar(text("SELECT running_thread()"))
    on_the_loop = running == threading.get_ident()
    assert on_the_loop is not settings.valuestory_stock_io
