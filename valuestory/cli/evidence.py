"""The evidence: the matrix, the weekly digest, researchers' exports and the audit log."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from flows import i18n, texts
from storage.db import Database
from valuestory.cli.common import ACTOR, Stop, check_target, emit, with_database
from valuestory.cli.root import main
from valuestory.process.settings import Settings
from valuestory.usecases import communities, exports
from valuestory.usecases.times import utcnow

# --- the matrix and the digest --------------------------------------------------------------


@main.command("matrix")
@click.argument("action", required=False, type=click.Choice(["share"]))
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--since", "period", default="", help='"30d", "8w" or "2026-09-01" (default: all time).')
@click.option("--png", "png_path", type=click.Path(path_type=Path), default=None,
              help="Also write the matrix as a PNG picture to this file.")
@click.option("--slide", is_flag=True,
              help="With --png: a 16:9 picture for a slide (1920 x 1080) instead of a phone's.")
@click.option("--force", is_flag=True, help="Replace the --png file if it exists.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def matrix_show(db: Database, settings: Settings, action: str | None, community_ref: str,
                      period: str, png_path: Path | None, slide: bool, force: bool,
                      as_json: bool) -> None:
    """Print a community's Value Creation Matrix; `matrix share` asks its members whether its
    indicators ring true for them."""
    from valuestory.usecases import checking, matrix, report

    if action == "share":
        try:
            shared = await checking.share_from_command_line(db, community_ref, ACTOR, utcnow())
        except checking.ShareRefused as refused:
            raise Stop(str(refused)) from None
        emit(as_json, shared.to_dict(), [shared.said(i18n.BASE_LANGUAGE)])
        return
    if slide and png_path is None:
        raise Stop("--slide shapes the --png picture: add --png FILE")
    if png_path is not None:
        check_target(png_path, force)  # before any work, as export and backup do
    try:
        if slide:
            shown = await report.slide_for_command_line(db, community_ref, period, utcnow())
        else:
            shown = await matrix.for_command_line(db, community_ref, period, utcnow(),
                                                  picture=png_path is not None)
    except matrix.PeriodError:
        raise Stop(f"{period!r} is not a period; try 30d, 8w or 2026-09-01") from None
    if png_path is not None and shown.png is not None:
        try:
            await asyncio.to_thread(png_path.write_bytes, shown.png)
        except OSError as exc:
            raise Stop(f"can't write {png_path}: {exc.strerror or exc}") from None
    emit(as_json, shown.matrix.to_dict(), [matrix.render_terminal(shown.matrix)])


@main.command("report")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--since", "period", default="", help='"30d", "8w" or "2026-09-01" (default: all time).')
@click.option("--format", "fmt", required=True, type=click.Choice(["pdf", "docx"]),
              help="pdf to read and print, docx to edit in a word processor.")
@click.option("--output", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def report_cmd(db: Database, settings: Settings, community_ref: str, period: str, fmt: str,
                     output: Path, force: bool, as_json: bool) -> None:
    """Write the report a board reads: participation, the Value Creation Matrix with its
    indicators, plans followed, stories across cycles, the matrix picture and the method, in the
    community's language."""
    from valuestory.usecases import matrix, report

    check_target(output, force)
    try:
        made = await report.make(db, community_ref, period, fmt, utcnow())
    except matrix.PeriodError:
        raise Stop(f"{period!r} is not a period; try 30d, 8w or 2026-09-01") from None
    try:
        await asyncio.to_thread(output.write_bytes, made.content)
    except OSError as exc:
        raise Stop(f"can't write {output}: {exc.strerror or exc}") from None
    emit(as_json, {"output": str(output), "format": fmt, "community": made.report.community,
                   "indicators": len(made.report.indicators),
                   "stories": len(made.report.stories), "bytes": len(made.content)},
         [f"Wrote the report for {made.report.community} to {output} ({fmt})."])


@main.group()
def digest() -> None:
    """The conveners' weekly digest."""


@digest.command("send")
@click.option("--community", "community_ref", required=True, help="Community name or id.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def digest_send(db: Database, settings: Settings, community_ref: str, as_json: bool) -> None:
    """Send the weekly digest to the community's conveners now."""
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    from bot.scheduling import TelegramSender
    from valuestory.usecases import digest

    await communities.find(db, community_ref)  # a community that isn't there, before Telegram
    token = settings.bot_token()
    try:
        async with Bot(token, base_url=settings.telegram_api_base_url) as bot:
            name, sent = await digest.send_now(db, TelegramSender(bot), community_ref, utcnow())
    except InvalidToken:
        # Its message quotes the token; say what `run` says instead.
        raise Stop("Telegram rejected TELEGRAM_BOT_TOKEN: copy it again from @BotFather") from None
    except TelegramError as exc:
        # Only the kind of failure: the text of a Telegram error can carry the token or its URL.
        raise Stop(f"can't reach Telegram's Bot API ({type(exc).__name__})") from None
    emit(as_json, {"community": name, "sent_to": sent},
         [f"Sent the digest for {name} to {sent} convener(s)."])


# --- researchers' exports and the audit log -------------------------------------------------


@main.command("export")
@click.option("--format", "fmt", required=True, type=click.Choice([f.value for f in exports.ExportFormat]),
              help="csv (opens in Excel), xlsx, jsonl, or qdpx (REFI-QDA for QDA software).")
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write.")
@click.option("--community", "community_ref", default=None, help="Community name or id (default: all).")
@click.option("--since", default=None, help="Only events on or after this date (YYYY-MM-DD).")
@click.option("--until", default=None, help="Only events on or before this date (YYYY-MM-DD).")
@click.option("--cycle", default=None, help="Only one value cycle, e.g. applied.")
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def export_cmd(db: Database, settings: Settings, fmt: str, output: Path,
                     community_ref: str | None, since: str | None, until: str | None,
                     cycle: str | None, force: bool, as_json: bool) -> None:
    """Export pseudonymised narratives.

    One record per narrative, under each member's pseudonym for the community; never a Telegram
    id, name or username. Every export is recorded in the audit log (`valuestory audit`).
    """
    filt = await exports.choose(db, community_ref, since, until, cycle,
                                names={"since": "--since", "until": "--until"})
    fmt_ = exports.ExportFormat(fmt)
    check_target(output, force)
    try:
        if sys.stderr.isatty() and not as_json:
            total = await exports.count(db, filt)
            with click.progressbar(length=total, label="Exporting", file=sys.stderr) as bar:
                result = await exports.export(db, ACTOR, fmt_, output, filt, bar.update)
        else:
            result = await exports.export(db, ACTOR, fmt_, output, filt)
    except OSError as exc:
        raise Stop(f"can't write {output}: {exc.strerror or exc}") from None
    emit(as_json, {"output": str(output), "format": fmt, "rows": result.rows,
                   "filters": result.filters},
         [f"Wrote {texts.plural(result.rows, 'narrative')} to {output} ({fmt})."])


@main.command("audit")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the newest N entries (1 or more).")
@click.option("--json", "as_json", is_flag=True)
@with_database
async def audit_cmd(db: Database, settings: Settings, limit: int | None, as_json: bool) -> None:
    """List the audit log: exports and withdrawals, newest first. Never the data itself."""
    entries = await exports.audit_entries(db, limit)

    def line(e: dict[str, Any]) -> str:
        flat = dict(e["details"])
        flat.update(flat.pop("filters", None) or {})  # an export's filters read as its own fields
        details = " ".join(f"{k}={'all' if k == 'communities' and v is None else v}"
                           for k, v in flat.items() if v is not None)
        where = f" [{e['community']}]" if e["community"] else ""
        return f"{e['at']}  {e['actor']}  {e['action']}{where}  {details}"

    emit(as_json, {"entries": entries}, [line(e) for e in entries] or ["The audit log is empty."])
