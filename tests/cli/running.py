"""Running `valuestory` as a script would, for the command-line tests: one way to call it, to
read its JSON, and to seed a database through the doors before it runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from click.testing import CliRunner, Result

from storage.db import Database
from tests.botapi import TOKEN
from valuestory.cli import main

T = TypeVar("T")


def run(url: str, *args: str) -> Result:
    """`valuestory ARGS` against the database at `url`, as a deployer's shell runs it."""
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": url,
                                                     "TELEGRAM_BOT_TOKEN": TOKEN})


def json_of(result: Result) -> Any:
    """What a `--json` command printed, once it has succeeded."""
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def seeded(url: str, seed: Callable[[Database], Awaitable[tuple[Any, T]]]) -> T:
    """What a storage test's seed (a community and what it made) says it made, run on `url`."""
    async def go() -> T:
        db = Database(url)
        try:
            return (await seed(db))[1]
        finally:
            await db.dispose()
    return asyncio.run(go())
