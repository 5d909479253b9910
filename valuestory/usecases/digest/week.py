"""What changed in a community's week, as the digest says it: the narratives told in the seven
days before it (plans apart, never counted as applied value), the indicators added or given new
evidence, the plans whose follow-up falls due in the coming week, what members said when the
indicators were checked with them, and one suggested next step.

Counts mean what the matrix's glossary says; an indicator's evidence is counted from its links.
The week is the seven days before the digest is made, whenever it is sent (a preview, a digest
sent again "in case", a digest on time): the same days it was about.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flows import texts
from storage.db import Database
from storage.models import Community
from valuestory.usecases import indicators, speaking
from valuestory.usecases.digest import queries
from valuestory.usecases.matrix.glossary import INTENDED, STAGES
from valuestory.usecases.times import short_date

WEEK = dt.timedelta(days=7)
SHOWN = 5  # indicators listed under each heading, at most


@dataclass(frozen=True)
class Statement:
    cycle: str
    statement: str
    count: int = 0  # links added this week, for one newly backed


@dataclass(frozen=True)
class Checked:
    statement: str
    asked: int
    agreed: int
    disagreed: int


@dataclass(frozen=True)
class Week:
    community: str
    timezone: str
    since: dt.datetime
    until: dt.datetime
    new: dict[str, int]  # narratives by stage (a cycle, or 'intended' for plans)
    members: int  # members who told them
    created: tuple[Statement, ...]
    backed: tuple[Statement, ...]
    plans_due: int
    checked: tuple[Checked, ...]
    indicators: int  # the community's indicators in use
    upcoming: int  # events still to come

    @property
    def narratives(self) -> int:
        return sum(self.new.values())

    @property
    def step(self) -> str:
        """The one next step suggested, as a text's name: the first that applies."""
        if not self.upcoming:
            return "DIGEST_STEP_EVENT"
        if not self.indicators:
            return "DIGEST_STEP_INDICATORS"
        if self.narratives and not self.backed and not self.created:
            return "DIGEST_STEP_LINK"
        if not self.checked:
            return "DIGEST_STEP_CHECK"
        return "DIGEST_STEP_REPORT"


async def read(db: Database, community: Community, now: dt.datetime) -> Week:
    """The community's week before `now`."""
    since = now - WEEK
    cid = community.id
    applied = dt.timedelta(days=community.followup_applied_days)
    async with db.long_read() as reading:  # a big community's week: off the loop's thread
        new = {stage: int(n) for stage, n, _ in await reading.execute(
            queries.new_by_stage(cid, since, now))}
        members = int(await reading.scalar(queries.new_members(cid, since, now)) or 0)
        created_ids = set((await reading.scalars(queries.indicators_created(cid, since))).all())
        added = {iid: int(n) for iid, n in await reading.execute(
            queries.evidence_added(cid, since))}
        # Due now or in the coming week, and not yet past its window: ended in that span.
        due = int(await reading.scalar(queries.plans_due(
            cid, now - applied - dt.timedelta(days=community.window_days),
            now + WEEK - applied)) or 0)
        upcoming = int(await reading.scalar(queries.upcoming_events(cid, now)) or 0)
    listed = await indicators.listing(db, cid, indicators.COMMAND_LINE)
    return Week(
        community=community.name, timezone=community.timezone, since=since, until=now,
        new=new, members=members,
        created=tuple(Statement(v.cycle, v.statement) for v in listed if v.id in created_ids),
        backed=tuple(Statement(v.cycle, v.statement, added[v.id]) for v in listed
                     if v.id in added and v.id not in created_ids),
        plans_due=due,
        checked=tuple(Checked(v.statement, v.check.asked, v.check.agreed, v.check.disagreed)
                      for v in listed if v.check.asked),
        indicators=len(listed), upcoming=upcoming)


def render(week: Week, language: str) -> str:
    """The week as Telegram HTML in `language`; a person's words escaped and isolated."""
    t = texts.In(language)

    def e(value: str) -> str:
        return speaking.value(language, value)

    zone = ZoneInfo(week.timezone)
    lines = [t.DIGEST_INTRO,
             t.DIGEST_WEEK.format(community=e(week.community),
                                  start=short_date(week.since.astimezone(zone).date(), language),
                                  end=short_date(week.until.astimezone(zone).date(), language)),
             ""]
    if week.narratives:
        lines.append(t.DIGEST_NEW.format(narratives=t.plural(week.narratives, "narrative"),
                                         members=t.plural(week.members, "member")))
        for stage in STAGES:
            if week.new.get(stage):
                name = t.MATRIX_PLANS if stage == INTENDED else t.CYCLE_NAMES[stage]
                lines.append(t.DIGEST_NEW_STAGE.format(stage=html.escape(name),
                                                       count=week.new[stage]))
    else:
        lines.append(t.DIGEST_NEW_NONE)
    lines.append("")
    lines.append(t.DIGEST_INDICATORS)
    for s in week.created[:SHOWN]:
        lines.append(t.DIGEST_INDICATOR_NEW.format(statement=e(s.statement),
                                                   cycle=html.escape(t.CYCLE_NAMES[s.cycle])))
    for s in week.backed[:SHOWN]:
        lines.append(t.DIGEST_INDICATOR_BACKED.format(
            statement=e(s.statement), narratives=t.plural(s.count, "narrative")))
    if not week.created and not week.backed:
        lines.append(t.DIGEST_INDICATORS_NONE)
    lines.append("")
    lines.append(t.DIGEST_PLANS_DUE(week.plans_due) if week.plans_due
                 else t.DIGEST_PLANS_DUE_NONE)
    lines.append("")
    if week.checked:
        lines.append(t.DIGEST_CHECK)
        for c in week.checked[:SHOWN]:
            lines.append(t.DIGEST_CHECK_LINE.format(statement=e(c.statement), asked=c.asked,
                                                    agreed=c.agreed, disagreed=c.disagreed))
    else:
        lines.append(t.DIGEST_CHECK_NONE)
    lines.append("")
    lines.append(t.DIGEST_NEXT.format(step=getattr(t, week.step)))
    return "\n".join(lines)
