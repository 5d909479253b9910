"""Members' own pages in the browser, served under /answer/ by the process's tornado server.

A member without Telegram (or one who would rather) answers here, through their personal link:
the same questions, engine, rules and languages as in Telegram, one question at a time, made for
a phone. `routes` is what whoever composes the process hands to the web server; this package
imports neither the bot nor the dashboard. Other members' pages (joining by email, unsubscribing)
are modules of their own beside `pages`, on the same `base`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web

from storage.db import Database
from valuestory.answers import checking, joining_by_email, pages, unsubscribe
from valuestory.answers.base import PREFIX, STATIC, Answers
from valuestory.usecases.scheduler import LetterSender

STATIC_FILES = Path(__file__).parent / "static"


class Static(tornado.web.StaticFileHandler):
    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")


def routes(db: Database, base: str, letters: LetterSender | None = None) -> list[Any]:
    """The members' pages; `base` is the address their links start with (PUBLIC_URL);
    `letters` sends the email that confirms an address someone joins with."""
    answers = {"answers": Answers(db, base, letters)}
    member = PREFIX + "/" + pages.TOKEN
    return [
        (STATIC + r"/(.*)", Static, {"path": str(STATIC_FILES)}),
        (PREFIX + "/left", pages.Left, answers),
        (member, pages.StoryPage, answers),
        (member + "/agree", pages.Agree, answers),
        (member + "/mydata", pages.MyData, answers),
        (member + "/channel", pages.ChannelSetting, answers),
        (member + "/emails", pages.EmailsSetting, answers),
        (member + "/withdraw", pages.Withdraw, answers),
        # The members' check, which the email asking for it links to.
        (member + checking.PATH, checking.CheckPage, answers),
        # The link in every email, and its List-Unsubscribe header: stops the emails.
        (unsubscribe.PATH + pages.TOKEN, unsubscribe.Unsubscribe, answers),
        # Joining by email from a community's invite.
        (joining_by_email.CONFIRM + pages.TOKEN, joining_by_email.Confirm, answers),
        (joining_by_email.JOIN + joining_by_email.CODE, joining_by_email.Join, answers),
    ]
