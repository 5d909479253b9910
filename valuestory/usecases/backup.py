"""A consistent copy of a SQLite database, taken even while the bot writes to it.

PostgreSQL is backed up with its own tools (pg_dump); this says so rather than copying anything.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from valuestory.usecases.errors import AdminError


def source(url: str, file: Path) -> Path:
    """The SQLite file DATABASE_URL names, to be copied to `file`; AdminError says what to fix."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise AdminError(
            "the database is PostgreSQL: back it up with pg_dump, for example "
            "pg_dump --format=custom --file valuestory.dump \"$DATABASE_URL\" "
            "(restore with pg_restore --clean --dbname \"$DATABASE_URL\" valuestory.dump)"
        )
    found = Path(parsed.database or "")
    if not parsed.database or parsed.database == ":memory:" or not found.exists():
        raise AdminError(f"there is no SQLite database at {found}: check DATABASE_URL")
    if file.resolve() == found.resolve():
        raise AdminError("the backup must go to another file than the database itself")
    return found


def copy(database: Path, file: Path) -> int:
    """Copy the database to `file` through SQLite's online backup (one consistent snapshot while
    the bot keeps writing), checked before it replaces `file`; its size in bytes."""
    partial = file.with_name(file.name + ".partial")
    try:
        with sqlite3.connect(database) as src, \
                sqlite3.connect(partial) as dst:
            src.execute("PRAGMA busy_timeout=10000")
            src.backup(dst)
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
        src.close()
        dst.close()
        if ok != "ok":
            raise AdminError(f"the copy failed its integrity check ({ok}); the database was not "
                             "changed")
        partial.replace(file)
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise AdminError(f"can't back up {database} to {file}: {exc}") from None
    return file.stat().st_size
