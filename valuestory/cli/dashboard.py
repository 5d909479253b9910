"""`valuestory dashboard link`: a one-time dashboard sign-in link, made on the server by an admin."""

from __future__ import annotations

import click

from storage.db import Database
from valuestory.cli.common import Stop, emit, with_database
from valuestory.cli.root import main
from valuestory.process.settings import Settings
from valuestory.usecases import signin
from valuestory.usecases.times import utcnow


@main.group()
def dashboard() -> None:
    """The web dashboard for conveners, researchers and admins."""


@dashboard.command("link")
@click.option("--telegram-id", "user_id", required=True, type=int,
              help="The Telegram id of the convener, researcher or admin it is for.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def dashboard_link(db: Database, settings: Settings, user_id: int, as_json: bool) -> None:
    """Print a sign-in link to the dashboard: it works once, for ten minutes."""
    now = utcnow()
    base = settings.public_base(webhook=settings.webhook_url is not None)
    link = await signin.link_for(db, user_id, settings.admin_telegram_ids, base, now)
    if link is None:
        raise Stop(f"{user_id} has no convener or researcher role and is not an admin; "
                   "grant one first (valuestory role grant)")
    expires = (now + signin.LINK_LIFETIME).isoformat(timespec="seconds")
    emit(as_json, {"link": link, "expires_at": expires},
         [link, f"It works once, until {expires}."])
