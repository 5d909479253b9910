"""Running the bot (`run`), asking whether it is healthy (`health`), and `try` in a terminal.

This is the one composition root allowed to start the bot: it builds the process from its parts.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import click

from storage.db import Database
from valuestory.cli.common import Stop, one_line_errors, open_database, settings_or_stop
from valuestory.cli.root import main

# --- run and try ----------------------------------------------------------------------------


@main.command()
@click.option("--webhook", is_flag=True,
              help="Take updates by webhook at WEBHOOK_URL instead of long polling.")
@one_line_errors
def run(webhook: bool) -> None:
    """Run the bot (long polling, or --webhook). Creates or upgrades the database first.

    Serves /healthz, /metrics, the dashboard (/dashboard/) and members' pages (/answer/) on
    HEALTH_PORT (polling) or WEBHOOK_PORT (webhook). On SIGTERM it stops taking updates, finishes
    what is in flight, and exits.
    """
    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.service import serve
    from bot.speech import engine_for
    from valuestory import answers, dashboard
    from valuestory.mail import scheduling as mail
    from valuestory.process.logs import setup_logging

    settings = settings_or_stop()
    token = settings.bot_token()
    if settings.voice_engine == "whisper":
        engine_for(settings)  # stop now, with what to fix, if the model can't be used
    # Stop now, naming MAIL_FROM, if SMTP_URL is set without it.
    mail_sender = mail.sender_for(settings, settings.public_base(webhook))
    password = mail_sender.mailer.server.password if mail_sender else None
    secrets = (token, settings.webhook_secret_token(), *([password] if password else []))
    if webhook:
        settings.webhook_endpoint()  # stop now, with what to fix, if WEBHOOK_URL is missing
    setup_logging(settings.log_level, settings.log_format, secrets=secrets)

    async def prepare() -> Database:
        db = await open_database(settings.database_url)
        await db.dispose()  # the bot's own event loop opens fresh connections
        return db

    asyncio.run(prepare())

    async def serve_all() -> None:
        # The bot and the dashboard meet only here, on one web server and one database pool.
        db = Database(settings.database_url, stock_io=settings.valuestory_stock_io)
        base = settings.public_base(webhook)
        routes = [*dashboard.routes(db, settings, base), *answers.routes(db, base, mail_sender)]
        # Emails go from the same process, beside Telegram's scheduler, on the same pool.
        stop_mail = asyncio.Event()
        mailing = (asyncio.create_task(mail.run(db, settings, mail_sender, stop_mail))
                   if mail_sender else None)
        try:
            await serve(settings, webhook, routes, db)
        finally:
            stop_mail.set()
            if mailing is not None:
                await mailing

    try:
        asyncio.run(serve_all())
    except InvalidToken:
        raise Stop("Telegram rejected TELEGRAM_BOT_TOKEN: copy it again from @BotFather") from None
    except NetworkError as exc:
        # The host, never the whole address: the token is part of it.
        host = urlsplit(settings.telegram_api_base_url).netloc.rpartition("@")[2]
        said = str(exc).replace(token, "<token>")
        reason = said.partition(": ")[2] or said  # "httpx.ConnectError: ..." reads as its cause
        raise Stop(f"can't reach Telegram's Bot API at {host} ({reason}): check this machine's "
                   "network, or TELEGRAM_API_BASE_URL if you use your own Bot API server") from None
    except TelegramError as exc:
        raise Stop(f"Telegram refused to start the bot: {exc}") from None
    except OSError as exc:
        port, name = ((settings.webhook_port, "WEBHOOK_PORT") if webhook
                      else (settings.health_port, "HEALTH_PORT"))
        raise Stop(f"can't listen for web requests on {settings.webhook_listen}:{port} "
                   f"({exc.strerror or exc}): choose another port with {name}") from None


@main.command()
@click.option("--url", default=None,
              help="Address of /healthz (default: this machine, WEBHOOK_PORT if WEBHOOK_URL is "
                   "set, else HEALTH_PORT).")
@one_line_errors
def health(url: str | None) -> None:
    """Ask the running bot whether it is healthy: exit 0 if so, else 1 with the reason.

    For container health checks; needs no tools beyond Python.
    """
    import urllib.error
    import urllib.request

    if url is None:
        settings = settings_or_stop()
        port = settings.webhook_port if settings.webhook_url else settings.health_port
        url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            click.echo(response.read().decode().strip() or "ok")
    except urllib.error.HTTPError as exc:
        click.echo(exc.read().decode().strip() or f"HTTP {exc.code}", err=True)
        sys.exit(1)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        click.echo(f"the bot does not answer at {url}: {reason}", err=True)
        sys.exit(1)


@main.command("try")
@click.option("--database", "database_url", default=None,
              help="A database URL, as DATABASE_URL takes it (sqlite:///try.db, postgresql://...), "
                   "to keep the try-out in and come back to (default: a throwaway SQLite file).")
@click.option("--member", "member", type=click.IntRange(min=1), default=1, show_default=True,
              help="Which try-out member to be: another number is another member, beside the "
                   "first, in the same community.")
@click.option("--question-set", default="default", show_default=True,
              help="A question set name or YAML file to preview.")
@click.option("--language", default="en", show_default=True,
              help="The language to preview it in, e.g. es or pl.")
@one_line_errors
def try_(database_url: str | None, member: int, question_set: str, language: str) -> None:
    """Walk through the member conversation in this terminal. No Telegram token needed."""
    from flows import i18n
    from flows.questions import load_question_set
    from valuestory.process.settings import async_database_url
    from valuestory.terminal.tryout import Terminal, line_reader

    if language not in i18n.languages():
        raise Stop(f"--language takes one of {', '.join(i18n.languages())}, not {language!r}")
    load_question_set(question_set)
    try:
        database_url = database_url and async_database_url(database_url)  # as DATABASE_URL is
    except ValueError as exc:
        raise Stop(f"--database {exc}") from None

    async def main_() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'try.db'}"
            db = await open_database(url)
            try:
                await Terminal(db, line_reader(), click.echo, question_set, language,
                               user_id=member, kept=database_url is not None).run()
            finally:
                await db.dispose()

    asyncio.run(main_())
