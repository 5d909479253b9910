"""The `valuestory` command line: the one composition root that may start the bot.

`root` holds the command group; `service`, `setup`, `evidence`, `database` and `questions` each add their
commands to it (importing them here is what registers them); `common` has what they share.
"""

from valuestory.cli import database, evidence, questions, service, setup
from valuestory.cli.root import main

__all__ = ["database", "evidence", "main", "questions", "service", "setup"]
