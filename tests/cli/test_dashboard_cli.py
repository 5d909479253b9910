"""`valuestory dashboard link`: an admin makes a sign-in link on the server."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner

from storage.db import Database
from tests import seed
from tests.botapi import TOKEN
from valuestory.cli import main
from valuestory.usecases import signin


async def _seed(url: str) -> None:
    db = Database(url)
    c = await seed.community(db, "Frailty Network", "Europe/London")
    await seed.grant(db, 4401, "convener", c)
    await db.dispose()


def test_dashboard_link_is_printed_for_someone_with_a_role_and_refused_otherwise(
        database_url: str) -> None:
    asyncio.run(_seed(database_url))
    env = {"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN,
           "PUBLIC_URL": "https://cop.example.org/"}
    runner = CliRunner()
    result = runner.invoke(main, ["dashboard", "link", "--telegram-id", "4401", "--json"], env=env)
    assert result.exit_code == 0, result.output
    link = json.loads(result.output)["link"]
    assert link.startswith("https://cop.example.org/dashboard/signin/")

    async def use() -> bool:
        db = Database(database_url)
        try:
            token = link.rsplit("/", 1)[1]
            return (await signin.with_link(db, token, "127.0.0.1", frozenset())).token is not None
        finally:
            await db.dispose()

    assert asyncio.run(use())

    refused = runner.invoke(main, ["dashboard", "link", "--telegram-id", "4999"], env=env)
    assert refused.exit_code == 2
    assert "4999 has no convener or researcher role" in refused.output
    assert "Traceback" not in refused.output
