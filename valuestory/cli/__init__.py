"""The `valuestory` command line: the one composition root that may start the bot.

`root` holds the command group; `service`, `demo`, `setup`, `evidence`, `indicators`, `coding`,
`database`, `members`, `questions`, `dashboard` and `web` (`member link`) each add their
commands to it (importing them here is what registers them);
`common` has what they share.
"""

from valuestory.cli import (
    coding,
    dashboard,
    database,
    demo,
    evidence,
    indicators,
    members,
    questions,
    service,
    setup,
    web,
)
from valuestory.cli.root import main

__all__ = ["coding", "dashboard", "database", "demo", "evidence", "indicators", "main", "members",
           "questions", "service", "setup", "web"]
