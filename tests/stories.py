"""Helpers that have members tell stories through the real bot, for export and rights tests."""

from __future__ import annotations

from storage.models import Community, Event
from tests import seed
from tests.harness import Harness, Person


async def tell(harness: Harness, person: Person, event: Event, moment: str,
               insight: str | None = None, intention: str | None = None) -> None:
    """Answer the post-event questions as a member would: what happened, what they learnt, plans."""
    await seed.open_prompt(harness.db, person, event)
    await seed.tell(person, moment, None if insight is None else {"A new insight or skill": insight},
                    intention)


async def member_of(harness: Harness, person: Person, *communities: Community) -> Person:
    for community in communities:
        await person.say(f"/start {community.invite_code}")
        if "I agree" in person.last.buttons():  # consent is asked once, then reused
            await person.tap("I agree")
    return person
