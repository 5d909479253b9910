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

from flows import i18n, texts
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
    # Filters that say something read the page's language (`lang`) and texts (`t`) from it.
    day = functools.lru_cache(maxsize=4096)(local_date)
    env.filters["when"] = jinja2.pass_context(
        lambda page, at, zone: local_time(at, zone, page["lang"]))
    # Every page of narratives lists the community's events by date: the same dates each time.
    env.filters["day"] = jinja2.pass_context(lambda page, at, zone: day(at, zone, page["lang"]))
    env.filters["plain"] = plain
    env.filters["iso"] = dt.datetime.isoformat
    env.filters["rate"] = jinja2.pass_context(
        lambda page, r: page["t"].RATE_NONE if r is None else f"{r:.0%}")
    # 1 member, 2 members: a count with its noun, in the language's forms (a noun the catalog
    # does not count yet, as English does).
    env.filters["count"] = jinja2.pass_context(
        lambda page, n, word: page["t"].plural(n, word) if word in texts.COUNTS
        else texts.plural(n, word))
    env.globals.update(prefix=PREFIX, narrative_list=fragments.narrative_list,
                       narrative_label=fragments.label, change_words=change_words)
    return env


def words(language: str) -> dict[str, Any]:
    """What a page's template reads its words from, in `language`: `t` (and `texts`, the same)
    for the catalog's texts, the cycles' and stages' names, and the page's `lang` and `dir`."""
    t = texts.In(language)
    return {"t": t, "texts": t, "lang": language, "dir": i18n.direction(language),
            "cycle_names": t.CYCLE_NAMES, "stage_names": t.STORY_STAGES,
            "cycle_hints": t.DASHBOARD_CYCLE_HINTS}


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
    """A dashboard page. `signed` is who is asking (None: not signed in); `language` what it
    speaks: about a community, the visitor's own language as a member, else the community's
    (`access.View.language`); elsewhere their own, else the browser's, else English."""

    signed: sessions.Signed | None = None
    language: str | None = None
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

    def browser_language(self) -> str:
        """The first of the browser's languages (Accept-Language) the dashboard speaks; else English."""
        wanted = [part.split(";")[0].strip()
                  for part in self.request.headers.get("Accept-Language", "").split(",")[:8]]
        return i18n.pick(*wanted)

    def speaks(self) -> str:
        """The page's language; else the visitor's own, if known; else the browser's."""
        own = self.signed.language if self.signed is not None else None
        return self.language or own or self.browser_language()

    @property
    def t(self) -> i18n.Texts:
        """The texts in the page's language."""
        return texts.In(self.speaks())

    def render_page(self, template: str, **values: Any) -> None:
        values.setdefault("csrf", self.signed.csrf if self.signed else "")
        values.setdefault("signed_in", self.signed is not None)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        page = words(self.speaks())
        self.finish(self.dash.templates.get_template(template).render(**page, **values))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 401:
            self.signed = None
            self.render_page("signed_out.html")
            return
        t = self.t
        messages = {403: t.DASHBOARD_FORM_EXPIRED, 404: t.DASHBOARD_NOT_FOUND,
                    429: t.DASHBOARD_SLOW_DOWN}
        self.clear_header("Content-Disposition")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.render_page("error.html", status=status_code,
                         message=messages.get(status_code, t.DASHBOARD_TROUBLE))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, tornado.web.HTTPError):
            return  # 404s and expired forms are answers, not faults
        # The kind of failure and the route only: never the address, which may carry a token.
        log.error("dashboard page failed: %s at %s", typ.__name__ if typ else "error",
                  self.request.method, exc_info=(typ, value, tb))


def today(zone: str) -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(zone)).date()
