"""Helpers that have members tell stories through the real bot, for export and rights tests."""

from __future__ import annotations

from storage.models import Community, Event
from tests import seed
from tests.harness import Harness, Person


async def tell(harness: Harness, person: Person, event: Event, moment: str,
               insight: str | None = None, intention: str | None = None) -> None:
    """Answer the post-event questions as a member would: what happened, what they learnt, plans."""
    await seed.open_prompt(harness.db, person, event)
    await person.say("/continue")
    await person.tap("Yes, I was there")
    await person.say(moment)
    await person.tap("Next")
    await person.tap("Skip")  # what the member valued most
    if insight is None:
        await person.say("/stop")
        return
    await person.tap("A new insight or skill")
    await person.tap("Done")
    await person.say(insight)
    await person.tap("Next")
    if intention is None:
        await person.say("/stop")
        return
    await person.say(intention)
    await person.tap("Next")


async def member_of(harness: Harness, person: Person, *communities: Community) -> Person:
    for community in communities:
        await person.say(f"/start {community.invite_code}")
        if "I agree" in person.last.buttons():  # consent is asked once, then reused
            await person.tap("I agree")
    return person
