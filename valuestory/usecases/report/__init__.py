"""The report a board reads: a community's value over a period, as a PDF or an editable DOCX, in
the community's language.

- `gather`: its data, through the matrix's door (the indicators it leads with included) and the
  stories', all read off the loop's thread;
- `compose`: its words, from the catalogs, for both writers;
- `typeset`: the PDF (Typst, from a fixed template and data) and the DOCX (python-docx);
- here, its doors: `make` (and `slide_for_command_line`) for the command line, `for_page`
  for the dashboard.

Typesetting runs in a worker thread: a report never holds up members' answers.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from dataclasses import dataclass

from flows import i18n
from storage.db import Database
from storage.models import Community
from valuestory.usecases import access, matrix, stories
from valuestory.usecases.matrix.slide import render_slide
from valuestory.usecases.report.compose import Composed, compose
from valuestory.usecases.report.gather import Asking, Indicator, Quote, Report, gather
from valuestory.usecases.report.typeset import docx, pdf


class ReportFormat(enum.StrEnum):
    PDF = "pdf"
    DOCX = "docx"


MEDIA_TYPES = {
    ReportFormat.PDF: "application/pdf",
    ReportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class Made:
    """A typeset report: its bytes, a file name for it and its media type."""

    content: bytes
    file_name: str
    media_type: str
    report: Report


def render(report: Report, fmt: ReportFormat) -> bytes:
    """The report typeset (slow: call it in a worker thread)."""
    words = compose(report)
    picture = render_slide(report.matrix, words.language, report.statements())
    return (pdf(words, picture, report.made_at) if fmt is ReportFormat.PDF
            else docx(words, picture))


async def _made(db: Database, community: Community, since: str, fmt: ReportFormat,
                now: dt.datetime) -> Made:
    report = await gather(db, community, since, now)
    content = await asyncio.to_thread(render, report, fmt)
    name = f"report-{community.id}-{now:%Y%m%d}.{fmt.value}"
    return Made(content, name, MEDIA_TYPES[fmt], report)


async def make(db: Database, community_ref: str, since: str, fmt: str,
               now: dt.datetime) -> Made:
    """`valuestory report`: a community given by name or id, a period as typed (PeriodError if
    it can't be read), pdf or docx."""
    # Here, not above: communities read the conversation, which reads the matrix.
    from valuestory.usecases.communities.queries import find_community

    async with db.session() as session:
        community = await find_community(session, community_ref)
    return await _made(db, community, since, ReportFormat(fmt), now)


async def slide_for_command_line(db: Database, community_ref: str, since: str,
                                 now: dt.datetime) -> matrix.Pictured:
    """`valuestory matrix --png FILE --slide`: the matrix of a community given by name or id for
    a period as typed (PeriodError if it can't be read), and its 16:9 slide with the
    community's indicators, in the community's language."""
    from valuestory.usecases.communities.queries import find_community

    async with db.session() as session:
        community = await find_community(session, community_ref)
    built = await matrix.for_community(db, str(community.id), since, now)
    said = [(i.cycle, i.statement) for i in built.indicators]
    png = await asyncio.to_thread(render_slide, built, i18n.pick(community.language), said)
    return matrix.Pictured(built, png)


@dataclass(frozen=True)
class Choice:
    """The dashboard's Report page: the stories a report would trace now, whether they were
    chosen (featured) or are the furthest-reaching, and whether the period typed was unreadable."""

    stories: tuple[stories.Thread, ...]
    featured: bool
    unreadable: bool = False


async def for_page(db: Database, token: str | None, community_id: int, admins: frozenset[int],
                   since: str, fmt: str, now: dt.datetime) -> access.Visit[Made | Choice]:
    """The dashboard's Report page: who asks and, if they may see the community, the report
    for the period typed when a format was chosen, else (or when the period can't be read) the
    page's form with the stories it would trace."""
    async with db.session() as session:
        signed, view = await access.queries.visiting(session, token, community_id, admins, now)
        if view is None or signed is None:
            return access.Visit(signed, None)
        community = await session.get(Community, view.community.id)
        if community is None:
            return access.Visit(signed, None)
    readable = True
    if fmt:
        try:
            chosen = ReportFormat(fmt)
            matrix.parse_period(since, community.timezone, now)
        except ValueError:  # a format or a period that can't be read (PeriodError is one)
            readable = False
        else:
            return access.Visit(signed, view, await _made(db, community, since, chosen, now))
    found = await stories.for_report(db, community.id, matrix.EPOCH)
    return access.Visit(signed, view, Choice(tuple(found), any(t.featured for t in found),
                                             unreadable=not readable))


__all__ = ["MEDIA_TYPES", "Asking", "Choice", "Composed", "Indicator", "Made", "Quote", "Report",
           "ReportFormat", "compose", "for_page", "gather", "make", "render",
           "slide_for_command_line"]
