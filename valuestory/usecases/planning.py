"""An event entered twice is one event: the same community, title and start are refused again.

Running the README's `event create` a second time (or a script that retries) would otherwise
plan a second event, and members would be asked twice about one afternoon. Cancelled events do
not count; whoever really means a second one says so (`again`).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories as repo
from storage.models import Community, Event
from valuestory.usecases import events
from valuestory.usecases.errors import AdminError
from valuestory.usecases.times import local_time


class AlreadyPlanned(AdminError):
    """The same event is planned already; says which, and how to plan another anyway."""

    def __init__(self, event: Event, community: Community) -> None:
        when = local_time(event.starts_at, community.timezone)
        super().__init__(f"{community.name} already has {event.title!r} at {when} "
                         f"(event {event.id}): add --again to plan another one")
        self.event_id = event.id


async def create_once(session: AsyncSession, community: Community, title: str, starts: str,
                      ends: str, *, again: bool = False) -> Event:
    """`events.create_event`, unless the community has this title at this start already."""
    if not again:
        starts_at = events.parse_time(starts, community.timezone)
        wanted = " ".join(title.split()).casefold()
        for e in await repo.events(session, community.id):
            if (e.starts_at == starts_at and e.title.casefold() == wanted
                    and e.cancelled_at is None):
                raise AlreadyPlanned(e, community)
    return await events.create_event(session, community, title, starts, ends)
