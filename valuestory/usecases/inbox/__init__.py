"""The durable inbox's bookkeeping: updates kept from arrival until handled, and handled once.

The front end that receives updates (the Telegram adapter's `bot.inbox`) keeps each one here
before it is queued and finishes it once handled; an update seen again is only cleared. Payloads
are opaque text: what a front end keeps is its own business, stripped of names before it comes.

An update is marked handled, and cleared from the inbox, only in the unit of work that commits
its effects: a use case that handles it calls `claim` inside its own transaction (one round trip
for the handled check, the mark and the clearing), and the front end runs `finish` only for an
update no use case claimed. A process that dies before that commit leaves the update kept and
unmarked, so it is handled after the restart; one that dies after it never handles it again.

Every key that marks something handled is made here: an update's, a message's (by chat), a
button press's. A front end passes the key of what a member sent or pressed to the use case
acting on it, so a redelivery changes nothing; a withdrawal forgets the chat's message keys.

What the bot owes the member for an update it handled is kept in that same unit of work (`owe`),
so clearing the update never loses its reply: the front end sends the replies and forgets each
(`paid`) once Telegram took it; after a restart, what is still owed is sent first (`owed`), each
chat's in order. A reply on its way when the process stopped is sent again: a repeated reply
reads as a repeat, a lost one leaves the member waiting for a question that never comes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.db import Database
from storage.models import HandledUpdate
from valuestory.usecases.inbox import queries
from valuestory.usecases.out import Out


def handled_key(update_id: int) -> str:
    """An update handled, by its id."""
    return f"u|{update_id}"


def message_key(chat_id: int, message_id: int) -> str:
    """A message acted on, by its chat and its id in that chat."""
    return f"m|{chat_id}|{message_id}"


def press_key(query_id: str) -> str:
    """A button press acted on, by its query's id."""
    return f"c|{query_id}"


def messages_of_chat(chat_id: int) -> str:
    """A LIKE pattern matching `message_key` of every message in a chat."""
    return f"m|{chat_id}|%"


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
_handling: ContextVar[Handling | None] = ContextVar("inbox_handling", default=None)


@contextmanager
def handling(update_id: int, chat_id: int | None = None) -> Iterator[Handling]:
    """While the block runs, `claim` settles this update in the caller's unit of work (and
    `owe` keeps its replies to `chat_id`)."""
    current = Handling(update_id, chat_id)
    token = _handling.set(current)
    try:
        yield current
    finally:
        _handling.reset(token)


async def claim(session: AsyncSession, *keys: str) -> bool:
    """In the caller's unit of work: mark these keys and the update being handled as handled,
    and clear that update from the inbox; False if any was handled already (change nothing)."""
    current = _handling.get()
    if current is None:
        return await repo.mark_handled(session, *keys) if keys else True
    fresh = await queries.settle_update(session, current.update_id, *keys,
                                        handled_key(current.update_id))

    def settled(_session: object) -> None:
        current.settled = True

    # Settled only if this very transaction commits: a rollback leaves the update to `finish`.
    queries.once_committed(session, settled)
    return fresh


async def keep(db: Database, update_id: int, payload: str) -> bool:
    """Keep an update until it is handled; True if it is new (neither kept nor handled before)."""
    return update_id in await keep_all(db, [(update_id, payload)])


async def keep_all(db: Database, updates: list[tuple[int, str]]) -> set[int]:
    """Keep several updates in one statement, a unit of work by itself; the ids of those that
    were new."""
    async with db.one_statement() as conn:
        return await queries.keep_updates(
            conn, [(update_id, payload, handled_key(update_id)) for update_id, payload in updates])


async def seen(db: Database, update_id: int) -> bool:
    """Whether this update was handled already (replayed after a restart, or redelivered)."""
    async with db.session() as session:
        return await session.get(HandledUpdate, handled_key(update_id)) is not None


async def finish(db: Database, update_id: int) -> None:
    """Mark the update handled and clear it from the inbox, in one unit of work."""
    async with db.session() as session:
        await queries.settle_update(session, update_id, handled_key(update_id))


async def kept(db: Database) -> list[tuple[int, str]]:
    """What arrived but was not handled, oldest first: (update id, payload)."""
    async with db.session() as session:
        return [(row.update_id, row.payload) for row in await queries.kept_updates(session)]


@dataclass(frozen=True)
class Owed:
    """A message the bot owes: the update it answers, its place among that update's replies."""

    update_id: int
    seq: int
    chat_id: int
    out: Out


def keeps(out: Out) -> bool:
    """Whether a reply is kept until sent: a message of text and buttons (not a file, nor the
    buttons of a pressed message changed)."""
    return not out.edit and out.photo is None and out.document is None


def _payload(out: Out) -> str:
    return json.dumps({"text": out.text, "buttons": out.buttons})


def _out(payload: str) -> Out:
    data = json.loads(payload)
    return Out(data["text"], tuple(tuple((label, token) for label, token in row)
                                   for row in data["buttons"]))


async def owe(session: AsyncSession, chat_id: int | None, outs: list[Out]) -> list[Out]:
    """In the unit of work that claimed the update being handled: keep the replies it will send
    to `chat_id` (None: the chat the update came from), so that they are sent even if the
    process stops first. Returns `outs`."""
    current = _handling.get()
    kept = [out for out in outs if keeps(out)]
    if current is None or not kept:
        return outs
    chat_id = chat_id if chat_id is not None else current.chat_id
    if chat_id is None:
        return outs
    await queries.owe_replies(session, current.update_id, chat_id, [_payload(o) for o in kept])

    def owing(_session: object) -> None:
        current.owed = list(enumerate(kept))

    queries.once_committed(session, owing)
    return outs


def owed_now() -> tuple[int, list[tuple[int, Out]]] | None:
    """The update being handled and the replies kept for it, handed over once: the sender
    forgets each as Telegram takes it (`paid`)."""
    current = _handling.get()
    if current is None or not current.owed:
        return None
    owed, current.owed = current.owed, []
    return current.update_id, owed


async def paid(db: Database, update_id: int, seq: int) -> None:
    """A reply owed was sent (or given up for good): it is owed no more."""
    async with db.one_statement() as conn:
        await queries.pay_reply(conn, update_id, seq)


async def owed(db: Database) -> list[Owed]:
    """Replies still owed from before the last stop, each chat's in the order they were owed."""
    async with db.session() as session:
        return [Owed(row.update_id, row.seq, row.chat_id, _out(row.payload))
                for row in await queries.owed_replies(session)]
