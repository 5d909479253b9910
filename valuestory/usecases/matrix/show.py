"""The matrix for a period a person typed: /matrix (as text, then as a picture), the command
line's `matrix` and the dashboard's matrix page.

A period that can't be read changes nothing: /matrix gets the usage line, the command line one
line saying what to fix, the page all time and a note.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from flows import i18n, texts
from storage.db import Database
from storage.models import Community
from valuestory.usecases import access, indicators, speaking
from valuestory.usecases.matrix.build import Matrix, build_matrix
from valuestory.usecases.matrix.glossary import CYCLES, INTENDED, STAGES
from valuestory.usecases.matrix.period import PeriodError, parse_period, period_or_all
from valuestory.usecases.matrix.picture import render_png
from valuestory.usecases.matrix.text import render_text
from valuestory.usecases.out import Out


async def show(db: Database, community: Community, arg: str,
               now: dt.datetime | None = None, *, language: str = i18n.BASE_LANGUAGE) -> list[Out]:
    """/matrix [period]: the matrix as text, then as a picture, in the convener's `language`."""
    now = now or dt.datetime.now(dt.UTC)
    t = texts.In(language)
    try:
        period = parse_period(arg, community.timezone, now)
    except PeriodError:
        return [Out(t.MATRIX_USAGE)]
    built = await build_matrix(db, community, period, now)  # off the loop's thread
    png = await asyncio.to_thread(render_png, built, language)
    return [Out(render_text(built, language)),
            Out(t.MATRIX_CAPTION.format(community=speaking.value(language, built.community),
                                        period=speaking.value(language, period.said(language))),
                photo=png)]



async def for_community(db: Database, community_ref: str, period: str,
                        now: dt.datetime) -> Matrix:
    """The matrix of a community given by name or id, for a period as typed (PeriodError if it
    can't be read)."""
    # Here, not above: the conversation reads the matrix's glossary, and communities read the
    # conversation's consent versions.
    from valuestory.usecases.communities.queries import find_community

    async with db.session() as session:
        community = await find_community(session, community_ref)
    chosen = parse_period(period, community.timezone, now)
    return await build_matrix(db, community, chosen, now)


@dataclass(frozen=True)
class Shown:
    """What the dashboard's matrix page shows: the community's value indicators first (all
    time), then its matrix for the period asked (all time, `readable` False, when the period
    typed can't be read), and why its totals may not add up to its event rows."""

    matrix: Matrix
    readable: bool
    indicators: indicators.Board
    # Per stage (a cycle, or `intended`): how many narratives the Total row counts that the
    # event rows do not (answers in the period about events before it), where any.
    unlisted: dict[str, int]
    # Nothing yet at all: no events, no narratives, no indicators.
    empty: bool
    # The most narratives in one event's cell: the darkest shade of the counts.
    peak: int

    def shade(self, n: int) -> int:
        """How dark a cell of `n` narratives is shaded: 0 for none, else 1 to 4."""
        return 0 if n <= 0 or self.peak <= 0 else max(1, min(4, -(-4 * n // self.peak)))


@dataclass(frozen=True)
class Pictured:

    matrix: Matrix
    png: bytes | None


async def for_command_line(db: Database, community_ref: str, period: str, now: dt.datetime, *,
                           picture: bool = False) -> Pictured:
    """`valuestory matrix`: the matrix of a community given by name or id, for a period as typed
    (PeriodError if it can't be read), and its picture for a phone, in the community's language,
    when asked for (the slide is the report's: `report.slide_for_command_line`)."""
    # Here, not above: see `for_community`.
    from valuestory.usecases.communities.queries import find_community

    async with db.session() as session:
        community = await find_community(session, community_ref)
    chosen = parse_period(period, community.timezone, now)
    built = await build_matrix(db, community, chosen, now)
    if not picture:
        return Pictured(built, None)
    return Pictured(built, await asyncio.to_thread(render_png, built, i18n.pick(community.language)))


async def for_page(db: Database, token: str | None, community_id: int, admins: frozenset[int],
                   since: str, now: dt.datetime) -> access.Visit[Shown]:
    """The dashboard's matrix page: who asks, and, if they may see the community, its
    indicators and its matrix for the period typed in the filter."""
    async with db.session() as session:
        signed, view = await access.queries.visiting(session, token, community_id, admins, now)
        if view is None or signed is None:
            return access.Visit(signed, None)
        community = await session.get(Community, view.community.id)
        if community is None:
            return access.Visit(signed, None)
    period, readable = period_or_all(since, community.timezone, now)
    built = await build_matrix(db, community, period, now)
    board = await indicators.board(db, community.id, indicators.Caller(signed.user_id, admins))
    unlisted = {}
    for stage in STAGES:
        listed = sum(row.intended if stage == INTENDED else row.cells[CYCLES.index(stage)]
                     for row in built.events)
        if built.stage(stage).narratives != listed:
            unlisted[stage] = built.stage(stage).narratives - listed
    empty = (not built.events and built.total == 0 and not board.active and not board.retired
             and built.participation.events == 0)
    peak = max((n for row in built.events for n in (*row.cells, row.intended)), default=0)
    return access.Visit(signed, view, Shown(built, readable, board, unlisted, empty, peak))
