"""Members by email: `valuestory member invite`, one address or a CSV file of them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from storage.db import Database
from valuestory.cli.common import Stop, emit, with_database
from valuestory.cli.root import main
from valuestory.process.settings import Settings
from valuestory.usecases import invitations


@main.group()
def member() -> None:
    """Members reached by email."""


@member.command("invite")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--email", "address", default=None, help="The member's email address.")
@click.option("--csv", "csv_file", default=None, metavar="FILE",
              help="A file of addresses, one a line, each optionally followed by a comma and a "
                   "language (es, pl...).")
@click.option("--language", default=None,
              help="The language the emails are in (default: the community's).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@with_database
async def member_invite(db: Database, settings: Settings, community_ref: str, address: str | None,
                        csv_file: str | None, language: str | None, as_json: bool) -> None:
    """Invite people by email: each gets their own link, where they read the participant
    information, agree or not, and answer after events. The running bot sends the emails."""
    if (address is None) == (csv_file is None):
        raise Stop("give --email ADDRESS or --csv FILE (one of them)")
    if csv_file is not None:
        path = Path(csv_file)
        try:
            text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
        except FileNotFoundError:
            raise Stop(f"can't read {path}: there is no such file") from None
        except UnicodeDecodeError:
            raise Stop(f"can't read {path}: save it as UTF-8 text (CSV)") from None
        except OSError as exc:
            raise Stop(f"can't read {path}: {exc.strerror or exc}") from None
        done = await invitations.invite_from_csv(db, community_ref, text, language)
    else:
        assert address is not None
        done = await invitations.invite(db, community_ref, address, language)
    lines = [f"Invited {done.invited} by email to {done.community}; the running bot sends "
             "each their invitation within a minute."]
    if done.already:
        lines.append(f"{done.already} already invited to or in {done.community}: nothing sent.")
    if not settings.smtp_url:
        lines.append("SMTP_URL is not set: set it (and MAIL_FROM) so the invitations can go out.")
    emit(as_json, {"community": done.community, "invited": done.invited,
                   "already": done.already}, lines)
