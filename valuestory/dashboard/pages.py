"""The dashboard's pages: communities, the matrix, narratives, stories, events and exports.

Each handler reads the request, asks one use case, and renders what it returns. What a person may
see is asked of `access` on every request, by each page's use case (see `CommunityPage.admit_to`).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import tornado.web

from flows.questions import Capital
from valuestory.dashboard.base import COOKIE, PREFIX, Page
from valuestory.usecases import (
    access,
    checking,
    exports,
    indicators,
    invitations,
    matrix,
    narratives,
    report,
    speaking,
    stories,
    web_answers,
)
from valuestory.usecases.errors import AdminError
from valuestory.usecases.events import listing as events_listing
from valuestory.usecases.events import planning
from valuestory.usecases.times import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

CHUNK = 64 * 1024


class Home(Page):
    """GET /dashboard/: the communities this person may see."""

    async def get(self) -> None:
        rows = await access.communities_seen(self.dash.db, self.user_id, self.dash.admins)
        self.language = await speaking.language_for(self.dash.db, self.user_id,
                                                    self.browser_language())
        self.render_page("home.html", communities=rows)


class CommunityPage(Page):
    """A page about one community, for someone who may see it now (else 404, as if none)."""

    view: access.View
    signs_in_late = True

    def admit_to(self, visit: access.Visit[T]) -> T:
        """Let in whom the page's use case says the cookie signs in (401 if nobody, 403 for a
        stale form), if they may see the community (else 404); what the page shows."""
        self.admit(visit.signed)
        if visit.view is None:
            raise tornado.web.HTTPError(404)
        self.view = visit.view
        self.language = visit.view.language
        return visit.found  # type: ignore[return-value]

    async def open(self, community_id: str) -> access.Named:
        """Who is asking and what they may do here, for pages that read nothing else first."""
        self.admit_to(await access.visit(self.dash.db, self.get_cookie(COOKIE), int(community_id),
                                         self.dash.admins, utcnow()))
        return self.view.community

    def show(self, template: str, community: access.Named, **values: Any) -> None:
        self.render_page(template, community=community, convenes=self.view.convenes,
                         exports=self.view.exports is not None, **values)


class MatrixPage(CommunityPage):
    """GET /dashboard/c/<id>/: the community's value indicators, cycle by cycle, then the Value
    Creation Matrix's counts, events as rows, cycles as columns."""

    async def get(self, community_id: str) -> None:
        since = self.get_query_argument("since", "").strip()
        found = self.admit_to(await matrix.for_page(
            self.dash.db, self.get_cookie(COOKIE), int(community_id), self.dash.admins, since,
            utcnow()))
        problem = None if found.readable else self.t.DASHBOARD_BAD_PERIOD
        if problem:
            self.set_status(400)
        self.show("matrix.html", self.view.community, shown=found, matrix=found.matrix,
                  board=found.indicators, since=since if not problem else "", typed=since,
                  problem=problem, cycles=matrix.CYCLES, capitals=tuple(Capital),
                  done=self.t.DASHBOARD_MATRIX_DONE.get(self.get_query_argument("done", "")))


class MatrixShare(CommunityPage):
    """POST /dashboard/c/<id>/share: a convener asks members to check the indicators."""

    async def post(self, community_id: str) -> None:
        shared = self.admit_to(await checking.share_for_page(
            self.dash.db, self.get_cookie(COOKIE), int(community_id), self.dash.admins, utcnow()))
        here = f"{PREFIX}/c/{self.view.community.id}/"
        if shared is None:
            raise tornado.web.HTTPError(403)  # may read the matrix, not share it
        if isinstance(shared, checking.ShareRefused):
            self.set_status(400)
            self.render_page("problem.html", message=str(shared), back=here)
            return
        self.redirect(f"{here}?done=shared", status=303)


class IndicatorPage(CommunityPage):
    """GET /dashboard/c/<id>/indicators/<indicator id>: the indicator editor."""

    async def get(self, community_id: str, indicator_id: str) -> None:
        found = self.admit_to(await indicators.for_page(
            self.dash.db, self.get_cookie(COOKIE), int(community_id), self.dash.admins,
            utcnow(), int(indicator_id)))
        if found is None:
            raise tornado.web.HTTPError(404)
        self.show("indicator.html", self.view.community, editor=found, v=found.detail.indicator,
                  cycles=matrix.CYCLES, capitals=tuple(Capital), max_quotes=indicators.MAX_QUOTES,
                  done=self.get_query_argument("done", ""))


class IndicatorQuotes(CommunityPage):
    """GET /dashboard/c/<id>/indicators/<indicator id>/quotes.csv: the narratives behind it."""

    async def get(self, community_id: str, indicator_id: str) -> None:
        found = self.admit_to(await indicators.quotes_csv(
            self.dash.db, self.get_cookie(COOKIE), int(community_id), self.dash.admins,
            utcnow(), int(indicator_id)))
        if found is None:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition",
                        f'attachment; filename="indicator-{int(indicator_id)}-quotes.csv"')
        self.finish(found.encode("utf-8"))


class EvidencePage(CommunityPage):
    """GET /dashboard/c/<id>/narratives/<narrative id>/evidence: "this is evidence of ...":
    link the narrative to an indicator, or start a new one from it."""

    async def get(self, community_id: str, narrative_id: str) -> None:
        found = self.admit_to(await indicators.for_narrative(
            self.dash.db, self.get_cookie(COOKIE), int(community_id), self.dash.admins,
            utcnow(), int(narrative_id)))
        if found is None:
            raise tornado.web.HTTPError(404)
        self.show("evidence.html", self.view.community, found=found, cycles=matrix.CYCLES,
                  capitals=tuple(Capital), plan_cycles=indicators.PLAN_CYCLES)


class EvidenceChosen(Page):
    """POST /dashboard/c/<id>/narratives/<narrative id>/evidence/chosen: the narrative backs the
    indicator chosen."""

    async def post(self, community_id: str, narrative_id: str) -> None:
        cid, iid = int(community_id), self.get_body_argument("indicator", "")
        try:
            linked = await indicators.link(self.dash.db, indicators.Caller(
                self.user_id, self.dash.admins), cid, iid, [narrative_id])
        except indicators.Unknown:
            raise tornado.web.HTTPError(404) from None
        except indicators.IndicatorError as exc:
            self.set_status(400)
            self.render_page("problem.html", message=str(exc),
                             back=f"{PREFIX}/c/{cid}/narratives/{int(narrative_id)}/evidence")
            return
        self.redirect(f"{PREFIX}/c/{cid}/indicators/{linked.id}?done=link#n{int(narrative_id)}",
                      status=303)


class IndicatorAction(Page):
    """POST a change to a community's indicators; the use case checks the visitor's role. A
    refusal the visitor can fix is shown with a way back; one they may not make is a 404."""

    def caller(self) -> indicators.Caller:
        return indicators.Caller(self.user_id, self.dash.admins)

    def back_to(self, community_id: int, indicator_id: int | None) -> str:
        here = f"{PREFIX}/c/{community_id}"
        if indicator_id is not None and self.get_body_argument("back", "") != "matrix":
            return f"{here}/indicators/{indicator_id}"
        return f"{here}/" + (f"#indicator-{indicator_id}" if indicator_id is not None else "")

    def refused(self, community_id: int, indicator_id: int | None, message: str) -> None:
        self.set_status(400)
        self.render_page("problem.html", message=message,
                         back=self.back_to(community_id, indicator_id))


class IndicatorNew(IndicatorAction):
    """POST /dashboard/c/<id>/indicators: a new indicator (from the matrix page, or from a
    narrative: `evidence`), an example adopted (`example`) or left (`leave`)."""

    async def post(self, community_id: str) -> None:
        cid, arg = int(community_id), self.get_body_argument
        try:
            if arg("leave", ""):
                await indicators.leave(self.dash.db, self.caller(), cid, arg("leave"))
                self.redirect(f"{PREFIX}/c/{cid}/?done=left", status=303)
                return
            if arg("example", ""):
                made = await indicators.adopt(self.dash.db, self.caller(), cid, arg("example"))
                done = "adopted"
            else:
                made = await indicators.add(
                    self.dash.db, self.caller(), cid, arg("cycle", ""), arg("statement", ""),
                    arg("capital", ""), arg("evidence", ""))
                done = "added"
        except indicators.Unknown:
            raise tornado.web.HTTPError(404) from None
        except indicators.IndicatorError as exc:
            self.refused(cid, None, str(exc))
            return
        if arg("back", "") == "matrix":
            self.redirect(f"{PREFIX}/c/{cid}/?done={done}#indicator-{made.id}", status=303)
        else:
            self.redirect(f"{PREFIX}/c/{cid}/indicators/{made.id}?done={done}", status=303)


class IndicatorChange(IndicatorAction):
    """POST /dashboard/c/<id>/indicators/<indicator id>/<what>: edit, link, unlink, quotes,
    merge, retire, restore, up or down."""

    async def post(self, community_id: str, indicator_id: str, what: str) -> None:
        cid, iid, arg = int(community_id), int(indicator_id), self.get_body_argument
        db, who = self.dash.db, self.caller()
        try:
            if what == "edit":
                # The form's capital only counts under potential value: moved elsewhere, it goes.
                cycle = arg("cycle", "")
                await indicators.edit(db, who, cid, iid, statement=arg("statement", ""),
                                      cycle=cycle, capital=arg("capital", "") if cycle in (
                                          "", "potential") else "")
            elif what == "link":
                await indicators.link(db, who, cid, iid, arg("evidence", ""))
            elif what == "unlink":
                await indicators.unlink(db, who, cid, iid, arg("evidence", ""))
            elif what == "quotes":
                await indicators.set_quotes(db, who, cid, iid, self.get_body_arguments("quote"))
            elif what == "merge":
                into = await indicators.merge(db, who, cid, iid, arg("into", ""))
                self.redirect(f"{PREFIX}/c/{cid}/indicators/{into.id}?done=merged", status=303)
                return
            elif what in ("retire", "restore"):
                await (indicators.retire if what == "retire" else indicators.restore)(
                    db, who, cid, iid)
                if what == "retire":
                    self.redirect(f"{PREFIX}/c/{cid}/?done=retired", status=303)
                    return
            else:
                await indicators.move(db, who, cid, iid, -1 if what == "up" else 1)
        except indicators.Unknown:
            raise tornado.web.HTTPError(404) from None
        except indicators.IndicatorError as exc:
            self.refused(cid, iid, str(exc))
            return
        back = self.back_to(cid, iid)
        self.redirect(back if "#" in back else f"{back}?done={what}", status=303)


class NarrativesPage(CommunityPage):
    """GET /dashboard/c/<id>/narratives: filtered, 50 a page, newest first."""

    async def get(self, community_id: str) -> None:
        arg = self.get_query_argument
        since = arg("since", "").strip()
        found = self.admit_to(await narratives.for_page(
            self.dash.db, self.get_cookie(COOKIE), int(community_id), self.dash.admins, utcnow(),
            cycle=arg("cycle", ""), capital=arg("capital", ""), event=arg("event", ""),
            since=since, pseudonym=arg("pseudonym", ""), words=arg("q", ""),
            after=arg("after", ""), code=arg("code", "")))
        filt = found.filt
        problem = None if found.since_readable else self.t.DASHBOARD_BAD_PERIOD
        kept = {k: v for k, v in (
            ("cycle", filt.cycle), ("capital", filt.capital),
            ("event", str(filt.event_id) if filt.event_id is not None else None),
            ("since", since if not problem else None), ("pseudonym", filt.pseudonym),
            ("q", filt.words), ("code", str(filt.code_id) if filt.code_id else None)) if v}
        later = (f"?{urlencode({**kept, 'after': found.page.next.encode()})}"
                 if found.page.next is not None else None)
        if problem:
            self.set_status(400)
        self.show("narratives.html", self.view.community, page=found.page, filt=filt,
                  since=since, problem=problem, events=found.events, cycles=matrix.STAGES,
                  capitals=tuple(Capital), later=later, first=f"?{urlencode(kept)}",
                  paged=found.paged, stage=stories.stage, coding=found.may_code,
                  codes=found.codes)


class StoriesPage(CommunityPage):
    """GET /dashboard/c/<id>/stories: stories that reached applied value or beyond."""

    async def get(self, community_id: str) -> None:
        found = self.admit_to(await stories.for_page(
            self.dash.db, self.get_cookie(COOKIE), int(community_id), self.dash.admins, utcnow()))
        self.show("stories.html", self.view.community, stories=found)


class StoryPage(CommunityPage):
    """GET /dashboard/c/<id>/stories/<story id>: one member's thread about one event, and
    whether it is featured in the report."""

    async def get(self, community_id: str, story_id: str) -> None:
        found = self.admit_to(await stories.thread_for_page(
            self.dash.db, self.get_cookie(COOKIE), int(community_id), self.dash.admins, utcnow(),
            story_id))
        if found is None:
            raise tornado.web.HTTPError(404)
        notice = {"full": self.t.DASHBOARD_FEATURE_FULL}.get(self.get_query_argument("done", ""))
        self.show("story.html", self.view.community, story=found, notice=notice)


class FeatureStory(CommunityPage):
    """POST /dashboard/c/<id>/stories/<story id>/feature: feature it in the report, or not."""

    async def post(self, community_id: str, story_id: str) -> None:
        done = self.admit_to(await stories.feature(
            self.dash.db, self.get_cookie(COOKIE), int(community_id), self.dash.admins, utcnow(),
            story_id, self.get_body_argument("on", "1") == "1"))
        if done is None:
            raise tornado.web.HTTPError(404)
        after = "?done=full" if done is stories.Featuring.FULL else ""
        self.redirect(f"{PREFIX}/c/{community_id}/stories/{story_id}{after}", status=303)


class ReportPage(CommunityPage):
    """GET /dashboard/c/<id>/report: the report's form and the stories it traces; with a
    format, the report itself, as a download."""

    async def get(self, community_id: str) -> None:
        fmt = self.get_query_argument("format", "").strip()
        since = self.get_query_argument("since", "").strip()
        found = self.admit_to(await report.for_page(
            self.dash.db, self.get_cookie(COOKIE), int(community_id), self.dash.admins, since,
            fmt, utcnow()))
        if isinstance(found, report.Made):
            log.info("dashboard report: %s, %d bytes", fmt, len(found.content))
            self.set_header("Content-Type", found.media_type)
            self.set_header("Content-Disposition", f'attachment; filename="{found.file_name}"')
            self.finish(found.content)
            return
        if found is None:
            raise tornado.web.HTTPError(404)
        if found.unreadable:
            self.set_status(400)
        self.show("report.html", self.view.community, choice=found, typed=since, chosen=fmt,
                  problem=self.t.DASHBOARD_REPORT_BAD_PERIOD if found.unreadable else None)


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


class ExportPage(CommunityPage):
    """GET shows the export form; POST streams the file and records it in the audit log."""

    async def open_for_export(self, community_id: str) -> access.Named:
        community = await self.open(community_id)
        if self.view.exports is None:
            raise tornado.web.HTTPError(404)
        return community

    async def get(self, community_id: str) -> None:
        community = await self.open_for_export(community_id)
        self.show("export.html", community, values={
            "cycle": _choice(self.get_query_argument("cycle", ""), matrix.CYCLES) or "",
            "since": "", "until": "", "format": "csv"}, problem=None,
            formats=tuple(exports.ExportFormat), cycles=matrix.CYCLES)

    async def post(self, community_id: str) -> None:
        community = await self.open_for_export(community_id)
        arg = self.get_body_argument
        values = {k: arg(k, "").strip() for k in ("format", "cycle", "since", "until")}
        with tempfile.TemporaryDirectory() as folder:
            try:
                result = await exports.for_dashboard(
                    self.dash.db, self.user_id, self.dash.admins, community.id, values["format"],
                    values["since"], values["until"], values["cycle"], Path(folder))
            except exports.ExportError as exc:
                self.set_status(400)
                problem = (self.t.DASHBOARD_UNTIL_BEFORE_SINCE
                           if isinstance(exc, exports.UntilBeforeSince) else str(exc))
                self.show("export.html", community, values=values, problem=problem,
                          formats=tuple(exports.ExportFormat), cycles=matrix.CYCLES)
                return
            if result is None:
                raise tornado.web.HTTPError(404)
            log.info("dashboard export: %s, %d rows", result.format.value, result.rows)
            self.set_header("Content-Type", CONTENT_TYPES[result.format])
            self.set_header("Content-Disposition",
                            f'attachment; filename="{_file_name(community, result.format)}"')
            self.set_header("Content-Length", str(result.path.stat().st_size))
            with result.path.open("rb") as handle:
                while chunk := await asyncio.to_thread(handle.read, CHUNK):
                    self.write(chunk)
                    await self.flush()
        self.finish()


CONTENT_TYPES = {
    exports.ExportFormat.CSV: "text/csv; charset=utf-8",
    exports.ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    exports.ExportFormat.JSONL: "application/jsonl; charset=utf-8",
    exports.ExportFormat.QDPX: "application/zip",
}


def _file_name(community: access.Named, fmt: exports.ExportFormat) -> str:
    return f"narratives-{community.id}-{utcnow():%Y%m%d}{exports.SUFFIX[fmt]}"


class EventsPage(CommunityPage):
    """GET lists upcoming and past events; POST creates one, by /newevent's rules."""

    async def listing(self, community: access.Named, status: int = 200,
                      problem: str | None = None, values: dict[str, str] | None = None,
                      notice: str | None = None) -> None:
        found = await events_listing.for_convener(self.dash.db, self.user_id, self.dash.admins,
                                                  community.id, utcnow(), self.view.language)
        if found is None:
            raise tornado.web.HTTPError(404)
        self.set_status(status)
        self.show("events.html", community, upcoming=found.upcoming, past=found.past,
                  rates=found.rates, unasked=found.unasked, problem=problem, notice=notice,
                  values=values or {"title": "", "starts": "", "minutes": "60"})

    async def get(self, community_id: str) -> None:
        community = await self.open(community_id)
        await self.listing(community, notice=self.notice())

    def notice(self) -> str | None:
        done = self.get_query_argument("done", "")
        if done == "invited":
            counts = [self.get_query_argument(k, "0") for k in ("invited", "already")]
            if all(c.isdigit() and len(c) < 7 for c in counts):
                return self.t.DASHBOARD_INVITED.format(invited=counts[0], already=counts[1])
        return {"created": self.t.DASHBOARD_EVENT_CREATED, "moved": self.t.DASHBOARD_EVENT_MOVED,
                "cancelled": self.t.DASHBOARD_EVENT_CANCELLED}.get(done)

    async def post(self, community_id: str) -> None:
        community = await self.open(community_id)
        values = {k: self.get_body_argument(k, "") for k in ("title", "starts", "minutes")}
        try:
            created = await planning.plan_for(self.dash.db, self.user_id, self.dash.admins,
                                              community.id, values["title"], values["starts"],
                                              values["minutes"])
        except planning.EventRejected as exc:
            await self.listing(community, 400, str(exc), values)
            return
        if created is None:
            raise tornado.web.HTTPError(404)
        self.redirect(f"{PREFIX}/c/{community.id}/events?done=created", status=303)


class InviteByEmail(EventsPage):
    """POST /dashboard/c/<id>/invite: members without Telegram, invited by email."""

    async def post(self, community_id: str) -> None:
        community = await self.open(community_id)
        try:
            done = await invitations.invite_for(self.dash.db, self.user_id, self.dash.admins,
                                                community.id, self.get_body_argument("addresses", ""))
        except AdminError as exc:
            await self.listing(community, 400, str(exc)[:1].upper() + str(exc)[1:] + ".")
            return
        if done is None:
            raise tornado.web.HTTPError(404)
        self.redirect(f"{PREFIX}/c/{community.id}/events?done=invited&invited={done.invited}"
                      f"&already={done.already}", status=303)


class MemberLink(EventsPage):
    """POST /dashboard/c/<id>/member-link: a member's personal link made (shown once, on the
    page it answers with, never in an address) or revoked, by their pseudonym."""

    async def post(self, community_id: str) -> None:
        community = await self.open(community_id)
        pseudonym = self.get_body_argument("pseudonym", "").strip().upper()[:32]
        try:
            if self.get_body_argument("action", "") == "revoke":
                count = await web_answers.revoke_for(self.dash.db, self.user_id, self.dash.admins,
                                                     community.id, pseudonym)
                notice = None if count is None else self.t.DASHBOARD_MEMBER_LINKS_REVOKED.format(
                    pseudonym=pseudonym, count=count)
            else:
                made = await web_answers.make_for(self.dash.db, self.user_id, self.dash.admins,
                                                  community.id, pseudonym, self.dash.base)
                notice = None if made is None else self.t.DASHBOARD_MEMBER_LINK.format(
                    pseudonym=pseudonym, link=made.url)
        except AdminError as exc:
            await self.listing(community, 400, str(exc)[:1].upper() + str(exc)[1:] + ".")
            return
        if notice is None:
            raise tornado.web.HTTPError(404)
        await self.listing(community, notice=notice)


class EventChange(EventsPage):
    """POST /dashboard/c/<id>/events/<event id>/(move|cancel)."""

    async def post(self, community_id: str, event_id: str, action: str) -> None:  # type: ignore[override]
        community = await self.open(community_id)
        try:
            changed = await planning.change_for(
                self.dash.db, self.user_id, self.dash.admins, community.id, int(event_id), action,
                self.get_body_argument("starts", ""), self.get_body_argument("minutes", ""))
        except planning.EventRejected as exc:
            await self.listing(community, 400, str(exc))
            return
        if not changed:
            raise tornado.web.HTTPError(404)
        done = "moved" if action == "move" else "cancelled"
        self.redirect(f"{PREFIX}/c/{community.id}/events?done={done}", status=303)


class NotFound(Page):
    """Any other address under /dashboard/."""

    needs_session = False

    def get(self) -> None:
        raise tornado.web.HTTPError(404)
