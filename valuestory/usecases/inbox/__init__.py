"""The durable inbox's bookkeeping: updates kept from arrival until handled, and handled once.

The front end that receives updates (the Telegram adapter's `bot.inbox`) keeps each one here
before it is queued and finishes it once handled; an update seen again is only cleared. Payloads
are opaque text: what a front end keeps is its own business, stripped of names before it comes.

An update is marked handled, and cleared from the inbox, only in the unit of work that commits
its effects: a use case that handles it runs `queries.claim` inside its own transaction (one round trip
for the handled check, the mark and the clearing), and the front end runs `finish` only for an
update no use case claimed. A process that dies before that commit leaves the update kept and
unmarked, so it is handled after the restart; one that dies after it never handles it again.

Every key that marks something handled is made here: an update's (beside `claim`, in
`queries`), a message's (by chat), a button press's. A front end passes the key of what a
member sent or pressed to the use case acting on it, so a redelivery changes nothing; a
withdrawal forgets the chat's message keys.

What the bot owes the member for an update it handled is kept in that same unit of work
(`queries.owe`),
so clearing the update never loses its reply: the front end sends the replies and forgets each
(`paid`) once Telegram took it; after a restart, what is still owed is sent first (`owed`), each
chat's in order. A reply on its way when the process stopped is sent again: a repeated reply
reads as a repeat, a lost one leaves the member waiting for a question that never comes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import Gauge

from storage.db import Database
from storage.models import HandledUpdate
from valuestory.usecases.inbox import queries
from valuestory.usecases.inbox.queries import HANDLING, Handling
from valuestory.usecases.inbox.queries import handled_key as handled_key
from valuestory.usecases.out import Out

OWED = Gauge("valuestory_replies_owed",
             "Replies the bot owes members and has not yet handed to Telegram, as the database "
             "said when /metrics was last read.")


def message_key(chat_id: int, message_id: int) -> str:
    """A message acted on, by its chat and its id in that chat."""
    return f"m|{chat_id}|{message_id}"


def press_key(query_id: str) -> str:
    """A button press acted on, by its query's id."""
    return f"c|{query_id}"


def messages_of_chat(chat_id: int) -> str:
    """A LIKE pattern matching `message_key` of every message in a chat."""
    return f"m|{chat_id}|%"


@contextmanager
def handling(update_id: int, chat_id: int | None = None) -> Iterator[Handling]:
    """While the block runs, `queries.claim` settles this update in the caller's unit of work (and
    `queries.owe` keeps its replies to `chat_id`)."""
    current = Handling(update_id, chat_id)
    token = HANDLING.set(current)
    try:
        yield current
    finally:
        HANDLING.reset(token)


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


def owed_now() -> tuple[int, list[tuple[int, Out]]] | None:
    """The update being handled and the replies kept for it, handed over once: the sender
    forgets each as Telegram takes it (`paid`)."""
    current = HANDLING.get()
    if current is None or not current.owed:
        return None
    owed, current.owed = current.owed, []
    return current.update_id, owed


async def paid(db: Database, update_id: int, seq: int) -> None:
    """A reply owed was sent (or given up for good): it is owed no more."""
    async with db.one_statement() as conn:
        await queries.pay_reply(conn, update_id, seq)


async def count_owed(db: Database) -> int:
    """How many replies the bot still owes, shown as a gauge at /metrics: more than a few for
    long means Telegram is not taking them."""
    async with db.session() as session:
        owed = await queries.count_owed(session)
    OWED.set(owed)
    return owed


async def owed(db: Database) -> list[Owed]:
    """Replies still owed from before the last stop, each chat's in the order they were owed."""
    async with db.session() as session:
        return [Owed(row.update_id, row.seq, row.chat_id, queries.reply_of(row.payload))
                for row in await queries.owed_replies(session)]
