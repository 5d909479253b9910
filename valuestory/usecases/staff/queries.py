"""The staff greeting's SQL: the roles someone holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import RoleGrant


def roles_held(telegram_user_id: int) -> Any:
    """The role of each grant a person holds."""
    return select(RoleGrant.role).where(RoleGrant.telegram_user_id == telegram_user_id)
