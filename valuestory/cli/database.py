"""Database housekeeping: backups and upgrades."""

from __future__ import annotations

from pathlib import Path

import click

from storage.db import Database, describe_url
from valuestory.cli.common import Stop, check_target, one_line_errors, settings_or_stop, with_database
from valuestory.cli.root import main
from valuestory.process.settings import Settings


@main.group()
def db() -> None:
    """Database housekeeping."""


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@one_line_errors
def db_backup(file: Path, force: bool) -> None:
    """Copy a SQLite database to FILE, consistently, even while the bot runs."""
    import sqlite3

    from sqlalchemy.engine import make_url

    settings = settings_or_stop()
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        raise Stop(
            "the database is PostgreSQL: back it up with pg_dump, for example "
            "pg_dump --format=custom --file valuestory.dump \"$DATABASE_URL\" "
            "(restore with pg_restore --clean --dbname \"$DATABASE_URL\" valuestory.dump)"
        )
    source = Path(url.database or "")
    if not url.database or url.database == ":memory:" or not source.exists():
        raise Stop(f"there is no SQLite database at {source}: check DATABASE_URL")
    if file.resolve() == source.resolve():
        raise Stop("the backup must go to another file than the database itself")
    check_target(file, force)
    partial = file.with_name(file.name + ".partial")
    try:
        # SQLite's online backup copies one consistent snapshot while the bot keeps writing.
        with sqlite3.connect(source) as src, \
                sqlite3.connect(partial) as dst:
            src.execute("PRAGMA busy_timeout=10000")
            src.backup(dst)
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        src.close()
        dst.close()
        if ok != "ok":
            raise Stop(f"the copy failed its integrity check ({ok}); the database was not changed")
        partial.replace(file)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise Stop(f"can't back up {source} to {file}: {exc}") from None
    click.echo(f"Backed up {source} to {file} ({file.stat().st_size} bytes).")


@db.command("upgrade")
@with_database
async def db_upgrade(db: Database, settings: Settings) -> None:
    """Create or upgrade the schema (done automatically by every command)."""
    click.echo(f"Database at {describe_url(db.url)} is up to date.")



