"""Setting up: communities, their settings and retention, roles, events, and prompts by hand."""

from __future__ import annotations

import click

from flows.questions import PromptKind
from storage.db import Database
from valuestory.cli.common import (
    ACTOR,
    bot_username,
    community_data,
    emit,
    invite_link,
    with_database,
)
from valuestory.cli.root import TelegramId, main
from valuestory.process.settings import Settings
from valuestory.usecases import communities, roles
from valuestory.usecases.events import listing, planning

# --- communities and roles ------------------------------------------------------------------


@main.group()
def community() -> None:
    """Create, list and configure communities."""


@community.command("create")
@click.argument("name")
@click.option("--timezone", default=None, help="IANA zone, e.g. Europe/London.")
@click.option("--question-set", default="default", show_default=True,
              help="A bundled question set name or a YAML file.")
@click.option("--language", default="en", show_default=True,
              help="For members whose own language the bot does not speak, e.g. es.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@with_database
async def community_create(db: Database, settings: Settings, name: str, timezone: str | None,
                           question_set: str, language: str, as_json: bool) -> None:
    """Create a community and print its invite code and link."""
    c = await communities.create(db, name, timezone or settings.valuestory_timezone, question_set,
                                 language)
    link = invite_link(await bot_username(db, settings), c.invite_code)
    emit(as_json, community_data(c, link), [
        f"Created community {c.id}: {c.name} ({c.timezone})",
        f"Invite code: {c.invite_code}",
        f"Invite link: {link}",
    ])


@community.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def community_list(db: Database, settings: Settings, as_json: bool) -> None:
    """List communities with their invite links."""
    username = await bot_username(db, settings)
    found = await communities.every(db)
    rows = [community_data(c, invite_link(username, c.invite_code)) for c in found]
    emit(as_json, {"communities": rows},
         [f"{r['id']}  {r['name']}  ({r['timezone']})  {r['invite_link']}" for r in rows]
         or ["No communities yet."])


@community.command("retention")
@click.argument("community_ref", metavar="COMMUNITY")
@click.argument("months", metavar="MONTHS|keep")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def community_retention(db: Database, settings: Settings, community_ref: str, months: str,
                              as_json: bool) -> None:
    """Keep a community's answers for MONTHS months, then erase them daily ("keep": no limit).

    Conveners are told a week before the first erasure; every erasure is in the audit log.
    """
    from valuestory.usecases import retention

    value = retention.parse_months(months, "MONTHS must be a whole number of months (1 or more) "
                                           "or keep")
    kept = await retention.set_for(db, community_ref, value, actor=ACTOR)
    emit(as_json, {"community": kept.community, "retention_months": value}, [kept.said])


def _minutes(value: int) -> str:
    if value % (60 * 24) == 0:
        return f"{value // (60 * 24)}d"
    if value % 60 == 0:
        return f"{value // 60}h"
    return f"{value}m"


@community.command("set")
@click.argument("ref", metavar="NAME_OR_ID")
@click.option("--delay", default=None, help="How long after an event ends to ask, e.g. 2h.")
@click.option("--reminder", default=None, help="How long after asking to nudge once, e.g. 48h.")
@click.option("--window", default=None, help="How long a prompt stays open, e.g. 7d.")
@click.option("--quiet", default=None,
              help='Hours never to message, in the community\'s zone: "20:00-08:00", or "off".')
@click.option("--digest", default=None, help='Weekly digest day and time, e.g. "monday 09:00".')
@click.option("--retention-months", default=None,
              help="Months to keep stories before they are erased, or 'keep'.")
@click.option("--language", default=None,
              help="For members whose own language the bot does not speak, e.g. es.")
@click.option("--keep-audio", metavar="on|off", default=None,
              help="Keep voice notes' recordings beside their transcripts (off: erase them).")
@click.option("--conveners-code", metavar="on|off", default=None,
              help="Let the community's conveners code its narratives, as researchers do.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def community_set(db: Database, settings: Settings, ref: str, delay: str | None,
                        reminder: str | None, window: str | None, quiet: str | None,
                        digest: str | None, retention_months: str | None, language: str | None,
                        keep_audio: str | None, conveners_code: str | None,
                        as_json: bool) -> None:
    """Change a community's scheduling, digest, retention, language, recording and coding
    settings."""
    from valuestory.usecases import community_settings

    data = await community_settings.change(
        db, ref, community_settings.Change(delay=delay, reminder=reminder, window=window,
                                           quiet=quiet, digest=digest, language=language),
        names={name: f"--{name.replace('_', '-')}"
               for name in ("delay", "reminder", "window", "quiet", "digest", "language",
                            "retention_months", "keep_audio", "conveners_code")},
        retention_months=retention_months, keep_audio=keep_audio,
        conveners_code=conveners_code, actor=ACTOR,
        bare_numbers=False)
    emit(as_json, data, [
        f"{data['name']} ({data['timezone']}):",
        f"  ask {_minutes(data['prompt_delay_minutes'])} after each event ends, "
        f"nudge once after {_minutes(data['reminder_after_hours'] * 60)}, "
        f"close after {_minutes(data['window_days'] * 60 * 24)}",
        f"  quiet hours: {data['quiet_hours']}",
        f"  weekly digest: {data['digest']}",
        "  retention: " + (f"{data['retention_months']} months" if data["retention_months"]
                           else "kept"),
        f"  language: {data['language']} (for members whose own is not spoken)",
        "  voice notes: " + ("recordings kept with their transcripts" if data["keep_audio"]
                             else "only their transcripts kept"),
        "  coding: " + ("researchers and conveners" if data["conveners_code"]
                        else "researchers only"),
    ])


@main.group()
def role() -> None:
    """Grant, list and revoke convener and researcher roles."""


@role.command("grant")
@click.argument("telegram_user_id", type=TelegramId())
@click.argument("role_name", metavar="convener|researcher",
                type=click.Choice(["convener", "researcher"]))
@click.option("--community", "community_ref", default=None,
              help="Community name or id (researchers may omit it to cover every community).")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def role_grant(db: Database, settings: Settings, telegram_user_id: int, role_name: str,
                     community_ref: str | None, as_json: bool) -> None:
    """Give a Telegram user a role in a community."""
    granted = await roles.grant(db, telegram_user_id, role_name, community_ref)
    emit(as_json, {"id": granted.count, "telegram_user_id": telegram_user_id, "role": role_name,
                   "community": granted.community}, [granted.said])


@role.command("list")
@click.option("--community", "community_ref", default=None,
              help="Only this community's roles (with researchers of every community).")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def role_list(db: Database, settings: Settings, community_ref: str | None,
                    as_json: bool) -> None:
    """List who holds which role, oldest grant first."""
    found = await roles.listing(db, community_ref)
    emit(as_json, {"roles": found},
         [f"{r['telegram_user_id']}  {r['role']}  {r['where']}"
          for r in found] or ["No roles granted yet."])


@role.command("revoke")
@click.argument("telegram_user_id", type=TelegramId())
@click.argument("role_name", metavar="convener|researcher",
                type=click.Choice(["convener", "researcher"]))
@click.option("--community", "community_ref", default=None,
              help="Community name or id (default: the role wherever it is held).")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def role_revoke(db: Database, settings: Settings, telegram_user_id: int, role_name: str,
                      community_ref: str | None, as_json: bool) -> None:
    """Take a role away; it takes effect at the person's next message."""
    revoked = await roles.revoke(db, telegram_user_id, role_name, community_ref)
    emit(as_json, {"telegram_user_id": telegram_user_id, "role": role_name,
                   "community": revoked.community, "revoked": revoked.count}, [revoked.said])


# --- events and prompts ---------------------------------------------------------------------


@main.group()
def event() -> None:
    """Schedule and list events."""


@event.command("create")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--title", required=True)
@click.option("--starts", required=True, help='"2026-12-03 14:00" in the community\'s zone, '
              "or ISO 8601 with an offset.")
@click.option("--ends", required=True)
@click.option("--again", is_flag=True,
              help="Plan it even if the community has this title at this start already.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def event_create(db: Database, settings: Settings, community_ref: str, title: str,
                       starts: str, ends: str, again: bool, as_json: bool) -> None:
    """Schedule an event (once: the same title and start again is refused without --again)."""
    event, asking = await planning.schedule(db, community_ref, title, starts, ends, again=again)
    data = {**event, "asking": asking.data()}
    emit(as_json, data, [f"Created event {data['id']}: {data['title']}, {data['starts']} to "
                         f"{data['ends']}", asking.text])


@event.command("list")
@click.option("--community", "community_ref", default=None)
@click.option("--json", "as_json", is_flag=True)
@with_database
async def event_list(db: Database, settings: Settings, community_ref: str | None,
                     as_json: bool) -> None:
    """List events, oldest first, times in each community's zone."""
    rows = await listing.every(db, community_ref)
    emit(as_json, {"events": rows},
         [f"{r['id']}  {r['starts']}  {r['title']}  [{r['community']}]"
          + ("  (cancelled)" if r["cancelled"] else "") for r in rows] or ["No events yet."])


@main.group()
def prompt() -> None:
    """Open prompts by hand (the scheduler normally does this)."""


@prompt.command("open")
@click.option("--event", "event_id", type=int, required=True)
@click.option("--member", "telegram_user_id", type=int, default=None,
              help="A member's Telegram user id (default: every member of the community).")
@click.option("--kind", type=click.Choice([k.value for k in PromptKind]),
              default=PromptKind.POST_EVENT.value, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@with_database
async def prompt_open(db: Database, settings: Settings, event_id: int,
                      telegram_user_id: int | None, kind: str, as_json: bool) -> None:
    """Ask one member, or all of the event's community, about an event now.

    The running bot sends the first question within a minute (not in quiet hours, not to paused
    members) and reminds once, as for any prompt.
    """
    opened = await planning.open_by_hand(db, event_id, telegram_user_id, kind)
    emit(as_json, {"event": event_id, "opened": opened.created,
                   "already_open": opened.already_open},
         [f"{len(opened.created)} prompt(s) about {opened.title} are due now; the running bot "
          "sends them."])
