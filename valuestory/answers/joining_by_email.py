"""/join/<invite code>: someone without Telegram joins a community by email. They give an
address (the confirmation email goes at once), open the link in it, confirm, and land on their
own page, which asks their consent. Each handler calls one door of `usecases.email_joins`.

Confirming is a button (POST), not the link's GET: mail scanners open links before people do.
"""

from __future__ import annotations

from valuestory.answers.base import MemberPage, story_path
from valuestory.usecases import email_joins
from valuestory.usecases.emails import Letter
from valuestory.usecases.scheduler import Outcome
from valuestory.usecases.times import utcnow

JOIN = "/join/"
CONFIRM = "/join/confirm/"
CODE = r"([A-Za-z0-9_-]{6,64})"
# A send that may well have arrived: the person is told to look in their inbox.
GONE_OUT = (Outcome.SENT, Outcome.UNREACHABLE, Outcome.UNCERTAIN)


class Join(MemberPage):
    """GET: the community and the address field; POST: the confirmation email, sent now."""

    async def invite(self, code: str) -> email_joins.Invite | None:
        """The invite the code opens, its page in the language asked for (`lang`, else the
        browser's); or None, once the page has said the link opens nothing."""
        found = await email_joins.invite(self.answers.db, code, self.get_argument("lang", None),
                                         *self.browser_languages())
        if found is None:
            self.language = self.browser_language()
            self.render_page("gone.html", status=404, said=self.t.WEB_LINK_GONE)
            return None
        self.language = found.language
        return found

    async def get(self, code: str) -> None:
        found = await self.invite(code)
        if found is None:
            return
        if self.get_argument("sent", None):
            self.render_page("unsubscribed.html", said=self.t.JOIN_SENT,
                             title=self.t.JOIN_TITLE.format(community=found.community))
            return
        self.form(code, found.community)

    def form(self, code: str, community: str, problem: str = "", address: str = "",
             status: int = 200) -> None:
        # The page's language goes with the form, so the answer to it reads the same.
        self.render_page("join.html", status=status, action=f"{JOIN}{code}?lang={self.language}",
                         problem=problem,
                         address=address, community=community,
                         title=self.t.JOIN_TITLE.format(community=community))

    async def post(self, code: str) -> None:
        found = await self.invite(code)
        if found is None:
            return
        address = self.get_body_argument("address", "")[:320]
        asked = await email_joins.ask(self.answers.db, code, address, found.language)
        if not isinstance(asked, Letter):  # not an address (or the invite went meanwhile)
            self.form(code, found.community, self.t.JOIN_BAD_ADDRESS, address, status=400)
            return
        letters = self.answers.letters
        result = None if letters is None else await letters.send_letter(asked, utcnow())
        if result is None or result.outcome not in GONE_OUT:
            self.form(code, found.community, self.t.JOIN_NOT_SENT, address, status=503)
            return
        self.redirect(f"{JOIN}{code}?sent=1&lang={found.language}", status=303)


class Confirm(MemberPage):
    """GET: what confirming does, and the button; POST: confirmed, then their own page."""

    async def get(self, code: str) -> None:
        found = await email_joins.confirming(self.answers.db, code)
        if found is None:
            self.language = self.browser_language()
            self.render_page("gone.html", status=404, said=self.t.JOIN_EXPIRED)
            return
        self.language = found.language
        self.render_page("confirm.html", action=CONFIRM + code, community=found.community,
                         title=self.t.JOIN_TITLE.format(community=found.community))

    async def post(self, code: str) -> None:
        token = await email_joins.confirm(self.answers.db, code)
        if token is None:
            self.language = self.browser_language()
            self.render_page("gone.html", status=404, said=self.t.JOIN_EXPIRED)
            return
        self.redirect(story_path(token), status=303)
