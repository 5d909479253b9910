"""The durable inbox's bookkeeping: updates kept from arrival until handled, and handled once.

The front end that receives updates (the Telegram adapter's `bot.inbox`) keeps each one here
before it is queued and finishes it once handled; an update seen again is only cleared. Payloads
are opaque text: what a front end keeps is its own business, stripped of names before it comes.
"""

from __future__ import annotations

from storage import repositories as repo
from storage.db import Database
from storage.models import HandledUpdate


def handled_key(update_id: int) -> str:
    return f"u|{update_id}"


async def keep(db: Database, update_id: int, payload: str) -> None:
    """Keep an update until it is handled; a second copy of it is ignored."""
    async with db.session() as session:
        await repo.keep_update(session, update_id, payload)


async def seen(db: Database, update_id: int) -> bool:
    """Whether this update was handled already (replayed after a restart, or redelivered)."""
    async with db.session() as session:
        return await session.get(HandledUpdate, handled_key(update_id)) is not None


async def finish(db: Database, update_id: int) -> None:
    """Mark the update handled and clear it from the inbox, in one unit of work."""
    async with db.session() as session:
        await repo.mark_handled(session, handled_key(update_id))
        await repo.update_handled(session, update_id)


async def kept(db: Database) -> list[tuple[int, str]]:
    """What arrived but was not handled, oldest first: (update id, payload)."""
    async with db.session() as session:
        return [(row.update_id, row.payload) for row in await repo.kept_updates(session)]
