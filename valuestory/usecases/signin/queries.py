"""Signing in's SQL: one-time links (cleared once expired, claimed by one UPDATE) and the count of
failed attempts per source."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select, update

from storage.models import DashboardLink, SignInFailure


def expired_links(now: dt.datetime) -> Any:
    return delete(DashboardLink).where(DashboardLink.expires_at < now)


def claim_link(token_hash: str, now: dt.datetime) -> Any:
    """Mark a fresh, unused link used: one row changed if it was, so two replicas given the same
    link let in only one."""
    return (update(DashboardLink)
            .where(DashboardLink.token_hash == token_hash, DashboardLink.used_at.is_(None),
                   DashboardLink.expires_at > now)
            .values(used_at=now).execution_options(synchronize_session=False))


def link_holder(token_hash: str) -> Any:
    """Whose link it is: their Telegram id."""
    return select(DashboardLink.telegram_user_id).where(DashboardLink.token_hash == token_hash)


def old_failures(since: dt.datetime) -> Any:
    return delete(SignInFailure).where(SignInFailure.at < since)


def failures(source: str, since: dt.datetime) -> Any:
    """How many attempts from `source` failed since `since`."""
    return select(func.count()).select_from(SignInFailure).where(
        SignInFailure.source == source, SignInFailure.at >= since)
