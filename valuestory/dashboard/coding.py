"""The dashboard's coding pages: the codebook, a narrative's coding view, coding sets, agreement.

Each handler reads the request, asks one door of `usecases.coding` (which checks the visitor may
code the community: researchers, admins, and conveners where the community allows it; anyone
else gets a 404, as for a community that does not exist), and renders what it returns. Forms
work without JavaScript; `static/coding.js` only fills a passage's start and end from a selection.
A code's colour reaches the page through `codes.css`, never an inline style (the pages' policy
allows none), and never alone: a coded passage is underlined and numbered to its code's name.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import tornado.web

from valuestory.dashboard.base import PREFIX, Page
from valuestory.usecases import access, coding, community_settings, indicators
from valuestory.usecases.coding import screens


@dataclass(frozen=True)
class Piece:
    """A stretch of a narrative's text and the passages (numbered as listed) that cover it."""

    text: str
    covered: tuple[tuple[int, int], ...]  # (number, code) of each coding covering it, outermost first
    ends: tuple[int, ...]  # numbers of the codings that end here, shown after it


def pieces(text: str, codings: Sequence[coding.CodingView]) -> list[Piece]:
    """The text cut where passages start and end, each piece with the passages covering it."""
    spans = [(i + 1, c.start, c.end, c.code_id) for i, c in enumerate(codings)
             if c.start is not None and c.end is not None]
    cuts = sorted({0, len(text), *(s for _, s, _, _ in spans), *(e for _, _, e, _ in spans)})
    found = []
    for a, b in itertools.pairwise(cuts):
        # Outermost first: the passage that started earliest (and, of those, ends last).
        over = sorted(((n, code, s, e) for n, s, e, code in spans if s <= a and e >= b),
                      key=lambda o: (o[2], -o[3], o[0]))
        ending = tuple(n for n, _, e, _ in spans if e == b)
        found.append(Piece(text[a:b], tuple((n, code) for n, code, _, _ in over), ending))
    return found


COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


class CodingPage(Page):
    """A coding page: the visitor's rights are asked of the door; a refusal is a 404."""

    def caller(self) -> coding.Caller:
        return coding.Caller(self.user_id, self.dash.admins)

    def here(self, community_id: int | str) -> str:
        return f"{PREFIX}/c/{int(community_id)}"

    def screen(self, template: str, view: access.View, **values: Any) -> None:
        self.language = view.language
        self.render_page(template, community=view.community, convenes=view.convenes,
                         exports=view.exports is not None, coding=True, **values)

    def refused(self, message: str, back: str) -> None:
        self.set_status(400)
        self.render_page("coding_problem.html", message=message, back=back)

    async def run(self, action: Any, back: str, done: str | Callable[[Any], str]) -> None:
        """Do what a form asks; then on to `done` (or where it says, given what was done), or
        say what to fix."""
        try:
            result = await action
        except coding.NeedLabel:
            self.redirect(back, status=303)  # the page asks for a label first
            return
        except coding.Unknown:
            raise tornado.web.HTTPError(404) from None
        except coding.CodingError as exc:
            self.refused(str(exc), back)
            return
        self.redirect(done if isinstance(done, str) else done(result), status=303)


class CodebookPage(CodingPage):
    """GET /dashboard/c/<id>/codebook: the codes, with counts, and the coding sets.
    POST adds a code, starts from the framework's themes, or makes a set."""

    async def get(self, community_id: str) -> None:
        try:
            found = await screens.codebook_screen(self.dash.db, self.caller(), int(community_id))
        except coding.Unknown:
            raise tornado.web.HTTPError(404) from None
        self.screen("codebook.html", found.view, book=found, cycles=coding.CYCLES,
                    capitals=coding.CAPITALS, done=self.get_query_argument("done", ""))

    async def post(self, community_id: str) -> None:
        arg, db, who, cid = self.get_body_argument, self.dash.db, self.caller(), int(community_id)
        back = f"{self.here(cid)}/codebook"
        what = arg("do", "")
        if what == "start":
            action: Any = coding.start_from_framework(db, who, cid)
        elif what == "set":
            action = coding.new_set(db, who, cid, arg("name", ""), arg("narratives", ""),
                                    blind=bool(arg("blind", "")))
            back = arg("back", "") if arg("back", "").startswith(PREFIX + "/") else back
            await self.run(action, back, lambda made: f"{self.here(cid)}/sets/{made.id}?done=made")
            return
        else:
            action = coding.add_code(db, who, cid, arg("name", ""),
                                     description=arg("description", ""),
                                     colour=arg("colour", ""), parent=arg("parent", "") or None,
                                     cycle=arg("cycle", ""), capital=arg("capital", ""))
        await self.run(action, back, f"{self.here(cid)}/codebook?done={what or 'added'}")


class CodeChange(CodingPage):
    """POST /dashboard/c/<id>/codes/<code id>/(edit|remove|indicator)."""

    async def post(self, community_id: str, code_id: str, what: str) -> None:
        arg, db, who, cid = self.get_body_argument, self.dash.db, self.caller(), int(community_id)
        code = int(code_id)
        back = f"{self.here(cid)}/codebook"
        if what == "edit":
            action: Any = coding.edit_code(db, who, cid, code, name=arg("name", ""),
                                           description=arg("description", ""),
                                           colour=arg("colour", ""), cycle=arg("cycle", ""),
                                           capital=arg("capital", ""))
            done = f"{back}?done=edited#code-{code}"
        elif what == "remove":
            action = coding.remove_code(db, who, cid, code)
            done = f"{back}?done=removed"
        else:
            try:
                made = await coding.to_indicator(db, who, cid, code)
            except coding.Unknown:
                raise tornado.web.HTTPError(404) from None
            except (coding.CodingError, indicators.IndicatorError) as exc:
                self.refused(str(exc), back)
                return
            self.redirect(f"{self.here(cid)}/#indicator-{made.id}", status=303)
            return
        await self.run(action, back, done)


class CodesCss(CodingPage):
    """GET /dashboard/c/<id>/codes.css: each code's colour, as a class the pages use."""

    async def get(self, community_id: str) -> None:
        try:
            found = await screens.colours(self.dash.db, self.caller(), int(community_id))
        except coding.Unknown:
            raise tornado.web.HTTPError(404) from None
        self.set_header("Content-Type", "text/css; charset=utf-8")
        # Colours are checked as #RRGGBB when a code is made, changed or imported; checked again
        # here, so nothing but a colour is ever written into the stylesheet.
        self.finish("".join(f".code-{cid}{{--code:{colour}}}\n" for cid, colour in found
                            if COLOUR.fullmatch(colour)))


class NarrativeCodingPage(CodingPage):
    """GET /dashboard/c/<id>/narratives/<narrative id>/coding: the narrative with its coded
    passages and the codings the visitor may see; opening it records it as seen.
    POST applies a code to the whole narrative or to a passage of it."""

    async def get(self, community_id: str, narrative_id: str) -> None:
        try:
            found = await screens.narrative_screen(self.dash.db, self.caller(), int(community_id),
                                                   int(narrative_id))
        except coding.Unknown:
            raise tornado.web.HTTPError(404) from None
        self.screen("coding.html", found.view, found=found,
                    pieces=pieces(found.narrative.text, found.codings),
                    done=self.get_query_argument("done", ""))

    async def post(self, community_id: str, narrative_id: str) -> None:
        arg, cid = self.get_body_argument, int(community_id)
        whole = arg("scope", "") == "whole"
        back = f"{self.here(cid)}/narratives/{int(narrative_id)}/coding"
        await self.run(coding.apply(self.dash.db, self.caller(), cid, int(narrative_id),
                                    arg("code", ""), None if whole else arg("start", ""),
                                    None if whole else arg("end", "")),
                       back, f"{back}?done=coded#codings")


class CodingRemoved(CodingPage):
    """POST /dashboard/c/<id>/codings/<coding id>/remove: take away one of your own codings."""

    async def post(self, community_id: str, coding_id: str) -> None:
        cid = int(community_id)
        back = self.get_body_argument("back", "")
        if not back.startswith(f"{self.here(cid)}/"):
            back = f"{self.here(cid)}/codebook"
        await self.run(coding.unapply(self.dash.db, self.caller(), cid, int(coding_id)),
                       back, f"{back}?done=removed#codings")


class CoderLabel(CodingPage):
    """POST /dashboard/c/<id>/coder: the label the visitor is shown by as a coder."""

    async def post(self, community_id: str) -> None:
        cid = int(community_id)
        back = self.get_body_argument("back", "")
        if not back.startswith(f"{self.here(cid)}/"):
            back = f"{self.here(cid)}/codebook"
        await self.run(coding.choose_label(self.dash.db, self.caller(), cid,
                                           self.get_body_argument("label", "")), back, back)


class SetPage(CodingPage):
    """GET /dashboard/c/<id>/sets/<set id>: a set's narratives and how far the visitor is."""

    async def get(self, community_id: str, set_id: str) -> None:
        try:
            found = await screens.set_screen(self.dash.db, self.caller(), int(community_id),
                                             int(set_id))
        except coding.Unknown:
            raise tornado.web.HTTPError(404) from None
        self.screen("coding_set.html", found.view, found=found,
                    done=self.get_query_argument("done", ""))


class SetDone(CodingPage):
    """POST /dashboard/c/<id>/sets/<set id>/done: the visitor has coded the set."""

    async def post(self, community_id: str, set_id: str) -> None:
        cid = int(community_id)
        here = f"{self.here(cid)}/sets/{int(set_id)}"
        await self.run(coding.mark_done(self.dash.db, self.caller(), cid, int(set_id)),
                       here, f"{here}?done=done")


class AgreementPage(CodingPage):
    """GET /dashboard/c/<id>/agreement: per code, how far the coders agree (in a set, if chosen)."""

    async def get(self, community_id: str) -> None:
        chosen = self.get_query_argument("set", "")
        try:
            found = await screens.agreement_screen(self.dash.db, self.caller(), int(community_id),
                                                   chosen)
        except coding.Unknown:
            if chosen:
                self.redirect(f"{self.here(community_id)}/agreement", status=303)
                return
            raise tornado.web.HTTPError(404) from None
        self.screen("agreement.html", found.view, found=found)


class ConvenersCode(CodingPage):
    """POST /dashboard/c/<id>/conveners-code: a convener lets the community's conveners code its
    narratives (on=1), or stops them."""

    async def post(self, community_id: str) -> None:
        cid, on = int(community_id), self.get_body_argument("on", "") == "1"
        if not await community_settings.let_conveners_code(self.dash.db, self.user_id,
                                                           self.dash.admins, cid, on):
            raise tornado.web.HTTPError(404)
        self.redirect(f"{self.here(cid)}/codebook" if on else f"{self.here(cid)}/narratives",
                      status=303)


def routes(c: str, dash: dict[str, Any]) -> list[Any]:
    """The coding pages' routes under a community's address `c`."""
    return [
        (c + "/codebook", CodebookPage, dash),
        (c + "/codes.css", CodesCss, dash),
        (c + r"/codes/([0-9]{1,12})/(edit|remove|indicator)", CodeChange, dash),
        (c + r"/narratives/([0-9]{1,12})/coding", NarrativeCodingPage, dash),
        (c + r"/codings/([0-9]{1,12})/remove", CodingRemoved, dash),
        (c + "/coder", CoderLabel, dash),
        (c + r"/sets/([0-9]{1,12})", SetPage, dash),
        (c + r"/sets/([0-9]{1,12})/done", SetDone, dash),
        (c + "/agreement", AgreementPage, dash),
        (c + "/conveners-code", ConvenersCode, dash),
    ]
