"""Where a member is asked after events, and changing it with /channel: in Telegram, or by email
(offered only with an address they confirmed). One member, one pseudonym per community,
whichever they choose: it changes only where the prompts go (`members.channel`, which the
scheduler's Telegram and email fan-outs each take their own from)."""

from __future__ import annotations

from storage import repositories as repo
from storage.db import Database
from storage.models import Channel
from valuestory.usecases import callbacks, speaking
from valuestory.usecases.callbacks import Prefix
from valuestory.usecases.channels import queries
from valuestory.usecases.out import Out


def token(channel: Channel) -> str:
    return callbacks.encode(Prefix.CHANNEL, channel.value)


async def choose(db: Database, user_id: int, telegram_language: str | None = None) -> list[Out]:
    """/channel: Telegram, and email where they have an address confirmed, as buttons."""
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        t = speaking.say(speaking.joining_language(member, telegram_language, None))
        if member is None:
            return [Out(t.UNKNOWN_USER)]
        email = await queries.email_confirmed(session, member.id)
    if not email:
        return [Out(t.CHANNEL_ONLY_TELEGRAM)]
    return [Out(t.CHANNEL_CHOOSE, (((t.CHANNEL_TELEGRAM, token(Channel.TELEGRAM)),
                                    (t.CHANNEL_EMAIL, token(Channel.EMAIL))),))]


async def press(db: Database, user_id: int, data: str,
                telegram_language: str | None = None) -> list[Out]:
    """Telegram or email was picked: kept, and said in the member's language."""
    prefix, parts = callbacks.decode(data)
    chosen = (Channel(parts[0]) if prefix is Prefix.CHANNEL and len(parts) == 1
              and parts[0] in Channel.__members__.values() else None)
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id, lock=True)
        t = speaking.say(speaking.joining_language(member, telegram_language, None))
        if chosen is None:
            return [Out(t.STALE_BUTTON)]
        if member is None:
            return [Out(t.UNKNOWN_USER)]
        if chosen is Channel.EMAIL and not await queries.email_confirmed(session, member.id):
            return [Out(t.CHANNEL_ONLY_TELEGRAM)]
        member.channel = chosen
    return [Out(t.CHANNEL_SET_EMAIL if chosen is Channel.EMAIL else t.CHANNEL_SET_TELEGRAM)]


__all__ = ["choose", "press", "token"]
