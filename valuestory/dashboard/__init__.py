"""The web dashboard for conveners, researchers and admins, served under /dashboard/.

Server-rendered pages on the process's own tornado server; signed into through Telegram (a
one-time link or the Mini App), never with a password. `routes` is what whoever composes the
process hands to the web server; this package imports neither the bot nor Telegram.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.web

from storage.db import Database
from valuestory.dashboard import coding, pages, signing
from valuestory.dashboard.base import PREFIX, Dashboard
from valuestory.process.settings import Settings

STATIC = Path(__file__).parent / "static"


class Static(tornado.web.StaticFileHandler):
    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")


def routes(db: Database, settings: Settings, base: str) -> list[Any]:
    """The dashboard's routes; `base` is the address its links start with (PUBLIC_URL)."""
    dash = {"dash": Dashboard.make(db, settings, base)}
    c = PREFIX + r"/c/([0-9]{1,12})"
    return [
        (PREFIX, tornado.web.RedirectHandler, {"url": PREFIX + "/"}),
        (PREFIX + "/", pages.Home, dash),
        (PREFIX + r"/signin/([A-Za-z0-9_-]{20,100})", signing.LinkPage, dash),
        (PREFIX + "/signin", signing.SignInWithLink, dash),
        (PREFIX + "/app", signing.MiniApp, dash),
        (PREFIX + "/app/signin", signing.SignInWithInitData, dash),
        (PREFIX + "/signout", signing.SignOut, dash),
        (PREFIX + r"/static/(.*)", Static, {"path": str(STATIC)}),
        (c + "/", pages.MatrixPage, dash),
        (c + "/share", pages.MatrixShare, dash),
        (c + "/narratives", pages.NarrativesPage, dash),
        (c + r"/narratives/([0-9]{1,12})/evidence", pages.EvidencePage, dash),
        (c + r"/narratives/([0-9]{1,12})/evidence/chosen", pages.EvidenceChosen, dash),
        (c + "/indicators", pages.IndicatorNew, dash),
        (c + r"/indicators/([0-9]{1,12})", pages.IndicatorPage, dash),
        (c + r"/indicators/([0-9]{1,12})/quotes\.csv", pages.IndicatorQuotes, dash),
        (c + r"/indicators/([0-9]{1,12})/(edit|link|unlink|quotes|merge|retire|restore|up|down)",
         pages.IndicatorChange, dash),
        (c + "/stories", pages.StoriesPage, dash),
        (c + r"/stories/([0-9a-f-]{36})", pages.StoryPage, dash),
        (c + r"/stories/([0-9a-f-]{36})/feature", pages.FeatureStory, dash),
        (c + "/report", pages.ReportPage, dash),
        (c + "/export", pages.ExportPage, dash),
        (c + "/events", pages.EventsPage, dash),
        (c + "/invite", pages.InviteByEmail, dash),
        (c + "/member-link", pages.MemberLink, dash),
        *coding.routes(c, dash),
        (c + r"/events/([0-9]{1,12})/(move|cancel)", pages.EventChange, dash),
        (PREFIX + r"/.*", pages.NotFound, dash),
    ]


def application(db: Database, settings: Settings, base: str) -> tornado.web.Application:
    """The dashboard alone, as a tornado application (for tests and benchmarks)."""
    return tornado.web.Application(routes(db, settings, base), log_function=lambda _h: None)


__all__ = ["application", "routes"]
