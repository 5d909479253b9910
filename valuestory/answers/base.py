"""What every member's page shares: the headers that keep it safe, its language, and rendering.

A member's page is reached by their personal link, in the address: it is never passed on
(Referrer-Policy), never stored (Cache-Control), and never logged (tornado's access log is off,
and a failure logs the route's kind, never the address). Pages load nothing from another origin
(the CSP header), work without JavaScript (forms, then a redirect to the page: POST-redirect-GET),
and every form carries tornado's XSRF token, checked before anything it sent is read.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import tornado.web

from flows import i18n, texts
from storage.db import Database
from valuestory.usecases import web_answers
from valuestory.usecases.scheduler import LetterSender

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger(__name__)

PREFIX = "/answer"
STATIC = PREFIX + "/static"


def story_path(token: str) -> str:
    """The one place a member's page's address is made from their link's token."""
    return f"{PREFIX}/{token}"


def page_links(token: str) -> dict[str, str]:
    """The links at the foot of every page of a member's: their data, and leaving."""
    return {"mydata": f"{story_path(token)}/mydata", "withdraw": f"{story_path(token)}/withdraw"}

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
# The pages' own wording where Telegram's would be wrong (flows/texts.py WORDING["web"]).
FRONT_END = "web"


def paragraphs(html_text: str) -> Any:
    """Text as the engine says it (HTML with its values escaped, lines apart by newlines) as
    paragraphs."""
    from markupsafe import Markup

    parts = [p.replace("\n", "<br>") for p in html_text.split("\n\n") if p.strip()]
    return Markup("".join(f"<p>{p}</p>" for p in parts))


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("valuestory.answers", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
        auto_reload=False)
    env.filters["paragraphs"] = paragraphs
    env.globals.update(static=STATIC, prefix=PREFIX)
    return env


@dataclass
class Answers:
    """What the members' pages share: the database, and the address links start with."""

    db: Database
    base: str
    # What sends an email at once (joining by email's confirmation); None without SMTP_URL.
    letters: LetterSender | None = None

    @property
    def secure(self) -> bool:
        return self.base.startswith("https://")


class MemberPage(tornado.web.RequestHandler):
    """A page of a member's own, in `language` once the link is known (English before)."""

    language = i18n.BASE_LANGUAGE

    def initialize(self, answers: Answers) -> None:
        self.answers = answers

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")

    def prepare(self) -> None:
        # The page's wording for as long as this request speaks (its own task's context).
        i18n.FRONT_END.set(FRONT_END)
        if self.request.method == "POST":
            self.check_xsrf_cookie()

    def browser_languages(self) -> list[str]:
        """The browser's languages (Accept-Language), most wanted first (eight at most)."""
        return [part.split(";")[0].strip()
                for part in self.request.headers.get("Accept-Language", "").split(",")[:8]]

    def browser_language(self) -> str:
        """The first of the browser's languages we speak; else English."""
        return web_answers.language_or_base(*self.browser_languages())

    def refuse(self, refused: web_answers.Refused) -> None:
        """A link that opens nothing, said kindly in its member's language (else the browser's)."""
        self.language = refused.language or self.browser_language()
        self.render_page("gone.html", status=404, said=self.t.WEB_LINK_GONE)

    def compute_etag(self) -> None:
        return None

    @property
    def t(self) -> i18n.Texts:
        return texts.In(self.language)

    def render_page(self, template: str, status: int = 200, **values: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        values.setdefault("title", self.t.WEB_TITLE)
        self.finish(_environment().get_template(template).render(
            t=self.t, lang=self.language, dir=i18n.direction(self.language),
            xsrf=self.xsrf_form_html(), **values))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        t = self.t
        self.render_page("problem.html", status=status_code,
                         said=(t.DASHBOARD_FORM_EXPIRED if status_code == 403
                               else t.DASHBOARD_TROUBLE if status_code >= 500
                               else t.DASHBOARD_NOT_FOUND))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, tornado.web.HTTPError):
            return
        # Never the address: it carries the member's link.
        log.error("member page failed: %s at %s", typ.__name__ if typ else "error",
                  self.request.method, exc_info=(typ, value, tb))
