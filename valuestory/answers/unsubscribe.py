"""/unsubscribe/<token>: the link in every email (and its List-Unsubscribe header) stops the
emails, pausing the member.

A person opening it sees what stopping means and a button (GET), which stops them (POST, then
the page again: POST-redirect-GET). A mail client's one-click unsubscribe (RFC 8058) posts
`List-Unsubscribe=One-Click` with no page and no form token before it, so this page alone takes
a POST without tornado's XSRF check: the token in the address is what it needs, and all a POST
can do is stop emails, never start them.
"""

from __future__ import annotations

from valuestory.answers.base import MemberPage
from valuestory.usecases import emails

PATH = "/unsubscribe/"


class Unsubscribe(MemberPage):
    """GET: what stopping means, and the button; POST: stopped (one click, or the button)."""

    def check_xsrf_cookie(self) -> None:
        return None  # a mail client's one-click POST carries no form token (see above)

    async def get(self, token: str) -> None:
        found = await emails.stopping(self.answers.db, token)
        if found is None:
            self.language = self.browser_language()
            self.render_page("gone.html", status=404, said=self.t.WEB_LINK_GONE)
            return
        self.language = found.language
        if found.stopped:
            self.render_page("unsubscribed.html", said=self.t.UNSUBSCRIBED, title=self.t.MAIL_STOP)
        else:
            self.render_page("unsubscribe.html", action=PATH + token, title=self.t.MAIL_STOP)

    async def post(self, token: str) -> None:
        done = await emails.unsubscribe(self.answers.db, token)
        if done is None:
            self.language = self.browser_language()
            self.render_page("gone.html", status=404, said=self.t.WEB_LINK_GONE)
            return
        if self.get_body_argument("List-Unsubscribe", "") == "One-Click":
            self.language = done.language
            self.render_page("unsubscribed.html", said=self.t.UNSUBSCRIBED, title=self.t.MAIL_STOP)
            return
        self.redirect(PATH + token, status=303)
