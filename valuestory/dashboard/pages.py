"""The dashboard's pages: communities, the matrix, narratives, stories, events and exports.

Each handler reads the request, asks one use case, and renders what it returns. What a person may
see is asked of `access` on every request (see `base.Page.community`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import tornado.web
from sqlalchemy.ext.asyncio import AsyncSession

from flows import texts
from flows.questions import Capital
from storage.db import Work
from storage.models import Community, Event, utcnow
from valuestory.dashboard.base import COOKIE, PREFIX, Page
from valuestory.usecases import access, event_outlook, exports, matrix, narratives, stories
from valuestory.usecases.events import listing, planning

log = logging.getLogger(__name__)

CHUNK = 64 * 1024


def _period(zone: str, text: str, now: dt.datetime) -> tuple[matrix.Period, str | None]:
    """The period typed in a filter (in the community's zone), or all time and what to fix."""
    try:
        return matrix.parse_period(text, zone, now), None
    except matrix.PeriodError:
        return matrix.Period(), texts.DASHBOARD_BAD_PERIOD


class Home(Page):
    """GET /dashboard/: the communities this person may see."""

    async def get(self) -> None:
        async with self.dash.db.session() as session:
            seen = await access.seen(session, self.user_id, self.dash.admins)
            rows = []
            for c in seen:
                found = await access.view(session, self.user_id, c.id, self.dash.admins)
                if found is not None:
                    rows.append((c, found.convenes, found.exports is not None))
        self.render_page("home.html", communities=rows)


class CommunityPage(Page):
    """A page about one community, for someone who may see it now (else 404, as if none)."""

    view: access.View
    signs_in_late = True

    async def open(self, work: Work, community_id: str) -> access.Named:
        """Who is asking and what they may do here, read in the page's own unit of work."""
        signed, found = await access.visit(work, self.get_cookie(COOKIE), int(community_id),
                                           self.dash.admins, utcnow())
        self.admit(signed)
        if found is None:
            raise tornado.web.HTTPError(404)
        self.view = found
        return found.community

    async def open_whole(self, session: AsyncSession, community_id: str) -> Community:
        """`open`, and the community's every setting, for pages that plan or count by them."""
        named = await self.open(session, community_id)
        community = await session.get(Community, named.id)
        if community is None:
            raise tornado.web.HTTPError(404)
        return community

    def show(self, template: str, community: access.Named | Community, **values: Any) -> None:
        self.render_page(template, community=community, convenes=self.view.convenes,
                         exports=self.view.exports is not None, **values)


class MatrixPage(CommunityPage):
    """GET /dashboard/c/<id>/: the Value Creation Matrix, events as rows, cycles as columns."""

    async def get(self, community_id: str) -> None:
        since = self.get_query_argument("since", "").strip()
        now = utcnow()
        async with self.dash.db.session() as session:
            community = await self.open_whole(session, community_id)
        period, problem = _period(community.timezone, since, now)
        async with self.dash.db.long_read() as reading:  # off the loop's thread
            built = await matrix.build_matrix(reading, community, period, now)
        if problem:
            self.set_status(400)
        self.show("matrix.html", community, matrix=built, since=since if not problem else "",
                  typed=since, problem=problem, cycles=matrix.CYCLES)


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


class NarrativesPage(CommunityPage):
    """GET /dashboard/c/<id>/narratives: filtered, 50 a page, newest first."""

    async def get(self, community_id: str) -> None:
        arg = self.get_query_argument
        since = arg("since", "").strip()
        event = arg("event", "")
        after = narratives.Cursor.decode(arg("after", ""))
        # Plain statements, no ORM session: on a page of fifty narratives its machinery costs
        # as much again as the statements themselves (python -m bench.dashboard).
        async with self.dash.db.connection() as conn:
            community = await self.open(conn, community_id)
        period, problem = _period(community.timezone, since, utcnow())
        filt = narratives.NarrativeFilter(
            cycle=_choice(arg("cycle", ""), matrix.STAGES),
            capital=_choice(arg("capital", ""), tuple(Capital)),
            event_id=int(event) if event.isdigit() and len(event) < 12 else None,
            since=period.since, pseudonym=arg("pseudonym", "").strip().upper() or None,
            words=arg("q", "").strip()[:200] or None)
        # Words looked for among a million narratives can take a while: off the loop's thread.
        async with self.dash.db.long_read() as reading:
            found = await narratives.page(reading, community.id, filt, after)
            event_list = await narratives.events_of(reading, community.id)
        kept = {k: v for k, v in (
            ("cycle", filt.cycle), ("capital", filt.capital),
            ("event", str(filt.event_id) if filt.event_id is not None else None),
            ("since", since if not problem else None), ("pseudonym", filt.pseudonym),
            ("q", filt.words)) if v}
        later = (f"?{urlencode({**kept, 'after': found.next.encode()})}"
                 if found.next is not None else None)
        if problem:
            self.set_status(400)
        self.show("narratives.html", community, page=found, filt=filt, since=since,
                  problem=problem, events=event_list, cycles=matrix.STAGES,
                  capitals=tuple(Capital), later=later, first=f"?{urlencode(kept)}",
                  paged=after is not None, stage=stories.stage)


class StoriesPage(CommunityPage):
    """GET /dashboard/c/<id>/stories: stories that reached applied value or beyond."""

    async def get(self, community_id: str) -> None:
        async with self.dash.db.session() as session:
            community = await self.open(session, community_id)
        async with self.dash.db.long_read() as reading:  # a community's stories: off the loop
            found = await stories.reaching_applied(reading, community.id)
        self.show("stories.html", community, stories=found)


class StoryPage(CommunityPage):
    """GET /dashboard/c/<id>/stories/<story id>: one member's thread about one event."""

    async def get(self, community_id: str, story_id: str) -> None:
        async with self.dash.db.session() as session:
            community = await self.open(session, community_id)
            found = await stories.thread(session, community.id, story_id)
        if found is None:
            raise tornado.web.HTTPError(404)
        self.show("story.html", community, story=found)


class ExportPage(CommunityPage):
    """GET shows the export form; POST streams the file and records it in the audit log."""

    async def open_for_export(self, community_id: str) -> tuple[access.Named, access.Scope]:
        async with self.dash.db.connection() as conn:
            community = await self.open(conn, community_id)
        if self.view.exports is None:
            raise tornado.web.HTTPError(404)
        return community, self.view.exports

    async def get(self, community_id: str) -> None:
        community, _ = await self.open_for_export(community_id)
        self.show("export.html", community, values={
            "cycle": _choice(self.get_query_argument("cycle", ""), matrix.CYCLES) or "",
            "since": "", "until": "", "format": "csv"}, problem=None,
            formats=tuple(exports.ExportFormat), cycles=matrix.CYCLES)

    async def post(self, community_id: str) -> None:
        community, scope = await self.open_for_export(community_id)
        arg = self.get_body_argument
        values = {k: arg(k, "").strip() for k in ("format", "cycle", "since", "until")}
        try:
            fmt = exports.parse_format(values["format"])
            filt = exports.ExportFilter(
                community_ids=frozenset({community.id}),
                since=exports.parse_date(values["since"]) if values["since"] else None,
                until=exports.parse_date(values["until"]) if values["until"] else None,
                cycle=exports.parse_cycle(values["cycle"]) if values["cycle"] else None)
            if filt.since and filt.until and filt.until < filt.since:
                raise exports.ExportError(texts.DASHBOARD_UNTIL_BEFORE_SINCE)
        except exports.ExportError as exc:
            self.set_status(400)
            self.show("export.html", community, values=values, problem=str(exc),
                      formats=tuple(exports.ExportFormat), cycles=matrix.CYCLES)
            return
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"narratives{exports.SUFFIX[fmt]}"
            result = await exports.export(self.dash.db, scope.actor, fmt, path, filt, offload=True)
            log.info("dashboard export: %s, %d rows", fmt.value, result.rows)
            self.set_header("Content-Type", CONTENT_TYPES[fmt])
            self.set_header("Content-Disposition",
                            f'attachment; filename="{_file_name(community, fmt)}"')
            self.set_header("Content-Length", str(path.stat().st_size))
            with path.open("rb") as handle:
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

    async def listing(self, community: Community, status: int = 200, problem: str | None = None,
                      values: dict[str, str] | None = None, notice: str | None = None) -> None:
        now = utcnow()
        async with self.dash.db.session() as session:
            upcoming, past, rates = await listing.for_dashboard(session, community, now)
        unasked = await event_outlook.unasked(
            self.dash.db, community.id, [e for e in past if e.id not in rates], now)
        self.set_status(status)
        self.show("events.html", community, upcoming=upcoming, past=past, rates=rates,
                  unasked=unasked,
                  problem=problem, notice=notice,
                  values=values or {"title": "", "starts": "", "minutes": "60"})

    async def open_convened(self, community_id: str) -> Community:
        async with self.dash.db.session() as session:
            community = await self.open_whole(session, community_id)
        if not self.view.convenes:
            raise tornado.web.HTTPError(404)
        return community

    async def get(self, community_id: str) -> None:
        community = await self.open_convened(community_id)
        await self.listing(community, notice=self.notice())

    def notice(self) -> str | None:
        return {"created": texts.DASHBOARD_EVENT_CREATED, "moved": texts.DASHBOARD_EVENT_MOVED,
                "cancelled": texts.DASHBOARD_EVENT_CANCELLED}.get(self.get_query_argument("done", ""))

    async def post(self, community_id: str) -> None:
        community = await self.open_convened(community_id)
        values = {k: self.get_body_argument(k, "") for k in ("title", "starts", "minutes")}
        try:
            async with self.dash.db.session() as session:
                await planning.plan_event(session, community, values["title"], values["starts"],
                                          values["minutes"])
        except planning.EventRejected as exc:
            await self.listing(community, 400, str(exc), values)
            return
        self.redirect(f"{PREFIX}/c/{community.id}/events?done=created", status=303)


class EventChange(EventsPage):
    """POST /dashboard/c/<id>/events/<event id>/(move|cancel)."""

    async def post(self, community_id: str, event_id: str, action: str) -> None:  # type: ignore[override]
        community = await self.open_convened(community_id)
        try:
            async with self.dash.db.session() as session:
                event = await session.get(Event, int(event_id))
                if event is None or event.community_id != community.id:
                    raise tornado.web.HTTPError(404)
                if action == "move":
                    await planning.move_event(session, event, community,
                                              self.get_body_argument("starts", ""),
                                              self.get_body_argument("minutes", ""))
                else:
                    await planning.cancel_upcoming(session, event, utcnow())
        except planning.EventRejected as exc:
            await self.listing(community, 400, str(exc))
            return
        done = "moved" if action == "move" else "cancelled"
        self.redirect(f"{PREFIX}/c/{community.id}/events?done={done}", status=303)


class NotFound(Page):
    """Any other address under /dashboard/."""

    needs_session = False

    def get(self) -> None:
        raise tornado.web.HTTPError(404)
