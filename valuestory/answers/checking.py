"""/answer/<token>/check: the members' check on a member's page, one statement at a time.

The email asking a member to check links here. Each statement is a form (its XSRF token, the
statement's id, a box for a sentence, and the three answers as buttons); the answer goes to
`checking.on_page.answer`, then the page again (POST-redirect-GET) shows the next statement, or
the thanks. It works without JavaScript; with it, the page's script keeps the sentence as it is
typed and says so when a form could not be sent, as on the story's page.
"""

from __future__ import annotations

from valuestory.answers.base import MemberPage, page_links, story_path
from valuestory.usecases import web_answers
from valuestory.usecases.checking import on_page

PATH = "/check"


def check_path(token: str) -> str:
    return story_path(token) + PATH


class CheckPage(MemberPage):
    """GET: the statement to answer now, or why there is none; POST: an answer to it."""

    async def get(self, token: str) -> None:
        found = await on_page.page(self.answers.db, token)
        if isinstance(found, web_answers.Refused):
            self.refuse(found)
            return
        self.language = found.language
        self.render_page("check.html", title=self.t.WEB_CHECK_TITLE, found=found,
                         action=check_path(token), back=story_path(token),
                         links=page_links(token))

    async def post(self, token: str) -> None:
        await on_page.answer(self.answers.db, token, self.get_body_argument("answer", ""),
                             self.get_body_argument("do", ""),
                             self.get_body_argument("sentence", None))
        self.redirect(check_path(token), status=303)
