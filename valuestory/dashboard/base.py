"""What every dashboard page shares: who is asking, the headers that keep it safe, and rendering.

Every request resumes its session from the database and every page asks `access` what the person
may see, against their roles as they are now. A community they may not see is a 404, exactly as
one that does not exist. Forms that change something carry the session's CSRF token; pages allow
no inline script and nothing from another origin; logs name no person and quote no narrative.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import tornado.web

from flows import texts
from storage.db import Database
from valuestory.dashboard import fragments
from valuestory.process.settings import Settings
from valuestory.usecases import sessions
from valuestory.usecases.out import plain
from valuestory.usecases.times import local_date, local_time

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)

COOKIE = "valuestory_session"
PREFIX = "/dashboard"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; "
       "frame-ancestors https://web.telegram.org")
# The Mini App's entry page also loads Telegram's own script, and nothing else from elsewhere.
CSP_MINI_APP = CSP.replace("script-src 'self'", "script-src 'self' https://telegram.org")


def _environment() -> jinja2.Environment:
    import jinja2  # at the first page: a bot whose dashboard nobody opens never loads it

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("valuestory.dashboard", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
        auto_reload=False)  # the templates are part of the release: no looking at their files
    env.filters["when"] = local_time
    # Every page of narratives lists the community's events by date: the same dates each time.
    env.filters["day"] = functools.lru_cache(maxsize=4096)(local_date)
    env.filters["plain"] = plain
    env.filters["iso"] = dt.datetime.isoformat
    env.filters["rate"] = lambda r: texts.RATE_NONE if r is None else f"{r:.0%}"
    env.filters["count"] = texts.plural  # 1 member, 2 members: a count with its noun
    env.globals.update(cycle_names=texts.CYCLE_NAMES, stage_names=texts.STORY_STAGES, prefix=PREFIX,
                       texts=texts, narrative_list=fragments.narrative_list,
                       narrative_label=fragments.label, cycle_hints=CYCLE_HINTS,
                       change_words=change_words)
    return env


# What each cycle holds, under its name on the matrix page (the dashboard speaks English).
CYCLE_HINTS = {
    "immediate": "How the sessions went: what members enjoyed, felt and noticed.",
    "potential": "What members took away: skills, contacts, tools, standing, ways of learning.",
    "applied": "What members did differently because of it: done, not planned.",
    "realised": "The difference it made: results for members, their teams, the people they serve.",
    "reframing": "New ways of seeing: changed rules, strategies, or what success means.",
}


def change_words(change: Any) -> str:
    """One entry of an indicator's history in words: what was done (never a narrative's text)."""
    d = change.details
    ids = ", ".join(f"#{n}" for n in d.get("narratives", ()))
    if change.action == "created":
        return f"created it under {texts.CYCLE_NAMES.get(d.get('cycle', ''), 'a cycle').lower()}"
    if change.action == "adopted":
        return "adopted it from the examples"
    if change.action == "edited":
        said = []
        if "statement" in d:
            said.append(f"changed the statement from “{d['statement']['from']}”")
        if "cycle" in d:
            said.append(f"moved it to {texts.CYCLE_NAMES.get(d['cycle']['to'], '?').lower()}")
        if "capital" in d:
            said.append(f"set its capital to {d['capital']['to'] or 'none'}")
        return "; ".join(said) or "edited it"
    if change.action == "linked":
        return f"linked narratives {ids}" if ids else "linked narratives"
    if change.action == "unlinked":
        return f"took narratives {ids} out of its evidence"
    if change.action == "quoted":
        return f"chose narratives {ids} as its quotes" if ids else "removed its quotes"
    if change.action == "merged":
        if "into" in d:
            return f"merged it into indicator #{d['into']}"
        return f"merged indicator #{d.get('merged_from')} into it" + (
            f", adding narratives {ids}" if ids else "")
    if change.action == "moved":
        return f"moved it to place {d.get('position')} in its cycle"
    return {"retired": "retired it from the matrix", "restored": "restored it to the matrix"
            }.get(change.action, change.action)


@dataclass
class Dashboard:
    """What the handlers share: the database, the settings, the templates."""

    db: Database
    settings: Settings
    base: str

    @classmethod
    def make(cls, db: Database, settings: Settings, base: str) -> Dashboard:
        return cls(db, settings, base)

    @functools.cached_property
    def templates(self) -> jinja2.Environment:
        return _environment()

    @property
    def secure(self) -> bool:
        return self.base.startswith("https://")

    @property
    def admins(self) -> frozenset[int]:
        return self.settings.admin_telegram_ids


class Page(tornado.web.RequestHandler):
    """A dashboard page. `signed` is who is asking (None: not signed in)."""

    signed: sessions.Signed | None = None
    needs_session = True
    # Pages that read the session in their own unit of work, with everything else they read
    # (see `admit`), rather than in one of its own first.
    signs_in_late = False
    csp = CSP

    def initialize(self, dash: Dashboard) -> None:
        self.dash = dash

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", self.csp)
        self.set_header("X-Content-Type-Options", "nosniff")
        # Sign-in links carry their token in the address: never pass it on.
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")

    async def prepare(self) -> None:
        if self.signs_in_late:
            return
        signed = await sessions.resume(self.dash.db, self.get_cookie(COOKIE))
        if self.needs_session:
            self.admit(signed)
        self.signed = signed

    def admit(self, signed: sessions.Signed | None) -> None:
        """Let in whom the cookie signs in: 401 if nobody, 403 if a form's CSRF token is wrong."""
        self.signed = signed
        if signed is None:
            raise tornado.web.HTTPError(401)
        if self.request.method == "POST":
            self.check_csrf()

    def check_csrf(self) -> None:
        assert self.signed is not None
        given = self.get_body_argument("csrf", "")
        if not hmac.compare_digest(given.encode(), self.signed.csrf.encode()):
            raise tornado.web.HTTPError(403, reason="Form expired")

    @property
    def user_id(self) -> int:
        assert self.signed is not None
        return self.signed.user_id

    def compute_etag(self) -> None:
        return None  # pages are never stored (Cache-Control), so never hash them for an ETag

    def set_session_cookie(self, token: str) -> None:
        self.set_cookie(COOKIE, token, path=PREFIX + "/", httponly=True, samesite="Lax",
                        secure=self.dash.secure, expires_days=None)

    def render_page(self, template: str, **values: Any) -> None:
        values.setdefault("csrf", self.signed.csrf if self.signed else "")
        values.setdefault("signed_in", self.signed is not None)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(self.dash.templates.get_template(template).render(**values))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 401:
            self.signed = None
            self.render_page("signed_out.html")
            return
        messages = {403: texts.DASHBOARD_FORM_EXPIRED, 404: texts.DASHBOARD_NOT_FOUND,
                    429: texts.DASHBOARD_SLOW_DOWN}
        self.clear_header("Content-Disposition")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.render_page("error.html", status=status_code,
                         message=messages.get(status_code, texts.DASHBOARD_TROUBLE))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, tornado.web.HTTPError):
            return  # 404s and expired forms are answers, not faults
        # The kind of failure and the route only: never the address, which may carry a token.
        log.error("dashboard page failed: %s at %s", typ.__name__ if typ else "error",
                  self.request.method, exc_info=(typ, value, tb))


def today(zone: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(zone)).date()
