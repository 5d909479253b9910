"""`valuestory member link`: a member's personal link to answer in the browser, made (and shown
once: only its hash is kept) or revoked by whoever runs the server."""

from __future__ import annotations

import click

from storage.db import Database
from valuestory.cli.common import Stop, emit, with_database
from valuestory.cli.root import main
from valuestory.process.settings import Settings
from valuestory.usecases import web_answers


def _member_group() -> click.Group:
    """The `member` group, whichever module of the command line made it first."""
    found = main.commands.get("member")
    if isinstance(found, click.Group):
        return found

    @main.group()
    def member() -> None:
        """Members: their links to answer in the browser."""

    return member


@_member_group().command("link")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--member", "pseudonym", default=None, metavar="PSEUDONYM",
              help="The member's pseudonym there (P-XXXX): a new link for them; older ones stop.")
@click.option("--new", "new", is_flag=True,
              help="A link for a new member without Telegram, invited into the community: they "
                   "read its participant information and join when they agree.")
@click.option("--language", default=None, help="A new member's language (default: the community's).")
@click.option("--revoke", "revoke", is_flag=True,
              help="Revoke the member's links (or the one given with --link) instead.")
@click.option("--link", "link", default=None, help="With --revoke: the one link to revoke.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@with_database
async def member_link(db: Database, settings: Settings, community_ref: str, pseudonym: str | None,
                      new: bool, language: str | None, revoke: bool, link: str | None,
                      as_json: bool) -> None:
    """Make a member's personal link to answer in the browser (printed once), or revoke it."""
    if revoke:
        if (pseudonym is None) == (link is None) or new:
            raise Stop("with --revoke give --member PSEUDONYM or --link LINK (one of them)")
        count = await web_answers.revoke(db, community_ref, pseudonym, link=link)
        emit(as_json, {"revoked": count},
             [f"Revoked {count} link{'' if count == 1 else 's'}: it opens nothing now."
              if count else "No working link to revoke."])
        return
    if link is not None:
        raise Stop("--link goes with --revoke")
    if (pseudonym is None) == (not new):
        raise Stop("give --member PSEUDONYM, or --new for a member without Telegram (one of them)")
    if language is not None and not new:
        raise Stop("--language goes with --new: a member's own language is theirs to change")
    base = settings.public_base(webhook=settings.webhook_url is not None)
    made = await web_answers.make(db, community_ref, pseudonym, base, language=language)
    who = made.pseudonym or "a new member"
    emit(as_json, {"link": made.url, "community": made.community, "pseudonym": made.pseudonym},
         [made.url, f"The personal link of {who} in {made.community}. It is shown only now: "
          "send it to them yourself; anyone with it can answer as them."])
