"""The sample community `valuestory demo` shows: invented members, events and stories.

Everything here is sample data written for the demo: no person, event or answer is real, none is
copied from a publication, and the community's name says so. The stories are told through the
same conversation a member has (`conversation.start`, `press`, `act`), so the matrix, narratives
and stories the demo shows are exactly what real answers would make. Preparing it twice on one
database finds the community already there and adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flows import engine
from flows.questions import PromptKind
from storage import repositories as repo
from storage.db import Database
from storage.models import Event, utcnow
from valuestory.usecases import communities, conversation, roles, signin
from valuestory.usecases.events import queries as events
from valuestory.usecases.out import Out
from valuestory.usecases.tryout import Place

NAME = "Sample community (invented for the demo)"
TIMEZONE = "Europe/London"
# The sample's convener, who signs into the dashboard; members are numbered after it. Telegram
# ids are positive, so these can't be anyone's, and the sample's people reach nobody.
CONVENER_ID = -910000
FIRST_MEMBER_ID = -910001


@dataclass(frozen=True)
class Tap:
    """Press the button with this label."""

    label: str


Step = Tap | str  # a button pressed, or words sent
YES, NEXT, DONE, SKIP = Tap("Yes, I was there"), Tap("Next"), Tap("Done"), Tap("Skip")
HUMAN, SOCIAL, TANGIBLE = (Tap("A new insight or skill"), Tap("A useful connection"),
                           Tap("A document, tool or resource"))
REPUTATIONAL, LEARNING = Tap("A stronger shared voice"), Tap("A new way of learning")


@dataclass(frozen=True)
class SampleEvent:
    title: str
    days_from_now: int  # negative: in the past
    hours: int = 2


@dataclass(frozen=True)
class Story:
    member: int  # 0-based, among the sample's members
    event: int  # index into EVENTS
    steps: Sequence[Step]
    kind: PromptKind = PromptKind.POST_EVENT


EVENTS = (
    SampleEvent("Case review evening", -45),
    SampleEvent("Joint clinic walkthrough", -19),
    SampleEvent("Patient panel on living with diabetes", -6),
    SampleEvent("Spring learning session", 12),
)
# The past event a newcomer trying the demo is asked about: the most recent one.
ASKED_ABOUT = 2

STORIES = (
    Story(0, 0, (YES, "A community midwife walked us through a case where the insulin plan "
                      "changed three times in one week.", NEXT,
                 "Challenged, in a good way. Nobody rushed to blame anyone.", NEXT,
                 HUMAN, TANGIBLE, DONE,
                 "Checking the plan against the clinic letter before every visit.", NEXT,
                 "The one-page handover sheet the hospital team shared.", NEXT,
                 "Try the handover sheet with two of my own families.", NEXT)),
    Story(1, 0, (YES, "Hearing the pharmacist explain why pen devices get mixed up.", NEXT,
                 SKIP, SOCIAL, DONE,
                 "A pharmacist at the hospital I can now message with questions.", NEXT,
                 SKIP)),
    Story(2, 0, (YES, "The debate about when to phone the diabetes team out of hours.", NEXT,
                 "Heard. Students usually stay quiet at these.", NEXT,
                 LEARNING, DONE,
                 "Learning from one real case in depth instead of a lecture.", NEXT,
                 "Suggest a case slot at our own team meeting.", NEXT)),
    Story(0, 1, (YES, "Following a family's visit from booking to the joint clinic.", NEXT,
                 "Energised. I saw where our part of the path joins theirs.", NEXT,
                 HUMAN, SOCIAL, DONE,
                 "Where the waiting times really come from.", NEXT,
                 "The clinic's specialist nurse, who offered to join our huddle.", NEXT,
                 "Invite the specialist nurse to our Tuesday huddle.", NEXT)),
    Story(3, 1, (YES, "Seeing the clinic from the waiting room chairs.", NEXT,
                 SKIP, TANGIBLE, REPUTATIONAL, DONE,
                 "The map of the clinic path that the group drew together.", NEXT,
                 "Managers and clinicians drew the same map and agreed on it.", NEXT,
                 "Take the map to the service planning meeting.", NEXT)),
    Story(4, 1, (Tap("No, I missed it"),)),
    Story(1, 2, (YES, "A mother describing the night she could not get through to anyone.", NEXT,
                 "Moved. It was hard to hear and important.", NEXT,
                 REPUTATIONAL, DONE,
                 "The panel's words carry more weight than our audit figures.", NEXT,
                 "Ask the panel if we may quote them in the out-of-hours review.", NEXT)),
    Story(4, 2, (YES, "The panel's advice on explaining glucose targets simply.", NEXT,
                 "Welcome. It was my first meeting.", NEXT,
                 HUMAN, DONE,
                 "Using the family's own words for the targets.", NEXT,
                 "Rewrite our leaflet with a parent reading it first.", NEXT)),
    # Six weeks on, the first member says what they did with the handover sheet.
    Story(0, 0, ("I used the handover sheet with four families and then with the whole team.",
                 NEXT,
                 "Two insulin mix-ups caught before they reached a patient, and shorter handovers.",
                 NEXT), PromptKind.FOLLOWUP_APPLIED),
)
MEMBERS = 1 + max(s.member for s in STORIES)


def _button(outs: list[Out], label: str) -> str:
    """The token of the button labelled `label` in what was just said (the latest first)."""
    for out in reversed(outs):
        for row in out.buttons:
            for shown, token in row:
                if shown.removeprefix("✓ ") == label:
                    return token
    raise LookupError(f"the sample story expected a {label!r} button")


async def _tell(db: Database, user_id: int, steps: Sequence[Step], now: dt.datetime) -> None:
    outs = await conversation.act(db, user_id, user_id, engine.Begin(), now=now)
    for i, step in enumerate(steps):
        moment = now + dt.timedelta(minutes=i + 1)
        if isinstance(step, Tap):
            outs = await conversation.press(db, user_id, user_id, _button(outs, step.label),
                                            now=moment)
        else:
            outs = await conversation.act(db, user_id, user_id, engine.Text(step), now=moment)
    if await _asking(db, user_id):
        await conversation.act(db, user_id, user_id, engine.Stop(), now=now)


async def _asking(db: Database, user_id: int) -> bool:
    async with db.session() as session:
        member = await repo.member_by_telegram_id(session, user_id)
        return member is not None and bool(await repo.open_prompts(session, member.id))


async def _found(db: Database) -> Place | None:
    async with db.session() as session:
        community = await repo.community_by_name_or_id(session, NAME)
        if community is None:
            return None
        past = [e for e in await repo.events(session, community.id)
                if e.title == EVENTS[ASKED_ABOUT].title]
        return Place(community.id, community.invite_code, past[0].id) if past else None


async def prepare(db: Database, now: dt.datetime | None = None) -> Place:
    """The sample community, made and filled with its stories unless it is there already; and
    the event a newcomer trying the demo is asked about."""
    found = await _found(db)
    if found is not None:
        return found
    now = now or utcnow()
    async with db.session() as session:
        community = await communities.queries.create_community(session, NAME, TIMEZONE)
        community.quiet_start = community.quiet_end = "00:00"  # the sample is never held back
        made: list[Event] = []
        for e in EVENTS:
            # Half past five in the community's own zone, whatever the season.
            starts = (now + dt.timedelta(days=e.days_from_now)).astimezone(
                ZoneInfo(TIMEZONE)).replace(hour=17, minute=30, second=0, microsecond=0)
            made.append(await events.create_event(session, community, e.title, starts,
                                                    starts + dt.timedelta(hours=e.hours)))
        await roles.queries.grant_role(session, CONVENER_ID, "convener", community)
        sample = Place(community.id, community.invite_code, made[ASKED_ABOUT].id)
        ids = [e.id for e in made]
        joined = now - dt.timedelta(days=60)
    for n in range(MEMBERS):
        user_id = FIRST_MEMBER_ID - n
        said = await conversation.start(db, user_id, user_id, sample.invite_code)
        await conversation.press(db, user_id, user_id, _button(said, "I agree"), now=joined)
    for story in STORIES:
        user_id = FIRST_MEMBER_ID - story.member
        async with db.session() as session:
            member = await repo.member_by_telegram_id(session, user_id)
            event = await session.get(Event, ids[story.event])
            assert member is not None and event is not None
            weeks = 6 if story.kind is PromptKind.FOLLOWUP_APPLIED else 0
            told = event.ends_at + dt.timedelta(hours=2, weeks=weeks)
            await events.open_prompt(session, member, event, story.kind, told)
        await _tell(db, user_id, story.steps, told)
    return sample


async def signin_link(db: Database, base: str, now: dt.datetime | None = None) -> str:
    """A one-time dashboard link for the sample's convener."""
    link = await signin.link_for(db, CONVENER_ID, frozenset(), base, now or utcnow())
    assert link is not None  # the sample's convener holds a convener role
    return link
