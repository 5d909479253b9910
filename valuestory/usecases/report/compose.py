"""A report's words, in the community's language, as plain data both writers lay out: the PDF's
typesetter and the DOCX writer read the same sections, so they never say different things.

Every text comes from `flows.texts` through the catalogs; every number from the report's data.
A person's words (statements, answers, titles, pseudonyms) are plain strings here, each isolated
(FSI ... PDI) so a sentence in one direction keeps its order around words in the other: each
writer sets them as text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flows import i18n, texts
from flows.i18n import isolate
from valuestory.usecases.matrix.glossary import CYCLES
from valuestory.usecases.matrix.text import rate
from valuestory.usecases.report.gather import Report
from valuestory.usecases.times import local_date, short_date

QUOTE_CHARS = 240
NON_BREAKING_HYPHEN = "\u2011"


@dataclass(frozen=True)
class Statement:
    text: str
    capital: str  # '' when the indicator names no capital
    evidence: str
    check: str
    quotes: tuple[str, ...]


@dataclass(frozen=True)
class Cycle:
    name: str
    evidence: str
    statements: tuple[Statement, ...]
    empty: str  # said when it has no statement


@dataclass(frozen=True)
class Step:
    stage: str
    text: str
    when: str


@dataclass(frozen=True)
class Story:
    heading: str
    when: str
    path: str  # the stages it went through, "Immediate value → ... → Realised value"
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Composed:
    language: str
    direction: str
    title: str
    community: str
    period: str
    made: str
    pseudonyms: str
    participation_heading: str
    participation: tuple[tuple[str, str], ...]
    matrix_heading: str
    matrix_intro: str
    cycles: tuple[Cycle, ...]
    no_indicators: str  # said under the matrix when no cycle has a statement; else ''
    plans_heading: str
    plans: tuple[tuple[str, str], ...]
    plans_apart: str
    stories_heading: str
    stories_note: str
    stories: tuple[Story, ...]
    picture_heading: str
    method_heading: str
    method: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        import dataclasses

        return dataclasses.asdict(self)


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= QUOTE_CHARS else flat[:QUOTE_CHARS - 1].rstrip() + "…"


def _kept(count: str) -> str:
    """A count and its noun kept on one line (seen in the matrix's narrow columns: "5" at the
    end of one line, "members" on the next)."""
    return count.replace(" ", "\u00a0")


def _unbroken(pseudonym: str) -> str:
    """A pseudonym kept on one line: its hyphen a non-breaking one (seen in the DOCX's narrow
    columns: "(P-" at the end of one line, "7K2Q)" on the next). Only the report sets it so;
    the pseudonym itself, in exports and on the dashboard, keeps its plain hyphen."""
    return pseudonym.replace("-", NON_BREAKING_HYPHEN)


def compose(report: Report) -> Composed:
    """The report's sections in its community's language."""
    language = i18n.pick(report.language)
    t = texts.In(language)
    m = report.matrix
    zone = m.timezone
    p = m.participation
    participation = (
        (t.REPORT_EVENTS, str(p.events)), (t.REPORT_ASKED, str(p.sent)),
        (t.REPORT_ATTENDED, str(p.attended)), (t.REPORT_ANSWERED, str(p.answered)),
        (t.REPORT_COMPLETED, str(p.completed)), (t.REPORT_RESPONSE_RATE, rate(p, language)))
    cycles = []
    for cycle in CYCLES:
        col = m.stage(cycle)
        said = tuple(Statement(
            text=isolate(i.statement),
            capital=str(t.CAPITALS.get(i.capital, i.capital)).capitalize() if i.capital else "",
            evidence=t.REPORT_INDICATOR_EVIDENCE.format(
                narratives=_kept(t.plural(i.narratives, "narrative")),
                stories=_kept(t.plural(i.stories, "story")),
                members=_kept(t.plural(i.members, "member"))),
            check=(t.REPORT_INDICATOR_CHECK.format(asked=i.asked, agreed=i.agreed,
                                                   disagreed=i.disagreed)
                   if i.asked else t.REPORT_INDICATOR_UNCHECKED),
            quotes=tuple(f"“{isolate(_quote(q.text))}” ({isolate(_unbroken(q.pseudonym))})"
                         for q in i.quotes))
            for i in report.indicators if i.cycle == cycle)
        cycles.append(Cycle(
            name=t.CYCLE_NAMES[cycle],
            evidence=t.REPORT_CYCLE_EVIDENCE.format(
                narratives=t.plural(col.narratives, "narrative"),
                members=t.plural(col.members, "member")),
            statements=said, empty=t.REPORT_NO_INDICATORS))
    plans = m.plans
    told = []
    for thread in report.stories:
        told.append(Story(
            heading=t.REPORT_STORY.format(pseudonym=isolate(_unbroken(thread.pseudonym)),
                                          event=isolate(thread.event)),
            when=local_date(thread.event_starts_at, zone, language),
            # The arrow points the way the line reads (seen in Arabic: "→" ran against it).
            path=(" ← " if t.direction == "rtl" else " → ").join(
                t.STORY_STAGES[s] for s in thread.stages),
            steps=tuple(Step(t.STORY_STAGES[s.stage], f"“{isolate(_quote(s.answer))}”",
                             local_date(s.answered_at, zone, language))
                        for s in thread.steps)))
    s = report.asking
    return Composed(
        language=language, direction=t.direction, title=t.REPORT_TITLE,
        community=report.community,
        period=t.REPORT_PERIOD.format(period=report.period.said(language)),
        made=t.REPORT_MADE.format(date=short_date(
            report.made_at.astimezone(_zone(zone)).date(), language)),
        pseudonyms=t.REPORT_PSEUDONYMS,
        participation_heading=t.REPORT_PARTICIPATION, participation=participation,
        matrix_heading=t.REPORT_MATRIX, matrix_intro=t.REPORT_MATRIX_INTRO,
        cycles=tuple(cycles),
        no_indicators="" if report.indicators else t.REPORT_NO_INDICATORS_AT_ALL,
        plans_heading=t.REPORT_PLANS,
        plans=((t.DASHBOARD_PLANS_MADE, str(plans.made)),
               (t.DASHBOARD_PLANS_FOLLOWED, str(plans.followed_up)),
               (t.DASHBOARD_PLANS_DONE, str(plans.done)),
               (t.DASHBOARD_PLANS_DIFFERENCE, str(plans.difference))),
        plans_apart=t.MATRIX_PLANS_APART,
        stories_heading=t.REPORT_STORIES,
        stories_note=(t.REPORT_NO_STORIES if not told else
                      t.REPORT_STORIES_CHOSEN if report.featured else t.REPORT_STORIES_FURTHEST),
        stories=tuple(told),
        picture_heading=t.REPORT_PICTURE,
        method_heading=t.REPORT_METHOD,
        method=(t.REPORT_METHOD_ASKED.format(
                    minutes=t.plural(s.prompt_delay_minutes, "minute"), days=s.window_days,
                    applied=s.followup_applied_days, reframing=s.followup_reframing_days),
                t.REPORT_METHOD_CYCLES, t.REPORT_METHOD_COUNTS, t.REPORT_METHOD_INDICATORS,
                t.REPORT_METHOD_PLANS, t.REPORT_PSEUDONYMS))


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)
