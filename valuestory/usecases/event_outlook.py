"""What the dashboard says of a past event nobody has been asked about yet.

"Nobody asked yet" is true only while its questions are still to go out; an event whose
questions fell due with nobody to ask, or closed, will never reach anyone, and says so, as
`event create` and /newevent said when it was entered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flows import i18n, texts
from storage.db import Database
from storage.models import Community, Event
from valuestory.usecases.events import queries as events
from valuestory.usecases.times import local_time


async def unasked(db: Database, community_id: int, past: Sequence[Event],
                  now: dt.datetime, language: str = i18n.BASE_LANGUAGE) -> dict[int, str]:
    """For each of these events (nobody asked about them so far): what is still to come, in
    `language` (the page's)."""
    t = texts.In(language)
    said: dict[int, str] = {}
    async with db.session() as session:
        community = await session.get(Community, community_id)
        if community is None:
            return said
        for event in past:
            asking = await events.who_will_be_asked(session, community, event, now)
            if asking.due > now:
                said[event.id] = t.DASHBOARD_ASKED_LATER.format(
                    when=local_time(asking.due, community.timezone, t.language))
            elif asking.members == 0 or asking.closes <= now:
                said[event.id] = t.DASHBOARD_NOBODY_WILL_BE_ASKED
            else:
                said[event.id] = t.DASHBOARD_NOBODY_ASKED_YET
    return said
