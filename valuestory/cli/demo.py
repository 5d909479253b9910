"""`valuestory demo`: the whole tool on this machine, with no token and no network.

Composes what `valuestory run` would, minus Telegram and the scheduler: the web server with the
dashboard on 127.0.0.1, signed in from a printed link as the sample community's convener, and the
terminal conversation of `try` as one more member of that community, both on one event loop and
one database, so each answer is on the dashboard the moment it is given. The database is a
throwaway file in a folder of its own unless `--keep` or `--database` says where to keep it.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import click

from valuestory.cli.common import Stop, one_line_errors, open_database, settings_or_stop
from valuestory.cli.root import main


async def _nothing_to_probe() -> None:
    """The demo has no Bot API to ask after."""


@main.command()
@click.option("--keep", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Keep the demo's database in this SQLite file (made if new; a demo kept "
                   "there before is opened again).")
@click.option("--database", "database_url", default=None,
              help="Put the demo in this database instead, given as a URL like DATABASE_URL "
                   "(sqlite:///demo.db, postgresql://user@host/name); it is kept.")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="Port of the dashboard on 127.0.0.1 (default: any free port).")
@one_line_errors
def demo(keep: Path | None, database_url: str | None, port: int) -> None:
    """See the dashboard and a member's conversation together, on sample data. No token needed."""
    import tornado.httpserver
    import tornado.netutil

    from valuestory import dashboard
    from valuestory.process.settings import async_database_url
    from valuestory.process.web import make_app
    from valuestory.terminal.tryout import MAX_WIDTH, Terminal, line_reader, wrap
    from valuestory.usecases import sample

    if keep is not None and database_url is not None:
        raise Stop("give --keep FILE or --database URL, not both")
    if keep is not None:
        if keep.is_dir() or not keep.parent.is_dir():
            raise Stop(f"can't keep the demo in {keep}: give a file in a folder that exists")
        database_url = f"sqlite:///{keep.resolve()}"
    try:
        database_url = database_url and async_database_url(database_url)
    except ValueError as exc:
        raise Stop(f"--database {exc}") from None
    settings = settings_or_stop()
    try:
        sockets = tornado.netutil.bind_sockets(port, "127.0.0.1")
    except OSError as exc:
        raise Stop(f"can't listen on 127.0.0.1:{port} ({exc.strerror or exc}): "
                   "choose another port with --port") from None
    base = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"

    async def main_() -> None:
        with tempfile.TemporaryDirectory(prefix="valuestory-demo-") as folder:
            db = await open_database(database_url or
                                     f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}")
            server = tornado.httpserver.HTTPServer(
                make_app(db, _nothing_to_probe, dashboard.routes(db, settings, base)))
            try:
                click.echo("Preparing the sample community...")
                place = await sample.prepare(db)
                server.add_sockets(sockets)
                link = await sample.signin_link(db, base)
                width = min(shutil.get_terminal_size((100, 24)).columns, MAX_WIDTH) - 1
                for line in (
                    "",
                    f"valuestory demo: \"{sample.NAME}\". Its members, events and stories are "
                    "sample data written for this demo: none of it is real.",
                    "",
                    "Open the dashboard, signed in as the sample's convener (the link works "
                    "once, for ten minutes):",
                    f"  {link}",
                    "",
                    "Below, you are one more member of the sample community. Reload the "
                    "dashboard to see your answers arrive. /dashboard here prints a new link.",
                    "Stop with /quit or Ctrl+C. "
                    + ("The demo's database is kept." if database_url else
                       "The demo's database is then deleted (keep it with --keep FILE)."),
                    "",
                ):
                    click.echo(wrap(line, width))

                async def fresh_link() -> str:
                    return ("A new sign-in link for the dashboard (it works once, for ten "
                            f"minutes):\n  {await sample.signin_link(db, base)}")

                await Terminal(db, line_reader(), click.echo, place=place,
                               kept=database_url is not None,
                               extra={"dashboard": fresh_link}).run()
            finally:
                server.stop()
                await server.close_all_connections()
                await db.dispose()

    try:
        asyncio.run(main_())
    except KeyboardInterrupt:
        click.echo("\nStopped before the demo began.")
    if keep is not None:
        click.echo(f"\nThe demo has ended. Its database is kept in {keep}: "
                   f"valuestory demo --keep {keep} opens it again.")
    elif database_url is None:
        click.echo("\nThe demo has ended and its database is deleted.")
    else:
        click.echo("\nThe demo has ended.")
