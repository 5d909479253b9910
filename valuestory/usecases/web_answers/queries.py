"""The statements of members' personal links: found by the hash of their token, made, revoked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from flows.questions import PromptKind
from storage.db import driver_rows
from storage.models import CheckStatus, MemberLink, Membership, PromptStatus, UTCDateTime

_NOW = bindparam("now", type_=UTCDateTime())
_LINK_ID = bindparam("link_id", type_=Integer())

# A link, whether revoked, its member's language, and whether they joined the community it
# invites them into: all a page needs before its door, in one statement. Plain SQL, read
# through the driver (`driver_rows`): every request of a member's page runs it.
_LINK_COLUMNS = (
    "SELECT l.id, l.member_id, l.community_id, l.revoked_at, l.last_used_at, m.language, "
    "EXISTS (SELECT 1 FROM memberships s WHERE s.member_id = l.member_id "
    "AND s.community_id = l.community_id) AS joined "
    "FROM member_links l JOIN members m ON m.id = l.member_id WHERE l.token_hash = :token_hash")

# What the page of a member's story shows, in one statement: the link (as `_LINK_COLUMNS`),
# the open prompt they answer first (as `conversation.queries` orders them), else the one that
# finished last (its recap), with its event's title and, for a follow-up, the plan it asks about
# (the story's last intended answer), and a row for each answer so far, each saying whether a
# members' check waits for them (the page points to it). With neither, one row whose prompt
# columns are null.
_PROMPT_COLUMNS = ("p.id, p.kind, p.story_id, p.question_set, p.question_id, p.fresh, p.held, "
                   "p.held_message, p.attended, p.event_id, p.status, p.finished_at")
_PAGE = f"""WITH link AS ({_LINK_COLUMNS}),
opened AS (
  SELECT {_PROMPT_COLUMNS}
  FROM prompts p WHERE p.member_id = (SELECT member_id FROM link)
  AND p.status = '{PromptStatus.OPEN.value}' ORDER BY p.opened_at, p.id LIMIT 1),
shown AS (
  SELECT * FROM opened
  UNION ALL
  SELECT * FROM (
    SELECT {_PROMPT_COLUMNS}
    FROM prompts p WHERE p.member_id = (SELECT member_id FROM link)
    AND p.finished_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM opened)
    ORDER BY p.finished_at DESC, p.id DESC LIMIT 1) AS latest),
said AS (
  SELECT 'n' AS kind, n.question_id, n.text AS value FROM narratives n
  WHERE n.prompt_id = (SELECT id FROM shown)
  UNION ALL
  SELECT 'c', c.question_id, CAST(c."values" AS TEXT) FROM choices c
  WHERE c.prompt_id = (SELECT id FROM shown))
SELECT link.id, link.member_id, link.community_id, link.revoked_at, link.last_used_at,
  link.language, link.joined, shown.id, shown.kind, shown.question_set, shown.question_id,
  shown.fresh, shown.held, shown.held_message, shown.attended, e.title,
  CASE WHEN shown.kind = '{PromptKind.POST_EVENT.value}' THEN '' ELSE
    (SELECT n.text FROM narratives n WHERE n.story_id = shown.story_id AND n.intended
     ORDER BY n.id DESC LIMIT 1) END,
  said.kind, said.question_id, said.value, shown.status, shown.finished_at,
  EXISTS (SELECT 1 FROM checks k WHERE k.member_id = link.member_id
    AND k.status = '{CheckStatus.OPEN.value}')
FROM link LEFT JOIN shown ON 1 = 1 LEFT JOIN events e ON e.id = shown.event_id
LEFT JOIN said ON 1 = 1"""
_USED = update(MemberLink).where(MemberLink.id == _LINK_ID).values(last_used_at=_NOW)


def link_statement() -> str:
    """The statement that finds a link by `:token_hash`, its 7 columns as `link` gives them: for
    a read that takes the link with what it reads (`conversation.page.send_by_link`)."""
    return _LINK_COLUMNS


async def link(conn: AsyncConnection, token_hash: str) -> Sequence[Any] | None:
    """(id, member id, community id, revoked at, last used at, language, joined), or None;
    times as `driver_rows` reads them (`driver_time`)."""
    rows = await driver_rows(conn, _LINK_COLUMNS, {"token_hash": token_hash})
    return rows[0] if rows else None


async def page(conn: AsyncConnection, token_hash: str) -> Sequence[Sequence[Any]]:
    """The link's 7 columns (as `link`), then the prompt shown's (the first open one, else the
    latest finished): id, kind, question set, question id, fresh, held, held message, attended,
    event title, aspiration; an answer's kind ("n" or "c"), question id and value (a choice's as
    JSON); the prompt's status and when it finished; whether a members' check waits for the
    member. No rows: no such link."""
    return await driver_rows(conn, _PAGE, {"token_hash": token_hash})


async def used(conn: AsyncConnection, link_id: int, now: dt.datetime) -> None:
    await conn.execute(_USED, {"link_id": link_id, "now": now})


async def member_in(session: AsyncSession, community_id: int, pseudonym: str) -> int | None:
    """The member with this pseudonym in this community."""
    return await session.scalar(select(Membership.member_id).where(
        Membership.community_id == community_id, Membership.pseudonym == pseudonym))


async def has_joined(session: AsyncSession, member_id: int) -> bool:
    """Whether the member is part of any community."""
    found = await session.scalar(select(Membership.id).where(Membership.member_id == member_id)
                                 .limit(1))
    return found is not None


async def revoke_all(session: AsyncSession, member_id: int, now: dt.datetime) -> int:
    """Revoke every live link of a member; how many there were."""
    result = await session.execute(
        update(MemberLink).where(MemberLink.member_id == member_id,
                                 MemberLink.revoked_at.is_(None)).values(revoked_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def revoke_hash(session: AsyncSession, token_hash: str, now: dt.datetime) -> int:
    result = await session.execute(
        update(MemberLink).where(MemberLink.token_hash == token_hash,
                                 MemberLink.revoked_at.is_(None)).values(revoked_at=now))
    return int(result.rowcount)  # type: ignore[attr-defined]
