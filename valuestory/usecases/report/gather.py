"""What a report holds, each part read through its feature's door: the matrix for the period
(participation, the cycles' evidence, the plans pipeline), the community's value indicators
with their members' check, and the stories it traces.

Every number is the matrix's (`matrix.glossary`) or derived from an indicator's evidence links;
nothing here counts anew. Pseudonyms only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.db import Database
from storage.models import Community
from valuestory.usecases import indicators, matrix, stories
from valuestory.usecases.matrix import Matrix, Period
from valuestory.usecases.matrix.build import EPOCH


@dataclass(frozen=True)
class Quote:
    text: str
    pseudonym: str


@dataclass(frozen=True)
class Indicator:
    """One value indicator as a report shows it: its statement, the evidence behind it (derived
    from its links) and what members said when it was checked with them."""

    cycle: str
    capital: str | None
    statement: str
    narratives: int
    stories: int
    members: int
    quotes: tuple[Quote, ...] = ()
    asked: int = 0
    agreed: int = 0
    disagreed: int = 0


@dataclass(frozen=True)
class Asking:
    """When members are asked (the community's settings), as the method note says it."""

    prompt_delay_minutes: int = 120
    window_days: int = 7
    followup_applied_days: int = 42
    followup_reframing_days: int = 91


@dataclass(frozen=True)
class Report:
    community: str
    language: str
    made_at: dt.datetime
    matrix: Matrix
    indicators: tuple[Indicator, ...]
    stories: tuple[stories.Thread, ...]
    featured: bool  # the stories were chosen, not the furthest-reaching
    asking: Asking = Asking()

    @property
    def period(self) -> Period:
        return self.matrix.period

    @property
    def timezone(self) -> str:
        return self.matrix.timezone

    def statements(self) -> list[tuple[str, str]]:
        """(cycle, statement) of each indicator, in order: what the slide shows."""
        return [(i.cycle, i.statement) for i in self.indicators]


def _indicator(view: indicators.IndicatorView) -> Indicator:
    return Indicator(view.cycle, view.capital, view.statement, view.narratives, view.stories,
                     view.members, tuple(Quote(q.text, q.pseudonym) for q in view.quotes),
                     view.check.asked, view.check.agreed, view.check.disagreed)


async def gather(db: Database, community: Community, since: str, now: dt.datetime) -> Report:
    """The report's data for a period as typed (PeriodError if it can't be read), each part
    through its feature's door, all read off the loop's thread (`Database.long_read`): the
    matrix with the indicators it leads with (read in its own unit of work, as /matrix shows
    them), and the stories. The caller has checked who may read it."""
    built = await matrix.for_community(db, str(community.id), since, now)
    found = await stories.for_report(db, community.id, built.period.since or EPOCH)
    return Report(
        community=community.name, language=community.language, made_at=now, matrix=built,
        indicators=tuple(_indicator(v) for v in built.indicators), stories=tuple(found),
        featured=any(t.featured for t in found),
        asking=Asking(community.prompt_delay_minutes, community.window_days,
                      community.followup_applied_days, community.followup_reframing_days))
