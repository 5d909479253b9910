"""The Value Creation Matrix: what a community's narratives show, cycle by cycle, for a period.

Built from a handful of index-only aggregate queries (see the covering indexes on narratives and
prompts), so it stays cheap on a community with tens of thousands of narratives.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Executable,
    Integer,
    and_,
    bindparam,
    distinct,
    func,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from flows import texts
from flows.engine import trim
from flows.questions import ValueCycle
from storage.db import Database
from storage.models import (
    Community,
    Event,
    MatrixCell,
    MatrixCommunity,
    MatrixFollowup,
    MatrixMember,
    MatrixPrompts,
    Member,
    Membership,
    Narrative,
    Prompt,
    PromptStatus,
    SchedulerState,
    UTCDateTime,
)
from valuestory.usecases.out import Out, plain
from valuestory.usecases.times import local_time

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CYCLES: tuple[str, ...] = tuple(c.value for c in ValueCycle)
# Cycles a member can only report in a follow-up, weeks after the event: a story that reaches
# one of them spans several cycles of the framework.
FOLLOWUP_CYCLES: tuple[str, ...] = (ValueCycle.REALISED.value, ValueCycle.REFRAMING.value)
EXCERPTS_PER_CYCLE = 3
EXCERPT_CHARS = 160
STORIES_SHOWN = 3
ANSWERED = (PromptStatus.COMPLETED.value, PromptStatus.STOPPED.value)
SENT = (PromptStatus.OPEN.value, *ANSWERED, PromptStatus.NOT_ATTENDED.value,
        PromptStatus.CLOSED.value)


class PeriodError(ValueError):
    """A period a person typed that we can't read."""


@dataclass(frozen=True)
class Period:
    """The stretch of time a matrix covers: everything since `since`, or all time."""

    since: dt.datetime | None = None
    label: str = "all time"


def parse_period(text: str, zone: str, now: dt.datetime) -> Period:
    """'' or 'all' (all time), '30d', '8w', 'since 2026-09-01' (midnight in the community's zone)."""
    words = " ".join(text.lower().split())
    if words in ("", "all", "all time"):
        return Period()
    m = re.fullmatch(r"(\d{1,4})\s*([dw])", words)
    if m:
        days = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
        if days == 0:
            raise PeriodError(text)
        unit = "week" if m.group(2) == "w" else "day"
        n = int(m.group(1))
        return Period(now - dt.timedelta(days=days), f"the last {n} {unit}{'s' if n != 1 else ''}")
    m = re.fullmatch(r"(?:since\s+)?(\d{4}-\d{2}-\d{2})", words)
    if m:
        try:
            day = dt.date.fromisoformat(m.group(1))
        except ValueError:
            raise PeriodError(text) from None
        since = dt.datetime.combine(day, dt.time(), ZoneInfo(zone)).astimezone(dt.UTC)
        return Period(since, f"since {day:%-d %b %Y}")
    raise PeriodError(text)


@dataclass(frozen=True)
class Excerpt:
    pseudonym: str
    text: str
    answered_at: dt.datetime


@dataclass(frozen=True)
class Column:
    """One cycle of the matrix."""

    cycle: str
    narratives: int
    members: int
    new: int
    excerpts: tuple[Excerpt, ...]


@dataclass(frozen=True)
class Story:
    """One member's story that reached a follow-up cycle, with every cycle it touched."""

    pseudonym: str
    event: str
    cycles: tuple[str, ...]


@dataclass(frozen=True)
class Participation:
    events: int
    sent: int
    attended: int
    answered: int
    unreachable: int

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None


@dataclass(frozen=True)
class Matrix:
    community: str
    timezone: str
    period: Period
    generated_at: dt.datetime
    last_digest_at: dt.datetime | None
    columns: tuple[Column, ...]
    stories_count: int
    stories: tuple[Story, ...]
    participation: Participation
    contributors: int = 0

    @property
    def gaps(self) -> tuple[str, ...]:
        return tuple(c.cycle for c in self.columns if c.narratives == 0)

    @property
    def total(self) -> int:
        return sum(c.narratives for c in self.columns)


def digest_key(community_id: int) -> str:
    return f"digest_sent:{community_id}"


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class _Statements:
    cells: Executable
    figures: Executable
    new: Executable
    excerpts: Executable
    stories: Executable


def _build_statements(all_time: bool) -> _Statements:
    """The matrix's five statements, built once with bound parameters and reused."""
    cid = bindparam("cid", type_=Integer)
    since = bindparam("since", type_=UTCDateTime())
    now = bindparam("now", type_=UTCDateTime())
    in_period = (Narrative.community_id == cid, Narrative.answered_at >= since)
    last = func.max(Narrative.answered_at)
    if all_time:
        cells = (select(MatrixCell.cycle, func.sum(MatrixCell.narratives), func.count())
                 .where(MatrixCell.community_id == cid).group_by(MatrixCell.cycle))
        contributors = select(func.count()).select_from(MatrixMember).where(
            MatrixMember.community_id == cid)
        stories = select(MatrixCommunity.stories).where(MatrixCommunity.community_id == cid)
        recent = (select(MatrixFollowup.story_id, MatrixFollowup.last_at)
                  .where(MatrixFollowup.community_id == cid)
                  .order_by(MatrixFollowup.last_at.desc()).limit(STORIES_SHOWN))
        sent_rows = (MatrixPrompts.community_id == cid, MatrixPrompts.status.in_(SENT))
        total = func.coalesce(func.sum(MatrixPrompts.prompts), 0)
        participation = (select(total).where(*sent_rows, MatrixPrompts.opened == 1),
                         select(total).where(*sent_rows, MatrixPrompts.attended == 1),
                         select(total).where(*sent_rows, MatrixPrompts.status.in_(ANSWERED)))
    else:
        cells = (select(Narrative.cycle, func.count(), func.count(distinct(Narrative.member_id)))
                 .where(*in_period).group_by(Narrative.cycle))
        contributors = select(func.count(distinct(Narrative.member_id))).where(*in_period)
        followups = select(Narrative.story_id).where(
            *in_period, Narrative.cycle.in_(FOLLOWUP_CYCLES)).distinct().subquery()
        stories = select(func.count()).select_from(followups)
        recent = (select(Narrative.story_id, last.label("last_at"))
                  .where(*in_period, Narrative.cycle.in_(FOLLOWUP_CYCLES))
                  .group_by(Narrative.story_id).order_by(last.desc()).limit(STORIES_SHOWN))
        rows = (Prompt.community_id == cid, Prompt.status.in_(SENT), Prompt.opened_at >= since)
        participation = (select(func.count(Prompt.opened_at)).where(*rows),
                         select(func.count()).where(*rows, Prompt.attended.is_(True)),
                         select(func.count()).where(*rows, Prompt.status.in_(ANSWERED)))
    events = select(func.count()).select_from(Event).where(
        Event.community_id == cid, Event.cancelled_at.is_(None), Event.starts_at <= now,
        Event.starts_at >= since)
    unreachable = (
        select(func.count()).select_from(Membership).join(Member, Member.id == Membership.member_id)
        .where(Membership.community_id == cid, Member.unreachable_at.is_not(None)))
    digest = select(SchedulerState.at).where(SchedulerState.key == bindparam("digest_key"))
    figures = select(*(q.scalar_subquery() for q in (
        contributors, stories, events, unreachable, digest, *participation)))
    new = (select(Narrative.cycle, func.count())
           .where(Narrative.community_id == cid, Narrative.cycle.in_(CYCLES),
                  Narrative.answered_at > bindparam("after", type_=UTCDateTime()))
           .group_by(Narrative.cycle))
    # Newest few per cycle, each read backwards off (community, cycle, answered_at, id); the
    # pseudonyms are joined once, outside, which keeps PostgreSQL's planning cheap.
    newest = union_all(*(select(
        select(Narrative.cycle, Narrative.text, Narrative.answered_at, Narrative.id,
               Narrative.member_id)
        .where(*in_period, Narrative.cycle == cycle)
        .order_by(Narrative.answered_at.desc(), Narrative.id.desc())
        .limit(EXCERPTS_PER_CYCLE).subquery())
        for cycle in CYCLES)).subquery()
    excerpts = (
        select(newest.c.cycle, newest.c.text, newest.c.answered_at, newest.c.id,
               Membership.pseudonym)
        .join(Membership, and_(Membership.member_id == newest.c.member_id,
                               Membership.community_id == cid)))
    recent_q = recent.subquery()
    story_rows = (
        select(recent_q.c.story_id, recent_q.c.last_at, Narrative.cycle, Membership.pseudonym,
               Event.title)
        .join(Narrative, Narrative.story_id == recent_q.c.story_id)
        .join(Membership, and_(Membership.member_id == Narrative.member_id,
                               Membership.community_id == Narrative.community_id))
        .join(Event, Event.id == Narrative.event_id)
        .where(Narrative.community_id == cid))
    return _Statements(cells, figures, new, excerpts, story_rows)


@functools.cache
def _statements(all_time: bool) -> _Statements:
    return _build_statements(all_time)


async def build_matrix(
    session: AsyncSession, community: Community, period: Period | None = None,
    now: dt.datetime | None = None,
) -> Matrix:
    """The community's Value Creation Matrix for a period, read from the database.

    All time reads the trigger-kept tallies (a few hundred rows); a period reads the
    narratives through covering indexes.
    """
    period = period or Period()
    now = now or dt.datetime.now(dt.UTC)
    q = _statements(period.since is None)
    params: dict[str, Any] = {"cid": community.id, "since": period.since or EPOCH, "now": now,
                              "digest_key": digest_key(community.id)}
    # Core execution: the ORM layer adds nothing for plain rows, and this runs on every /matrix.
    conn = await session.connection()

    counts = {c: 0 for c in CYCLES}
    members = {c: 0 for c in CYCLES}
    for cycle, n, who in await conn.execute(q.cells, params):
        counts[cycle], members[cycle] = int(n), int(who)

    row = (await conn.execute(q.figures, params)).one()
    contributors, stories_count, events, unreachable = (int(x or 0) for x in row[:4])
    last_digest = _aware(row[4])
    participation = Participation(events, int(row[5] or 0), int(row[6] or 0), int(row[7] or 0),
                                  unreachable)

    new = dict(counts)
    if last_digest is not None:
        new = {c: 0 for c in CYCLES}
        after = max(last_digest, period.since or EPOCH)
        for cycle, n in await conn.execute(q.new, {**params, "after": after}):
            new[cycle] = int(n)

    excerpts: dict[str, list[tuple[dt.datetime, int, Excerpt]]] = {}
    if any(counts.values()):
        for cycle, text, at, nid, pseudonym in await conn.execute(q.excerpts, params):
            when = _aware(at)
            assert when is not None
            excerpts.setdefault(cycle, []).append(
                (when, nid, Excerpt(pseudonym, trim(text, EXCERPT_CHARS), when)))

    stories: tuple[Story, ...] = ()
    if stories_count:
        found: dict[str, tuple[dt.datetime, str, str, set[str]]] = {}
        for story_id, last_at, cycle, pseudonym, title in await conn.execute(q.stories, params):
            found.setdefault(story_id, (_aware(last_at) or EPOCH, pseudonym, title, set()))[3].add(
                cycle)
        stories = tuple(Story(p, t, tuple(c for c in CYCLES if c in cs))
                        for _, p, t, cs in sorted(found.values(), key=lambda v: v[0], reverse=True))

    columns = tuple(
        Column(c, counts[c], members[c], new[c], tuple(
            x for _, _, x in sorted(excerpts.get(c, []), key=lambda t: (t[0], t[1]), reverse=True)))
        for c in CYCLES
    )
    return Matrix(
        community=community.name, timezone=community.timezone, period=period, generated_at=now,
        last_digest_at=last_digest, columns=columns, stories_count=stories_count, stories=stories,
        participation=participation, contributors=contributors,
    )


def _aware(value: object) -> dt.datetime | None:
    # A scalar subquery's column carries no type, so SQLite hands back text.
    if value is None:
        return None
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)


async def show(db: Database, community: Community, arg: str,
               now: dt.datetime | None = None) -> list[Out]:
    """/matrix [period]: the matrix as text, then as a picture."""
    import asyncio

    now = now or dt.datetime.now(dt.UTC)
    try:
        period = parse_period(arg, community.timezone, now)
    except PeriodError:
        return [Out(texts.MATRIX_USAGE)]
    async with db.session() as session:
        built = await build_matrix(session, community, period, now)
    png = await asyncio.to_thread(render_png, built)
    return [Out(render_text(built)),
            Out(texts.MATRIX_CAPTION.format(community=html.escape(built.community),
                                            period=html.escape(period.label)), photo=png)]


# --- Rendering ------------------------------------------------------------------------------


plural = texts.plural


def _rate(p: Participation) -> str:
    rate = p.response_rate
    return texts.RATE_NONE if rate is None else f"{rate:.0%}"


def render_text(matrix: Matrix) -> str:
    """The matrix as Telegram HTML; everything from a person is escaped."""
    e = html.escape
    lines = [texts.MATRIX_TITLE.format(community=e(matrix.community), period=e(matrix.period.label)),
             texts.MATRIX_SUMMARY.format(total=plural(matrix.total, "story"),
                                             members=plural(matrix.contributors, "member"))]
    if matrix.last_digest_at is not None:
        lines.append(texts.MATRIX_SINCE_DIGEST.format(
            when=e(local_time(matrix.last_digest_at, matrix.timezone))))
    for col in matrix.columns:
        lines.append("")
        name = e(texts.CYCLE_NAMES[col.cycle])
        if col.narratives == 0:
            lines.append(texts.MATRIX_GAP.format(cycle=name, ask=texts.MATRIX_GAP_ASK[col.cycle]))
            continue
        lines.append(texts.MATRIX_COLUMN.format(
            cycle=name, narratives=col.narratives, members=plural(col.members, "member"),
            new=col.new))
        for x in col.excerpts:
            lines.append(texts.MATRIX_EXCERPT.format(text=e(x.text), pseudonym=e(x.pseudonym)))
    lines.append("")
    lines.append(texts.MATRIX_STORIES.format(count=plural(matrix.stories_count, "story")))
    for s in matrix.stories:
        chain = " → ".join(texts.CYCLE_SHORT[c] for c in s.cycles)
        lines.append(texts.MATRIX_STORY.format(pseudonym=e(s.pseudonym), event=e(s.event),
                                               chain=e(chain)))
    p = matrix.participation
    lines.append("")
    lines.append(texts.MATRIX_PARTICIPATION.format(
        events=plural(p.events, "event"), sent=p.sent, attended=p.attended, answered=p.answered,
        rate=_rate(p), unreachable=p.unreachable))
    return "\n".join(lines)


def render_terminal(matrix: Matrix, width: int = 100) -> str:
    """The matrix as plain text for a terminal."""
    out: list[str] = []
    for line in render_text(matrix).split("\n"):
        flat = plain(line)
        out.extend(textwrap.wrap(flat, width, subsequent_indent="    ") or [""])
    return "\n".join(out)


def render_png(matrix: Matrix) -> bytes:
    """The matrix as a portrait picture readable on a phone: counts per cycle and excerpts."""
    import io

    buffer = io.BytesIO()
    picture(matrix).savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def picture(matrix: Matrix) -> Figure:
    """The matrix's picture before it is drawn, so its words can be read back."""
    # The object API, not pyplot: no global state, so it is safe in a worker thread.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [texts.CYCLE_SHORT[c.cycle].capitalize() for c in matrix.columns]
    counts = [c.narratives for c in matrix.columns]
    fig = Figure(figsize=(6, 9), dpi=150)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=[1, 1.6], hspace=0.1)
    ax = fig.add_subplot(grid[0])
    colours = ["#d9d9d9" if n == 0 else "#2a7ab0" for n in counts]
    bars = ax.barh(names[::-1], counts[::-1], color=colours[::-1])
    top = max(counts) if any(counts) else 1
    for bar, col in zip(bars, matrix.columns[::-1], strict=True):
        label = (f"{plural(col.narratives, 'story')} · {plural(col.members, 'member')} · "
                 + texts.MATRIX_PNG_NEW.format(new=col.new)
                 if col.narratives else texts.MATRIX_PNG_NO_EVIDENCE)
        ax.text(bar.get_width() + top * 0.02, bar.get_y() + bar.get_height() / 2, label,
                va="center", fontsize=9)
    ax.set_xlim(0, top * 1.6)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", labelsize=11)
    ax.set_title(f"{matrix.community}\nValue Creation Matrix, {matrix.period.label}",
                 fontsize=12, loc="left", parse_math=False)
    notes = fig.add_subplot(grid[1])
    notes.axis("off")
    y = 1.0
    for col in matrix.columns:
        name = texts.CYCLE_NAMES[col.cycle]
        notes.text(0, y, name, fontsize=10, fontweight="bold", va="top")
        y -= 0.05
        if not col.excerpts:
            gap = textwrap.fill(texts.MATRIX_PNG_GAP.format(ask=texts.MATRIX_GAP_ASK[col.cycle]), 64)
            notes.text(0.02, y, gap, fontsize=9, va="top", style="italic")
            y -= 0.05 * (gap.count("\n") + 1) + 0.03
            continue
        x = col.excerpts[0]
        quoted = textwrap.fill(f"“{trim(x.text, 110)}” ({x.pseudonym})", 64)
        notes.text(0.02, y, quoted, fontsize=9, va="top", parse_math=False)
        y -= 0.05 * (quoted.count("\n") + 1) + 0.03
    p = matrix.participation
    notes.text(0, max(y, 0.0) - 0.02,
               texts.MATRIX_PNG_PARTICIPATION.format(
                   events=plural(p.events, "event"), sent=p.sent, answered=p.answered,
                   rate=_rate(p)),
               fontsize=9, va="top", color="#555555")
    return fig
