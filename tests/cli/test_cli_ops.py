"""Operator commands: `valuestory db backup` and `valuestory community retention`."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from flows import texts
from storage.db import Database
from storage.models import AuditEntry, Community
from valuestory.cli import main


def invoke(database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url})
    return result.exit_code, result.output


def community_rows(url: str) -> list[tuple[str, int | None]]:
    if url.startswith("sqlite:///"):
        url = url.replace("sqlite://", "sqlite+aiosqlite://", 1)

    async def read() -> list[tuple[str, int | None]]:
        db = Database(url)
        try:
            async with db.session() as s:
                rows = (await s.execute(select(Community.name, Community.retention_months))).all()
                return [(r[0], r[1]) for r in rows]
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_backup_is_a_consistent_copy_taken_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    url = f"sqlite:///{path}"
    assert invoke(url, "community", "create", "Diabetes in Pregnancy")[0] == 0

    # The running bot, halfway through a unit of work it has not committed.
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE communities SET name = 'half-written'")
    try:
        code, output = invoke(url, "db", "backup", str(tmp_path / "copy.db"))
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert code == 0, output
    assert output.startswith(f"Backed up {path} to {tmp_path / 'copy.db'}")
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT name FROM communities").fetchall() == [("Diabetes in Pregnancy",)]
    copy.close()
    # The copy is a working database: the bot can be pointed at it to restore.
    assert community_rows(f"sqlite:///{tmp_path / 'copy.db'}") == [("Diabetes in Pregnancy", None)]

    code, output = invoke(url, "db", "backup", str(tmp_path / "copy.db"))
    assert code == 2 and "already exists" in output and "--force" in output
    assert invoke(url, "db", "backup", "--force", str(tmp_path / "copy.db"))[0] == 0


def test_backup_of_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    code, output = invoke("postgresql://valuestory@db.internal/valuestory", "db", "backup",
                          str(tmp_path / "copy.db"))
    assert code == 2
    assert output.startswith("valuestory: the database is PostgreSQL: back it up with pg_dump")
    assert "pg_restore" in output
    assert not (tmp_path / "copy.db").exists()


def test_retention_is_set_per_community_and_audited(database_url: str) -> None:
    assert invoke(database_url, "community", "create", "Frailty Network")[0] == 0
    code, output = invoke(database_url, "community", "retention", "Frailty Network", "18",
                          "--json")
    assert code == 0, output
    assert json.loads(output) == {"community": "Frailty Network", "retention_months": 18}
    assert community_rows(database_url) == [("Frailty Network", 18)]
    code, output = invoke(database_url, "community", "retention", "Frailty Network", "1")
    assert (code, output) == (0, texts.RETENTION_SET.format(
        community="Frailty Network", months=texts.plural(1, "month")) + "\n")

    code, output = invoke(database_url, "community", "retention", "Frailty Network", "keep")
    assert (code, output) == (0, texts.RETENTION_UNLIMITED.format(community="Frailty Network")
                              + "\n")
    assert community_rows(database_url) == [("Frailty Network", None)]

    code, output = invoke(database_url, "community", "retention", "Frailty Network", "0")
    assert code == 2 and "MONTHS must be a whole number" in output

    async def entries() -> list[tuple[str, dict[str, object]]]:
        db = Database(database_url)
        try:
            async with db.session() as s:
                return [(e.actor, e.details) for e in (await s.scalars(
                    select(AuditEntry).where(AuditEntry.action == "retention.set")
                    .order_by(AuditEntry.id))).all()]
        finally:
            await db.dispose()

    # Named as an export taken on the command line is: one name for one place.
    assert asyncio.run(entries()) == [("command line", {"months": 18, "was": None}),
                                      ("command line", {"months": 1, "was": 18}),
                                      ("command line", {"months": None, "was": 1})]


@pytest.mark.parametrize("missing", ["WEBHOOK_URL"])
def test_webhook_mode_without_a_public_address_stops_with_what_to_fix(
    database_url: str, missing: str,
) -> None:
    from tests.botapi import TOKEN

    result = CliRunner().invoke(main, ["run", "--webhook"], env={
        "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN, missing: ""})
    assert result.exit_code == 2
    assert result.output.startswith(f"valuestory: {missing} is not set")


def test_service_settings_say_what_to_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tests.botapi import TOKEN
    from valuestory.process.settings import SettingsError, load_settings

    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/")
    settings = load_settings()
    assert settings.webhook_endpoint() == "https://bot.example.org/telegram"
    derived = settings.webhook_secret_token()
    assert len(derived) == 64 and TOKEN.split(":")[1] not in derived
    assert load_settings().webhook_secret_token() == derived  # every replica agrees

    monkeypatch.setenv("WEBHOOK_SECRET", "not allowed!")
    with pytest.raises(SettingsError, match=r"^WEBHOOK_SECRET must be 1 to 256 letters"):
        load_settings()
    monkeypatch.setenv("WEBHOOK_SECRET", "chosen_secret-1")
    assert load_settings().webhook_secret_token() == "chosen_secret-1"

    monkeypatch.setenv("WEBHOOK_URL", "bot.example.org")
    with pytest.raises(SettingsError, match=r"^WEBHOOK_URL must be the public https:// address"):
        load_settings()
