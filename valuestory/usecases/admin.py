"""What admins and conveners set up: communities, roles, events, and opening prompts."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from flows.questions import PromptKind, load_question_set
from storage import repositories as repo
from storage.models import Community, Event, Member, Prompt, PromptStatus, Role, RoleGrant, utcnow
from valuestory.usecases.parsing import check_timezone, parse_id


class AdminError(ValueError):
    """Something an admin asked for that can't be done, said plainly."""


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def new_invite_code() -> str:
    # 96 random bits; fits Telegram's start parameter alphabet (A-Z a-z 0-9 _ -).
    return secrets.token_urlsafe(12)


async def create_community(
    session: AsyncSession, name: str, timezone: str, question_set: str = "default"
) -> Community:
    name = " ".join(name.split())
    if not name:
        raise AdminError("a community needs a name")
    try:
        check_timezone(timezone)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    load_question_set(question_set)  # fail now, not after the first event
    if await repo.community_by_name_or_id(session, name):
        raise AdminError(f"there is already a community called {name!r}")
    community = Community(
        name=name, timezone=timezone, invite_code=new_invite_code(), question_set=question_set
    )
    session.add(community)
    await session.flush()
    return community


async def lookup_community(session: AsyncSession, ref: str) -> Community | None:
    """A community given by id or by name; None if there is none."""
    ref = ref.strip()
    # Only ids that fit the column: "²" or a 30-digit number is looked up as a name.
    return await repo.community_by_name_or_id(session, ref, parse_id(ref))


async def find_community(session: AsyncSession, ref: str) -> Community:
    community = await lookup_community(session, ref)
    if community is None:
        raise AdminError(f"no community called {ref!r}")
    return community


async def grant_role(
    session: AsyncSession, telegram_user_id: int, role: str, community: Community | None
) -> RoleGrant:
    try:
        role = Role(role)
    except ValueError:
        raise AdminError("the role must be convener or researcher") from None
    if community is None and role is not Role.RESEARCHER:
        raise AdminError("only a researcher role can cover every community")
    for grant in await repo.role_grants(session, telegram_user_id):
        if grant.role == role and grant.community_id == (community.id if community else None):
            return grant
    grant = RoleGrant(
        telegram_user_id=telegram_user_id, role=role,
        community_id=community.id if community else None,
    )
    session.add(grant)
    await session.flush()
    return grant


# Far enough ahead for any planned event, near enough that adding a duration or a follow-up
# can't run past the largest date there is.
FURTHEST_AHEAD = dt.timedelta(days=2 * 365)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class TimeOutOfRange(AdminError):
    """A readable time too far from now to be an event's: before 2000 (`past`) or far ahead."""

    def __init__(self, message: str, past: bool) -> None:
        super().__init__(message)
        self.past = past


def parse_time(text: str, zone: str, now: dt.datetime | None = None) -> dt.datetime:
    """A time typed by a person: 'YYYY-MM-DD HH:MM' in the community's zone, or ISO 8601.

    Only from 2000 to two years after `now`.
    """
    text = text.strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise AdminError(f"{text!r} is not a date and time like 2026-12-03 14:00") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    latest = (now or utcnow()) + FURTHEST_AHEAD
    # The year first: converting a time near the end of year 9999 to UTC overflows.
    if not EARLIEST.year <= parsed.year <= latest.year or not EARLIEST <= parsed <= latest:
        raise TimeOutOfRange(f"{text!r} is too far off: events can be from 2000 up to two years "
                             "from now", past=parsed.year < EARLIEST.year or parsed < EARLIEST)
    return parsed.astimezone(dt.UTC)


async def create_event(
    session: AsyncSession, community: Community, title: str, starts: str | dt.datetime,
    ends: str | dt.datetime,
) -> Event:
    title = " ".join(title.split())
    if not title:
        raise AdminError("an event needs a title")
    starts_at = parse_time(starts, community.timezone) if isinstance(starts, str) else starts
    ends_at = parse_time(ends, community.timezone) if isinstance(ends, str) else ends
    if ends_at <= starts_at:
        raise AdminError("the event must end after it starts")
    event = Event(community_id=community.id, title=title, starts_at=starts_at, ends_at=ends_at)
    session.add(event)
    await session.flush()
    return event


@dataclass(frozen=True)
class OpenedPrompt:
    prompt: Prompt
    created: bool


async def open_prompt(
    session: AsyncSession, member: Member, event: Event, kind: PromptKind = PromptKind.POST_EVENT,
    now: dt.datetime | None = None, *, send: bool = False,
) -> OpenedPrompt:
    """Open a prompt for a member now (or return the one that already exists).

    With `send`, it is left due now for the scheduler, which sends its first question (within
    its quiet hours and pauses) and reminds once; otherwise it opens silently, and the member's
    next message begins it.
    """
    now = now or utcnow()
    existing = await repo.prompt_for(session, member.id, event.id, kind)
    if existing is not None:
        return OpenedPrompt(existing, created=False)
    if await repo.membership(session, member.id, event.community_id) is None:
        raise AdminError("that person is not a member of the event's community")
    story_id = str(uuid.uuid4())
    if kind is not PromptKind.POST_EVENT:
        first = await repo.prompt_for(session, member.id, event.id, PromptKind.POST_EVENT)
        if first is not None:
            story_id = first.story_id
    community = await session.get(Community, event.community_id)
    assert community is not None
    prompt = Prompt(
        member_id=member.id, community_id=event.community_id, event_id=event.id, kind=kind,
        story_id=story_id, status=PromptStatus.SCHEDULED if send else PromptStatus.OPEN,
        question_set=community.question_set, due_at=now, opened_at=None if send else now,
        closes_at=now + dt.timedelta(days=community.window_days),
    )
    session.add(prompt)
    await session.flush()
    return OpenedPrompt(prompt, created=True)
