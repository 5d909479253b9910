"""The inbox's statements: keeping updates, settling them, and what is left to handle.

Each is one statement where the database allows, whatever the number of keys or updates: on
PostgreSQL every statement is a round trip to the server, on SQLite (through aiosqlite) three or
four trips to the driver's thread, and these run for every update.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy import BigInteger, Executable, bindparam, delete, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage import repositories as repo
from storage.db import driver_stored, sqlite_driver_execute
from storage.models import InboxUpdate, OwedReply, UTCDateTime, utcnow
from valuestory.usecases.out import Out

Work = AsyncSession | AsyncConnection


def _dialect(on: Work) -> str:
    return on.dialect.name if isinstance(on, AsyncConnection) else on.get_bind().dialect.name


# However many updates a long poll brought, kept in one statement, unless handled already.
_KEEP: dict[str, Executable] = {
    "postgresql": text(
        "INSERT INTO inbox_updates (update_id, payload, received_at) "
        "SELECT u.update_id, u.payload, CAST(:now AS TIMESTAMP WITH TIME ZONE) "
        "FROM unnest(CAST(:ids AS BIGINT[]), CAST(:payloads AS TEXT[]), "
        "CAST(:keys AS VARCHAR[])) AS u(update_id, payload, key) "
        "WHERE NOT EXISTS (SELECT 1 FROM handled_updates AS h WHERE h.key = u.key) "
        "ON CONFLICT DO NOTHING RETURNING update_id"),
    # The batch as one JSON array of [update id, payload, handled key].
    "sqlite": text(
        "INSERT INTO inbox_updates (update_id, payload, received_at) "
        "SELECT json_extract(u.value, '$[0]'), json_extract(u.value, '$[1]'), :now "
        "FROM json_each(:batch) AS u "
        "WHERE NOT EXISTS (SELECT 1 FROM handled_updates AS h "
        "WHERE h.key = json_extract(u.value, '$[2]')) "
        "ON CONFLICT DO NOTHING RETURNING update_id"
    ).bindparams(bindparam("now", type_=UTCDateTime())).columns(update_id=BigInteger),
}


async def keep_updates(on: Work, updates: Sequence[tuple[int, str, str]]) -> set[int]:
    """Keep incoming updates (id, payload, handled key) until they are handled, in one
    statement; the ids of those new here (neither kept nor handled before)."""
    if _dialect(on) == "postgresql":
        kept = await on.scalars(_KEEP["postgresql"], {
            "now": utcnow(), "ids": [u[0] for u in updates], "payloads": [u[1] for u in updates],
            "keys": [u[2] for u in updates]})
    else:
        kept = await on.scalars(_KEEP["sqlite"], {"now": utcnow(),
                                                  "batch": json.dumps(list(updates))})
    return set(kept.all())


# PostgreSQL: the inbox clearing and the handled marks in one statement, one round trip.
_SETTLE_POSTGRES = text(
    "WITH cleared AS (DELETE FROM inbox_updates WHERE update_id = :update_id) "
    "INSERT INTO handled_updates (key, handled_at) "
    "SELECT key, CAST(:now AS TIMESTAMP WITH TIME ZONE) FROM unnest(CAST(:keys AS VARCHAR[])) AS key "
    "ON CONFLICT DO NOTHING RETURNING key")
# SQLite: the marks in one statement, however many keys (the rows it added say if any was
# there already), then the clearing; each said to the driver itself, one trip to its thread.
_MARK_SQLITE = ("INSERT INTO handled_updates (key, handled_at) "
                "SELECT value, ? FROM json_each(?) WHERE true ON CONFLICT DO NOTHING")
_CLEAR_SQLITE = "DELETE FROM inbox_updates WHERE update_id = ?"


async def settle_update(session: AsyncSession, update_id: int, *keys: str) -> bool:
    """Mark keys handled and clear an update from the inbox; False if any key already was.

    The marks and the clearing commit or roll back together with the caller's unit of work."""
    if session.get_bind().dialect.name == "postgresql":
        inserted = await session.scalars(
            _SETTLE_POSTGRES, {"update_id": update_id, "now": utcnow(), "keys": list(keys)})
        return len(inserted.all()) == len(keys)
    conn = await session.connection()
    marked = await sqlite_driver_execute(conn, _MARK_SQLITE,
                                         (driver_stored(utcnow(), "sqlite"), json.dumps(keys)))
    await sqlite_driver_execute(conn, _CLEAR_SQLITE, (update_id,))
    return marked == len(keys)


def once_committed(session: AsyncSession, then: Callable[[object], None]) -> None:
    """Call `then` once the session's transaction has committed (never if it rolls back)."""
    event.listen(session.sync_session, "after_commit", then, once=True)


async def kept_updates(session: AsyncSession) -> Sequence[InboxUpdate]:
    return (await session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id))).all()


# What the bot owes for an update, one row per message in order, in one statement.
_OWE_POSTGRES = text(
    "INSERT INTO owed_replies (update_id, seq, chat_id, payload, owed_at) "
    "SELECT :update_id, o.seq - 1, :chat_id, o.payload, CAST(:now AS TIMESTAMP WITH TIME ZONE) "
    "FROM unnest(CAST(:payloads AS TEXT[])) WITH ORDINALITY AS o(payload, seq)")
_OWE_SQLITE = ("INSERT INTO owed_replies (update_id, seq, chat_id, payload, owed_at) "
               "SELECT ?, key, ?, value, ? FROM json_each(?)")
_PAID_SQLITE = "DELETE FROM owed_replies WHERE update_id = ? AND seq = ?"


async def owe_replies(session: AsyncSession, update_id: int, chat_id: int,
                      payloads: Sequence[str]) -> None:
    """Keep the messages owed for an update, in the caller's unit of work."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_OWE_POSTGRES, {"update_id": update_id, "chat_id": chat_id,
                                              "now": utcnow(), "payloads": list(payloads)})
        return
    conn = await session.connection()
    await sqlite_driver_execute(conn, _OWE_SQLITE, (update_id, chat_id,
                                                    driver_stored(utcnow(), "sqlite"),
                                                    json.dumps(list(payloads))))


async def pay_reply(conn: AsyncConnection, update_id: int, seq: int) -> None:
    """A message owed was sent (or given up): forget it."""
    if conn.dialect.name == "postgresql":
        await conn.execute(delete(OwedReply).where(OwedReply.update_id == update_id,
                                                   OwedReply.seq == seq))
        return
    await sqlite_driver_execute(conn, _PAID_SQLITE, (update_id, seq))


async def count_owed(session: AsyncSession) -> int:
    """How many messages are still owed."""
    return int(await session.scalar(select(func.count()).select_from(OwedReply)) or 0)


async def owed_replies(session: AsyncSession) -> Sequence[OwedReply]:
    """Every message still owed, each chat's in the order they were owed."""
    return (await session.scalars(
        select(OwedReply).order_by(OwedReply.update_id, OwedReply.seq))).all()


# --- The update being handled, settled in the unit of work of the door that handles it ------------


def handled_key(update_id: int) -> str:
    """An update handled, by its id (the other keys are made beside the doors, in `inbox`)."""
    return f"u|{update_id}"


@dataclass
class Handling:
    """The update a task is handling; `settled` once a unit of work claimed it and committed."""

    update_id: int
    chat_id: int | None = None  # the chat it came from, where its replies go
    settled: bool = False
    # The messages owed for it, (seq, message), once the unit of work that kept them committed.
    owed: list[tuple[int, Out]] = field(default_factory=list)


# Each update is handled in its own task (asyncio copies the context per task), so this names
# the update of the code running now, whichever member's update runs alongside.
HANDLING: ContextVar[Handling | None] = ContextVar("inbox_handling", default=None)


async def claim(session: AsyncSession, *keys: str) -> bool:
    """In the caller's unit of work: mark these keys and the update being handled as handled,
    and clear that update from the inbox; False if any was handled already (change nothing)."""
    current = HANDLING.get()
    if current is None:
        return await repo.mark_handled(session, *keys) if keys else True
    fresh = await settle_update(session, current.update_id, *keys, handled_key(current.update_id))

    def settled(_session: object) -> None:
        current.settled = True

    # Settled only if this very transaction commits: a rollback leaves the update to `finish`.
    once_committed(session, settled)
    return fresh


def keeps(out: Out) -> bool:
    """Whether a reply is kept until sent: a message of text and buttons (not a file, nor the
    buttons of a pressed message changed)."""
    return not out.edit and out.photo is None and out.document is None


def payload_of(out: Out) -> str:
    return json.dumps({"text": out.text, "buttons": out.buttons})


def reply_of(payload: str) -> Out:
    data = json.loads(payload)
    return Out(data["text"], tuple(tuple((label, token) for label, token in row)
                                   for row in data["buttons"]))


async def owe(session: AsyncSession, chat_id: int | None, outs: list[Out]) -> list[Out]:
    """In the unit of work that claimed the update being handled: keep the replies it will send
    to `chat_id` (None: the chat the update came from), so that they are sent even if the
    process stops first. Returns `outs`."""
    current = HANDLING.get()
    kept = [out for out in outs if keeps(out)]
    if current is None or not kept:
        return outs
    chat_id = chat_id if chat_id is not None else current.chat_id
    if chat_id is None:
        return outs
    await owe_replies(session, current.update_id, chat_id, [payload_of(o) for o in kept])

    def owing(_session: object) -> None:
        current.owed = list(enumerate(kept))

    once_committed(session, owing)
    return outs
