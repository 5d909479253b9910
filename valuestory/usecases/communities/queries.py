"""Communities' SQL, and the steps another door runs inside its own unit of work: creating a
community, and finding one by name or id."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n, texts
from flows.questions import load_question_set
from storage import repositories as repo
from storage.models import Community, Consent, Member, Membership
from valuestory.usecases.errors import AdminError
from valuestory.usecases.parsing import check_timezone, parse_id


def new_invite_code() -> str:
    # 96 random bits; fits Telegram's start parameter alphabet (A-Z a-z 0-9 _ -).
    return secrets.token_urlsafe(12)


async def create_community(
    session: AsyncSession, name: str, timezone: str, question_set: str = "default",
    language: str = i18n.BASE_LANGUAGE,
) -> Community:
    name = " ".join(name.split())
    if not name:
        raise AdminError("a community needs a name")
    try:
        check_timezone(timezone)
    except ValueError as exc:
        raise AdminError(str(exc)) from None
    if language not in i18n.languages():
        raise AdminError(f"--language takes one of {', '.join(i18n.languages())}, not {language!r}")
    load_question_set(question_set)  # fail now, not after the first event
    if await repo.community_by_name_or_id(session, name):
        raise AdminError(texts.COMMUNITY_EXISTS, community=repr(name))
    community = Community(
        name=name, timezone=timezone, invite_code=new_invite_code(), question_set=question_set,
        language=language,
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
        raise AdminError(texts.NO_SUCH_COMMUNITY, community=repr(ref))
    return community


def member_counts(community_id: int, versions: dict[str, str]) -> Any:
    """Joined, agreed to the participant information as it reads now (`versions`: its version in
    each language), paused, unreachable: one row."""
    current = or_(*(and_(Consent.language == language, Consent.version == version)
                    for language, version in versions.items()))
    return (select(
        func.count(Membership.id),
        func.coalesce(func.sum(case((current, 1), else_=0)), 0),
        func.coalesce(func.sum(case((or_(Membership.paused.is_(True),
                                         Member.paused.is_(True)), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Member.unreachable_at.is_not(None), 1), else_=0)), 0),
    )
        .join(Member, Member.id == Membership.member_id)
        .join(Consent, and_(Consent.id == Membership.consent_id))
        .where(Membership.community_id == community_id))
