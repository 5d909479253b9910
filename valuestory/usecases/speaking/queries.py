"""Speaking's SQL, and the steps another door runs inside its own unit of work to choose the
language a convener, researcher or admin is answered in (`staff_language`, `staff_languages`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n
from storage import repositories as repo
from storage.models import Community, Member, RoleGrant


def community_languages(user_id: int, community_ids: Iterable[int] | None) -> Any:
    """The languages of the communities given (None: those `user_id` holds a role in)."""
    query = select(Community.language).distinct()
    if community_ids is None:
        return query.join(RoleGrant, RoleGrant.community_id == Community.id).where(
            RoleGrant.telegram_user_id == user_id)
    return query.where(Community.id.in_(list(community_ids)))


def member_languages(user_ids: list[int]) -> Any:
    """(Telegram id, language) of those of `user_ids` who are members."""
    return select(Member.telegram_user_id, Member.language).where(
        Member.telegram_user_id.in_(user_ids))


async def staff_language(session: AsyncSession, user_id: int,
                         community_ids: Iterable[int] | None = None) -> str:
    """The language to answer a convener, researcher or admin in.

    Their own as a member; else that of the communities the reply is about (`community_ids`; by
    default those they hold a role in), when those share one; else English.
    """
    member = await repo.member_by_telegram_id(session, user_id)
    if member is not None:
        return member.language
    found = (await session.scalars(community_languages(user_id, community_ids))).all()
    return i18n.pick(found[0]) if len(found) == 1 else i18n.BASE_LANGUAGE


async def staff_languages(session: AsyncSession, community: Community,
                          user_ids: Iterable[int]) -> dict[int, str]:
    """Each of a community's conveners' languages at once: theirs as a member, else the community's."""
    ids = list(user_ids)
    rows = (await session.execute(member_languages(ids))).all() if ids else []
    own = {uid: language for uid, language in rows}
    return {uid: i18n.pick(own.get(uid), community.language) for uid in ids}
