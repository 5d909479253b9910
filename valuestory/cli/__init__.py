"""The `valuestory` command line: the one composition root that may start the bot."""

from valuestory.cli.commands import main

__all__ = ["main"]
