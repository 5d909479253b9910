"""Signing in to the dashboard through Telegram: one-time links, Mini App initData, and a brake.

A link's token is shown once and stored only as a hash; it works once, for ten minutes. A Mini
App's initData is checked exactly as Telegram documents, on the raw string, in constant time, and
only for an hour after Telegram signed it. Only people with a role (or admins) are let in; anyone
else learns nothing, not even whether a link was ever real. Failed attempts are counted per
source (by a hash, never an address) in the database, so every replica applies the same brake.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qsl

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import DashboardLink, SignInFailure, utcnow
from valuestory.usecases import access, sessions, speaking
from valuestory.usecases.out import Out, web_app
from valuestory.usecases.signin import queries

LINK_LIFETIME = dt.timedelta(minutes=10)
INIT_DATA_LIFETIME = dt.timedelta(hours=1)
# Telegram's clock and ours may differ a little; initData "from the future" beyond this is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)
FAILURE_WINDOW = dt.timedelta(minutes=10)
FAILURES_ALLOWED = 20
SIGNIN_PATH = "/dashboard/signin/"
APP_PATH = "/dashboard/app"


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def source_key(address: str) -> str:
    """Where attempts come from, as a hash: the brake needs to tell sources apart, not name them."""
    return hashlib.sha256(b"valuestory sign-in source " + address.encode()).hexdigest()


async def _issue_link(session: AsyncSession, user_id: int, base: str, now: dt.datetime) -> str:
    """A fresh one-time sign-in link for this person (expired links are cleared meanwhile)."""
    await session.execute(queries.expired_links(now))
    token = secrets.token_urlsafe(32)
    session.add(DashboardLink(token_hash=hashed(token), telegram_user_id=user_id, created_at=now,
                              expires_at=now + LINK_LIFETIME))
    return base + SIGNIN_PATH + token


async def link_for(db: Database, user_id: int, admins: frozenset[int], base: str,
                   now: dt.datetime) -> str | None:
    """A one-time sign-in link for a convener, researcher or admin; None for anyone else."""
    async with db.session() as session:
        if not await access.queries.has_a_role(session, user_id, admins):
            return None
        return await _issue_link(session, user_id, base, now)


async def dashboard(db: Database, user_id: int, admins: frozenset[int], base: str,
                    now: dt.datetime | None = None) -> list[Out]:
    """/dashboard: a one-time sign-in link for conveners, researchers and admins."""
    now = now or utcnow()
    async with db.session() as session:
        t = speaking.say(await speaking.queries.staff_language(session, user_id))
        if not await access.queries.has_a_role(session, user_id, admins):
            return [Out(t.NOT_ALLOWED)]
        link = await _issue_link(session, user_id, base, now)
    # Telegram opens Mini Apps from https:// addresses only.
    buttons = (((t.BTN_OPEN_DASHBOARD, web_app(base + APP_PATH)),),) if base.startswith(
        "https://") else ()
    return [Out(t.DASHBOARD_LINK.format(link=escape(link)), buttons)]


def verify_init_data(raw: str, bot_token: str, now: dt.datetime) -> int | None:
    """The Telegram user id a Mini App's initData vouches for, or None if it does not check out.

    The data-check-string is every field but `hash`, as key=value, sorted, joined by newlines;
    the key is HMAC-SHA-256 of the bot token keyed with "WebAppData".
    """
    try:
        fields = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    given = [v for k, v in fields if k == "hash"]
    rest = [(k, v) for k, v in fields if k != "hash"]
    if len(given) != 1 or len({k for k, _ in rest}) != len(rest):
        return None
    check = "\n".join(f"{k}={v}" for k, v in sorted(rest))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given[0].encode()):
        return None
    data = dict(rest)
    try:
        signed = dt.datetime.fromtimestamp(int(data["auth_date"]), dt.UTC)
        user_id = int(json.loads(data["user"])["id"])
    except (KeyError, ValueError, TypeError):
        return None
    if not now - INIT_DATA_LIFETIME <= signed <= now + CLOCK_SKEW:
        return None
    return user_id


@dataclass(frozen=True)
class SignIn:
    """How an attempt went: a session (its cookie token), or why not."""

    token: str | None = None
    limited: bool = False


async def _failed(session: AsyncSession, source: str, now: dt.datetime) -> SignIn:
    session.add(SignInFailure(source=source, at=now))
    return SignIn()


async def _limited(session: AsyncSession, source: str, now: dt.datetime) -> bool:
    await session.execute(queries.old_failures(now - FAILURE_WINDOW))
    failures = await session.scalar(queries.failures(source, now - FAILURE_WINDOW))
    return (failures or 0) >= FAILURES_ALLOWED


async def with_link(db: Database, token: str, address: str, admins: frozenset[int],
                    now: dt.datetime | None = None) -> SignIn:
    """Use a sign-in link's token, once: a session if it is fresh and its person still has a role."""
    now = now or utcnow()
    source = source_key(address)
    async with db.session() as session:
        if await _limited(session, source, now):
            return SignIn(limited=True)
        digest = hashed(token)
        # One UPDATE claims the link, so two replicas given the same link let in only one.
        claimed = await session.execute(queries.claim_link(digest, now))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return await _failed(session, source, now)
        user_id = await session.scalar(queries.link_holder(digest))
        if user_id is None or not await access.queries.has_a_role(session, user_id, admins):
            return await _failed(session, source, now)
        return SignIn(await sessions.queries.open_session(session, user_id, now))


async def with_init_data(db: Database, raw: str, bot_token: str, address: str,
                         admins: frozenset[int], now: dt.datetime | None = None) -> SignIn:
    """Sign in from inside Telegram, by the Mini App's initData."""
    now = now or utcnow()
    source = source_key(address)
    async with db.session() as session:
        if await _limited(session, source, now):
            return SignIn(limited=True)
        user_id = verify_init_data(raw, bot_token, now)
        if user_id is None or not await access.queries.has_a_role(session, user_id, admins):
            return await _failed(session, source, now)
        return SignIn(await sessions.queries.open_session(session, user_id, now))
