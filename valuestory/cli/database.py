"""Database housekeeping: backups and upgrades."""

from __future__ import annotations

from pathlib import Path

import click

from storage.db import Database, describe_url
from valuestory.cli.common import check_target, one_line_errors, settings_or_stop, with_database
from valuestory.cli.root import main
from valuestory.process.settings import Settings
from valuestory.usecases import backup


@main.group()
def db() -> None:
    """Database housekeeping."""


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@one_line_errors
def db_backup(file: Path, force: bool) -> None:
    """Copy a SQLite database to FILE, consistently, even while the bot runs."""
    settings = settings_or_stop()
    database = backup.source(settings.database_url, file)
    check_target(file, force)
    size = backup.copy(database, file)
    click.echo(f"Backed up {database} to {file} ({size} bytes).")


@db.command("upgrade")
@with_database
async def db_upgrade(db: Database, settings: Settings) -> None:
    """Create or upgrade the schema (done automatically by every command)."""
    click.echo(f"Database at {describe_url(db.url)} is up to date.")



