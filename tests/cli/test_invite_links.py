"""Invite links printed on the command line name the bot, whether or not it has run yet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.botapi import TOKEN, BotApiDouble, BotApiServer
from valuestory.cli import main


def vs(*args: str, **env: str) -> dict[str, object]:
    result = CliRunner().invoke(main, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


def test_with_a_token_the_invite_link_names_the_bot_before_it_has_ever_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'valuestory.db'}")
    double = BotApiDouble()
    with BotApiServer(double) as server:
        made = vs("community", "create", "Frailty", TELEGRAM_BOT_TOKEN=TOKEN,
                  TELEGRAM_API_BASE_URL=server.base_url)
    code = made["invite_code"]
    assert made["invite_link"] == f"https://t.me/valuestory_test_bot?start={code}"
    assert double.count("getMe") == 1

    # Later, with no token here (or no network), the name Telegram gave is remembered.
    listed = vs("community", "list")["communities"]
    assert isinstance(listed, list)
    assert [c["invite_link"] for c in listed] == [made["invite_link"]]


def test_a_remembered_name_gives_way_to_what_telegram_says_for_the_token_set_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from storage.db import Database
    from valuestory.usecases import communities

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    url = f"sqlite:///{tmp_path / 'valuestory.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    vs("community", "create", "Frailty")

    async def remember_old() -> None:
        db = Database(url.replace("sqlite://", "sqlite+aiosqlite://"))
        try:
            await communities.remember_bot_username(db, "old_pilot_bot")
        finally:
            await db.dispose()

    asyncio.run(remember_old())
    assert "old_pilot_bot" in str(vs("community", "list")["communities"])
    with BotApiServer(BotApiDouble()) as server:
        listed = vs("community", "list", TELEGRAM_BOT_TOKEN=TOKEN,
                    TELEGRAM_API_BASE_URL=server.base_url)
    assert "https://t.me/valuestory_test_bot?start=" in str(listed["communities"])
    assert "old_pilot_bot" not in str(vs("community", "list")["communities"])
