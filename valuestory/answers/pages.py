"""A member's pages: their story one question at a time, the participant information to agree
to first, their data, and leaving. Each handler reads its form, calls one door of
`usecases.web_answers`, and renders what it returns or redirects to the page (POST-redirect-GET).
"""

from __future__ import annotations

from valuestory.answers import unsubscribe
from valuestory.answers.base import PREFIX, MemberPage, page_links, story_path
from valuestory.answers.checking import check_path
from valuestory.usecases import web_answers
from valuestory.usecases.conversation.page import Asking, Told
from valuestory.usecases.emails import on_page as emails

# What a link's token looks like in a page's address.
TOKEN = r"([A-Za-z0-9_-]{20,100})"


class StoryPage(MemberPage):
    """/answer/<token>: the question they are on (GET), and what its form sent (POST)."""

    async def get(self, token: str) -> None:
        await self.show(token)

    async def show(self, token: str, problem: str = "", kept: str | None = None,
                   status: int = 200) -> None:
        found = await web_answers.page(self.answers.db, token)
        if isinstance(found, web_answers.Refused):
            self.refuse(found)
            return
        self.language = found.language
        links = page_links(token)
        if found.joining is not None:
            self.render_page("joining.html", joining=found.joining,
                             action=f"{story_path(token)}/agree", links=links)
        elif isinstance(found.screen, Asking):
            self.render_page("question.html", status=status, q=found.screen, problem=problem,
                             answer=found.screen.answer if kept is None else kept,
                             action=story_path(token), links=links)
        else:
            # With no question to answer here, a members' check waiting for them is pointed to.
            check = check_path(token) if found.check_waiting else None
            if isinstance(found.screen, Told):
                self.render_page("told.html", told=found.screen, links=links, check=check)
            else:
                self.render_page("nothing.html", links=links, check=check)

    async def post(self, token: str) -> None:
        text = self.get_body_argument("text", None)
        sent = await web_answers.send(self.answers.db, token, self.get_body_argument("prompt", ""),
                                      self.get_body_argument("do", ""), text)
        if isinstance(sent, web_answers.Refused) or not sent.problem:
            self.redirect(story_path(token), status=303)
            return
        # Not taken: the page again, saying why, with what they wrote still in the box.
        await self.show(token, problem=sent.problem, kept=text, status=400)


class Agree(MemberPage):
    """I agree, under the participant information."""

    async def post(self, token: str) -> None:
        await web_answers.agree(self.answers.db, token, self.get_body_argument("community", ""),
                                self.get_body_argument("version", ""),
                                self.get_body_argument("language", ""))
        self.redirect(story_path(token), status=303)


class MyData(MemberPage):
    """/mydata on the page: everything held about them, to read or save."""

    async def get(self, token: str) -> None:
        found = await web_answers.my_data(self.answers.db, token)
        if isinstance(found, web_answers.Refused):
            self.refuse(found)
            return
        self.language, document = found
        asked = await web_answers.channel_choice(self.answers.db, token)
        channel = None if isinstance(asked, web_answers.Refused) else asked[1]
        self.render_page("mydata.html", document=document, back=story_path(token),
                         title=self.t.WEB_MYDATA, channel=channel,
                         action=f"{story_path(token)}/channel",
                         emails=await emails.setting(self.answers.db, token),
                         emails_action=f"{story_path(token)}/emails",
                         stop=unsubscribe.PATH + token)


class ChannelSetting(MemberPage):
    """Where they are asked, set on their page (for a member in Telegram with an address)."""

    async def post(self, token: str) -> None:
        await web_answers.set_channel(self.answers.db, token, self.get_body_argument("channel", ""))
        self.redirect(f"{story_path(token)}/mydata", status=303)


class EmailsSetting(MemberPage):
    """Email me again, under Your data, after the member stopped the emails."""

    async def post(self, token: str) -> None:
        await emails.start_again(self.answers.db, token)
        self.redirect(f"{story_path(token)}/mydata", status=303)


class Withdraw(MemberPage):
    """/withdraw on the page: what leaving erases, to confirm (GET); erasing it (POST)."""

    async def get(self, token: str) -> None:
        found = await web_answers.page(self.answers.db, token)
        if isinstance(found, web_answers.Refused):
            self.refuse(found)
            return
        self.language = found.language
        self.render_page("withdraw.html", action=f"{story_path(token)}/withdraw",
                         back=story_path(token), title=self.t.WEB_WITHDRAW)

    async def post(self, token: str) -> None:
        done = await web_answers.withdraw(self.answers.db, token)
        language = (done.language or self.browser_language() if isinstance(
            done, web_answers.Refused) else done)
        self.redirect(f"{PREFIX}/left?lang={language}", status=303)


class Left(MemberPage):
    """After leaving: what was done. Their link opens nothing now."""

    def get(self) -> None:
        self.language = web_answers.language_or_base(self.get_query_argument("lang", ""))
        self.render_page("left.html", said=self.t.WITHDRAWN_ALL)
