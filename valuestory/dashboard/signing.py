"""Signing in and out: the one-time link's page, the Mini App's entry, and sign-out.

A link is used by a POST from its own page, never by opening it, so a link preview or a prefetch
can't spend it; that form carries a token of its own in a cookie (no session exists yet).
"""

from __future__ import annotations

import hmac
import logging
import secrets

import tornado.web

from valuestory.dashboard.base import COOKIE, CSP_MINI_APP, PREFIX, Page
from valuestory.usecases import sessions, signin

log = logging.getLogger(__name__)

SIGNIN_COOKIE = "valuestory_signin"


class LinkPage(Page):
    """GET /dashboard/signin/<token>: a button that signs in with the link."""

    needs_session = False

    def get(self, token: str) -> None:
        form = secrets.token_urlsafe(16)
        self.set_cookie(SIGNIN_COOKIE, form, path=PREFIX + "/", httponly=True, samesite="Lax",
                        secure=self.dash.secure, expires_days=None)
        self.render_page("signin.html", token=token, form=form)


class SignInWithLink(Page):
    """POST /dashboard/signin: spend the link and start a session."""

    needs_session = False

    async def post(self) -> None:
        form = self.get_body_argument("form", "")
        cookie = self.get_cookie(SIGNIN_COOKIE) or ""
        if not form or not hmac.compare_digest(form.encode(), cookie.encode()):
            raise tornado.web.HTTPError(403)
        self.clear_cookie(SIGNIN_COOKIE, path=PREFIX + "/")
        result = await signin.with_link(self.dash.db, self.get_body_argument("token", ""),
                                        self.request.remote_ip or "", self.dash.admins)
        if result.limited:
            log.warning("dashboard sign-ins slowed down after repeated failures")
            raise tornado.web.HTTPError(429)
        if result.token is None:
            log.info("dashboard sign-in refused (link)")
            self.set_status(403)
            self.render_page("link_refused.html")
            return
        log.info("dashboard sign-in (link)")
        self.set_session_cookie(result.token)
        self.redirect(PREFIX + "/", status=303)


class MiniApp(Page):
    """GET /dashboard/app: the page Telegram opens; its script posts initData to sign in."""

    needs_session = False
    csp = CSP_MINI_APP

    def get(self) -> None:
        self.render_page("app.html")


class SignInWithInitData(Page):
    """POST /dashboard/app/signin: initData in, a session cookie out (or 403)."""

    needs_session = False

    async def post(self) -> None:
        origin = self.request.headers.get("Origin")
        if origin is not None and origin != f"{self.request.protocol}://{self.request.host}":
            raise tornado.web.HTTPError(403)
        result = await signin.with_init_data(
            self.dash.db, self.get_body_argument("initData", ""), self.dash.settings.bot_token(),
            self.request.remote_ip or "", self.dash.admins)
        if result.limited:
            log.warning("dashboard sign-ins slowed down after repeated failures")
            raise tornado.web.HTTPError(429)
        if result.token is None:
            log.info("dashboard sign-in refused (Mini App)")
            raise tornado.web.HTTPError(403)
        log.info("dashboard sign-in (Mini App)")
        self.set_session_cookie(result.token)
        self.set_header("Content-Type", "application/json")
        self.finish({"next": PREFIX + "/"})


class SignOut(Page):
    """POST /dashboard/signout: the session ends everywhere."""

    async def post(self) -> None:
        await sessions.close(self.dash.db, self.get_cookie(COOKIE))
        self.clear_cookie(COOKIE, path=PREFIX + "/")
        self.signed = None
        self.render_page("signed_out.html", bye=True)
