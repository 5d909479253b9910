"""/start and /help for the people who run or study a community: conveners, researchers, admins.

Someone with a role who is not a member has no story to tell, so the member's greeting ("open the
invite link your convener shared") and the member's help would send them the wrong way: they get
their role's commands instead. A member who also has a role gets the member's help with their
role's commands after it. Roles are read afresh each time, as every command does.
"""

from __future__ import annotations

from storage import repositories as repo
from storage.db import Database
from storage.models import Role
from valuestory.usecases import conversation
from valuestory.usecases.access import is_admin
from valuestory.usecases.out import Out
from valuestory.usecases.speaking import joining_language, say
from valuestory.usecases.staff import queries


async def _roles(db: Database, user_id: int, admins: frozenset[int]) -> tuple[set[str], bool, str]:
    """The roles someone holds (convener, researcher, admin), whether they are a member, and the
    language to speak to them in (the app's, for a caller who is not a member)."""
    async with db.session() as session:
        held = set((await session.scalars(queries.roles_held(user_id))).all())
        member = await repo.member_by_telegram_id(session, user_id)
        joined = member is not None and bool(await repo.memberships_of(session, member.id))
        language = member.language if member is not None else ""
    roles = {str(r) for r in held if r in (Role.CONVENER, Role.RESEARCHER)}
    if is_admin(user_id, admins):
        roles.add("admin")
    return roles, joined, language


def _commands(roles: set[str], language: str | None) -> list[str]:
    t = say(language)
    return [t.STAFF_HELP[role] for role in ("convener", "researcher", "admin") if role in roles]


async def start(db: Database, user_id: int, chat_id: int, code: str | None,
                admins: frozenset[int], telegram_language: str | None = None) -> list[Out]:
    """/start: staff who are not members are greeted for their role; anyone else as a member."""
    if not code:
        roles, joined, language = await _roles(db, user_id, admins)
        if roles and not joined:
            speak = language or joining_language(None, telegram_language, None)
            return [Out("\n\n".join([say(speak).STAFF_START, *_commands(roles, speak)]))]
    return await conversation.start(db, user_id, chat_id, code,
                                    telegram_language=telegram_language)


async def help_text(db: Database, user_id: int, admins: frozenset[int],
                    telegram_language: str | None = None) -> list[Out]:
    """/help: the member's help for members, their role's commands for staff, both for both."""
    roles, joined, language = await _roles(db, user_id, admins)
    if not roles:
        return await conversation.help_text(db, user_id, telegram_language)
    speak = language or joining_language(None, telegram_language, None)
    staff = "\n\n".join(_commands(roles, speak))
    if not joined:
        return [Out("\n\n".join([say(speak).STAFF_HELP_INTRO, staff]))]
    return [*await conversation.help_text(db, user_id, telegram_language), Out(staff)]
