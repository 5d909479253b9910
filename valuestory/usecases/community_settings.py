"""The one set of rules for a community's scheduling and digest settings.

Telegram's /settings and /digest and the command line's `community set` both go through
`apply`, so a value one accepts the other accepts too, with the same limits. A community's
language (for members whose own the bot does not speak) is one the bot has a catalog for.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from flows import i18n, texts
from storage.db import Database
from storage.models import AuditEntry, Community
from valuestory.usecases import access, parsing, retention, voice_notes
from valuestory.usecases.communities.queries import find_community
from valuestory.usecases.errors import AdminError
from valuestory.usecases.out import Out

MAX_DELAY_MINUTES = 7 * 24 * 60
MAX_WINDOW_DAYS = 60


class SettingError(AdminError):
    """A setting a person asked for that can't be used, said plainly; nothing was changed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Change:
    """Settings as typed; None leaves a setting as it is."""

    delay: str | None = None
    reminder: str | None = None
    window: str | None = None
    quiet: str | None = None
    digest: str | None = None
    language: str | None = None


def _name(names: dict[str, str], field: str) -> str:
    return names.get(field, field)


# What a bare number may be given a unit of, for each duration, in the hint that asks for one.
UNIT_HINTS = {"delay": ("m", "h"), "reminder": ("h", "d"), "window": ("d",)}
UNIT_WORDS = {"m": "minutes", "h": "hours", "d": "days"}


def apply(c: Community, change: Change, names: dict[str, str] | None = None, *,
          bare_numbers: bool = True) -> None:
    """Check every changed setting, then save them all, or raise SettingError and save none.

    `names` says what each setting is called where it was typed (e.g. "--delay"), for messages.
    A bare number is minutes for the delay, hours for the reminder and days for the window,
    where `bare_numbers` allows it (in chat, as /settings shows); elsewhere it must say its unit.
    """
    names = names or {}
    delay, reminder, window = c.prompt_delay_minutes, c.reminder_after_hours, c.window_days
    quiet = (c.quiet_start, c.quiet_end)
    digest = (c.digest_weekday, c.digest_time)

    def duration(field: str, text: str, bare_unit: str) -> int:
        number = text.strip()
        if (not bare_numbers and number.isascii() and number.isdigit()
                and parsing.parse_duration(number, bare_unit) is not None):
            units = " or ".join(f"{number}{u} for {UNIT_WORDS[u]}" for u in UNIT_HINTS[field])
            raise SettingError(field, f"{_name(names, field)} needs a unit: {units}")
        minutes = parsing.parse_duration(text, bare_unit)
        if minutes is None:
            raise SettingError(field, f"{_name(names, field)} takes a duration like 90m, 2h or 7d, "
                                      f"not {text!r}")
        return minutes

    if change.delay is not None:
        delay = duration("delay", change.delay, "m")
        if delay > MAX_DELAY_MINUTES:
            raise SettingError("delay", f"{_name(names, 'delay')} can be at most 7d")
    if change.reminder is not None:
        minutes = duration("reminder", change.reminder, "h")
        if minutes % 60 or minutes == 0:
            raise SettingError("reminder", f"{_name(names, 'reminder')} takes whole hours, "
                                           "like 48h or 2d")
        reminder = minutes // 60
    if change.window is not None:
        minutes = duration("window", change.window, "d")
        if minutes % (60 * 24) or minutes == 0:
            raise SettingError("window", f"{_name(names, 'window')} takes whole days, like 7d")
        window = minutes // (60 * 24)
        if window > MAX_WINDOW_DAYS:
            raise SettingError("window", f"{_name(names, 'window')} can be at most "
                                         f"{MAX_WINDOW_DAYS}d")
    if change.quiet is not None:
        quiet = parse_quiet(change.quiet, _name(names, "quiet"))
    if change.digest is not None:
        digest = parse_digest(change.digest, _name(names, "digest"))
    language = c.language
    if change.language is not None:
        language = parse_language(change.language, _name(names, "language"))
    if reminder >= window * 24:
        raise SettingError("order", "the reminder must come before the prompt closes "
                                       f"({_name(names, 'window')})")
    c.prompt_delay_minutes, c.reminder_after_hours, c.window_days = delay, reminder, window
    c.quiet_start, c.quiet_end = quiet
    c.digest_weekday, c.digest_time = digest
    c.language = language


def parse_language(text: str, name: str = "language") -> str:
    """A language the bot speaks, given exactly as its catalog is named ("es", "pl", "pt_BR")."""
    code = text.strip()
    if code not in i18n.languages():
        raise SettingError("language", f"{name} takes one of {', '.join(i18n.languages())}, "
                                       f"not {text!r}")
    return code


def parse_quiet(text: str, name: str = "quiet") -> tuple[str, str]:
    """'20:00-08:00' as its start and end; 'off' (or 'none') as no quiet hours."""
    if text.strip().lower() in ("off", "none"):
        return "00:00", "00:00"
    start, sep, end = text.partition("-")
    if not sep:
        raise SettingError("quiet", f'{name} takes "20:00-08:00" or "off", not {text!r}')
    start_t, end_t = parsing.parse_hhmm(start), parsing.parse_hhmm(end)
    if start_t is None or end_t is None:
        raise SettingError("quiet", f"{name} takes a time like 20:00, not {text!r}")
    return start_t, end_t


def parse_digest(text: str, name: str = "digest") -> tuple[int, str]:
    """'monday 09:00' (or just a day, at 09:00) as a weekday (Monday is 0) and a time."""
    day, _, at = text.strip().lower().partition(" ")
    weekday = parsing.parse_weekday(day)
    time = parsing.parse_hhmm(at or "09:00")
    if weekday is None or time is None:
        raise SettingError("digest", f'{name} takes a day and time like "monday 09:00", '
                                     f"not {text!r}")
    return weekday, time


SETTINGS = ("delay", "reminder", "window", "quiet")


async def show_or_change(db: Database, community: Community, arg: str, *,
                         language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """/settings: show the scheduling settings, or change one (`delay 120`, `quiet 20:00-08:00`)."""
    t = texts.In(language)
    words = arg.lower().split()
    async with db.session() as session:
        c = await session.get(Community, community.id)
        assert c is not None
        saved = False
        if len(words) == 2 and words[0] in SETTINGS:
            try:
                apply(c, Change(**{words[0]: words[1]}))
            except SettingError as exc:
                problem = (t.SETTINGS_REMINDER_TOO_LATE if exc.field == "order"
                           else escape(t.SETTINGS_USAGE))
                return [Out(problem)]
            saved = True
        elif words:
            return [Out(escape(t.SETTINGS_USAGE))]
        name = escape(c.name) if language == i18n.BASE_LANGUAGE else texts.isolate(escape(c.name))
        shown = t.SETTINGS_SHOW.format(
            community=name, delay=c.prompt_delay_minutes, reminder=c.reminder_after_hours,
            window=c.window_days, quiet_start=c.quiet_start, quiet_end=c.quiet_end,
            zone=escape(c.timezone), day=t.WEEKDAYS[c.digest_weekday], time=c.digest_time)
        shown += "\n" + t.SETTINGS_LANGUAGE.format(language=i18n.display_name(c.language))
    return [Out((t.SETTINGS_SAVED + "\n\n" if saved else "") + shown)]



def describe(c: Community) -> dict[str, Any]:
    """A community's scheduling, digest, retention, language and recording settings, as data."""
    quiet = "off" if c.quiet_start == c.quiet_end else f"{c.quiet_start}-{c.quiet_end}"
    return {
        "id": c.id, "name": c.name, "timezone": c.timezone,
        "prompt_delay_minutes": c.prompt_delay_minutes,
        "reminder_after_hours": c.reminder_after_hours, "window_days": c.window_days,
        "quiet_hours": quiet, "digest": f"{parsing.WEEKDAYS[c.digest_weekday]} {c.digest_time}",
        "followup_applied_days": c.followup_applied_days,
        "followup_reframing_days": c.followup_reframing_days,
        "retention_months": c.retention_months,
        "language": c.language,
        "keep_audio": c.keep_audio,
        "conveners_code": c.conveners_code,
    }


async def change(db: Database, community: str, typed: Change, names: dict[str, str], *,
                 retention_months: str | None = None, keep_audio: str | None = None,
                 conveners_code: str | None = None, actor: str, bare_numbers: bool = True
                 ) -> dict[str, Any]:
    """Change a community's settings as typed on the command line (`names`: what each option is
    called there; `bare_numbers` as `apply` has it), all or none; what they are now
    (`describe`)."""
    async with db.session() as session:
        c = await find_community(session, community)
        apply(c, typed, names=names, bare_numbers=bare_numbers)
        if retention_months is not None:
            months = retention.parse_months(
                retention_months, f"{names.get('retention_months', 'retention')} takes a number "
                                  "of months, or keep")
            # Through retention, so the change is audited and conveners get a fresh notice.
            await retention.set_months(session, c, months, actor=actor)
        if keep_audio is not None:
            if keep_audio.strip().lower() not in ("on", "off"):
                raise AdminError(f"{names.get('keep_audio', 'keep_audio')} takes on or off")
            await voice_notes.queries.set_keep_audio(
                session, c, keep_audio.strip().lower() == "on", actor=actor)
        if conveners_code is not None:
            if conveners_code.strip().lower() not in ("on", "off"):
                raise AdminError(f"{names.get('conveners_code', 'conveners_code')} takes on or off")
            _conveners_code(session, c, conveners_code.strip().lower() == "on", actor)
        return describe(c)


def _conveners_code(session: AsyncSession, c: Community, on: bool, actor: str) -> None:
    was, c.conveners_code = c.conveners_code, on
    session.add(AuditEntry(actor=actor, action="conveners_code.set", community_id=c.id,
                           details={"conveners_code": on, "was": was}))


async def let_conveners_code(db: Database, user_id: int, admins: frozenset[int],
                             community_id: int, on: bool) -> bool:
    """A convener (or an admin) lets the community's conveners code its narratives, or stops
    them, audited; False if this person does not convene the community."""
    async with db.session() as session:
        c = await access.queries.convened_one(session, user_id, community_id, admins)
        if c is None:
            return False
        _conveners_code(session, c, on, "admin" if access.is_admin(user_id, admins) else "convener")
        return True
