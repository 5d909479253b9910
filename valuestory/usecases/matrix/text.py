"""The matrix as words: Telegram HTML for /matrix and the digest, plain text for a terminal.

Everything a person wrote is escaped; every count is the `glossary`'s. The community's value
indicators come first, cycle by cycle, as the study draws its matrix; then the counts. Plans stand
in their own entry, between potential and applied value, with how far they went; applied value is
only what members did. A message stays within Telegram's limit: when the indicators would pass
it, fewer are listed per cycle, with how many more there are.
"""

from __future__ import annotations

import html
import textwrap
from typing import Any

from flows import texts
from flows.engine import MAX_MESSAGE_CHARS
from valuestory.usecases.matrix.build import Matrix
from valuestory.usecases.matrix.glossary import CYCLES, INTENDED, STAGES, Participation
from valuestory.usecases.out import plain
from valuestory.usecases.times import local_time

# Statements listed per cycle in chat; fewer when the message would not fit.
INDICATORS_PER_CYCLE = 5
# Room left in a message for what is said before the matrix (the digest's first lines).
ROOM = 400


def rate(p: Participation, language: str | None = None) -> str:
    """The response rate as people read it: '50%', or 'n/a' when nobody was asked."""
    r = p.response_rate
    return _texts(language).RATE_NONE if r is None else f"{r:.0%}"


def _texts(language: str | None) -> Any:
    return texts.In(language)


def render_text(matrix: Matrix, language: str | None = None) -> str:
    """The matrix as Telegram HTML in `language` (English by default); everything from a person is
    escaped, and in a translated sentence isolated, so it reads in order in any direction."""
    t = _texts(language)
    plural = t.plural
    english = language in (None, "en")

    def e(value: str) -> str:
        return html.escape(value) if english else texts.isolate(html.escape(value))

    title = t.MATRIX_TITLE.format(community=e(matrix.community),
                                  period=e(matrix.period.said(t.language)))
    lines = [t.MATRIX_SUMMARY.format(narratives=plural(matrix.total, "narrative"),
                                     stories=plural(matrix.stories_count, "story"),
                                     members=plural(matrix.contributors, "member"))]
    if matrix.last_digest_at is not None:
        lines.append(t.MATRIX_SINCE_DIGEST.format(
            when=html.escape(local_time(matrix.last_digest_at, matrix.timezone, t.language))))
    for stage in STAGES:
        col = matrix.stage(stage)
        plans = stage == INTENDED
        lines.append("")
        name = html.escape(t.MATRIX_PLANS if plans else t.CYCLE_NAMES[col.cycle])
        if col.narratives == 0:
            ask = t.MATRIX_PLANS_GAP if plans else t.MATRIX_GAP_ASK[col.cycle]
            lines.append(t.MATRIX_GAP.format(cycle=name, ask=ask))
        else:
            lines.append(t.MATRIX_COLUMN.format(
                cycle=name, narratives=plural(col.narratives, "narrative"),
                stories=plural(col.stories, "story"), members=plural(col.members, "member"),
                new=col.new))
            for x in col.excerpts:
                lines.append(t.MATRIX_EXCERPT.format(text=e(x.text), pseudonym=e(x.pseudonym)))
        if plans:
            lines.append(pipeline(matrix, language))
    lines.append("")
    lines.append(t.MATRIX_STORIES.format(count=plural(matrix.followup_stories, "story")))
    for s in matrix.stories:
        chain = " → ".join(t.MATRIX_PLANNED if c == INTENDED else t.CYCLE_SHORT[c]
                           for c in s.cycles)
        lines.append(t.MATRIX_STORY.format(pseudonym=e(s.pseudonym), event=e(s.event),
                                           chain=html.escape(chain)))
    p = matrix.participation
    lines.append("")
    lines.append(t.MATRIX_PARTICIPATION.format(
        events=plural(p.events, "event"), sent=p.sent, attended=p.attended, answered=p.answered,
        rate=rate(p, language), completed=p.completed, unreachable=p.unreachable))
    counts = "\n".join(lines)
    for shown in range(INDICATORS_PER_CYCLE, -1, -1):
        said = "\n".join([title, "", *_indicators(matrix, t, e, shown), "", counts])
        if len(said) <= MAX_MESSAGE_CHARS - ROOM:
            break
    return said


def _indicators(matrix: Matrix, t: Any, e: Any, shown: int) -> list[str]:
    """The indicators cycle by cycle, at most `shown` per cycle, or how to add some."""
    if not matrix.indicators:
        return [t.MATRIX_INDICATORS_NONE]
    lines = [t.MATRIX_INDICATORS]
    for cycle in CYCLES:
        under = matrix.under(cycle)
        if not under:
            continue
        lines.append(t.MATRIX_INDICATOR_CYCLE.format(cycle=html.escape(t.CYCLE_NAMES[cycle])))
        for i in under[:shown]:
            lines.append(t.MATRIX_INDICATOR.format(
                statement=e(i.statement), members=t.plural(i.members, "member"),
                stories=t.plural(i.stories, "story")))
            if i.check.asked:
                lines.append(t.MATRIX_INDICATOR_CHECK.format(
                    asked=i.check.asked, agreed=i.check.agreed, disagreed=i.check.disagreed))
        if len(under) > shown:
            lines.append(t.MATRIX_INDICATORS_MORE.format(count=len(under) - shown))
    return lines


def pipeline(matrix: Matrix, language: str | None = None) -> str:
    """The plans pipeline in one line: made, followed up, reported done, made a difference."""
    p = matrix.plans
    return _texts(language).MATRIX_PLANS_PIPELINE.format(
        made=p.made, followed=p.followed_up, done=p.done, difference=p.difference)


def render_terminal(matrix: Matrix, width: int = 100) -> str:
    """The matrix as plain text for a terminal."""
    out: list[str] = []
    for line in render_text(matrix).split("\n"):
        flat = plain(line)
        out.extend(textwrap.wrap(flat, width, subsequent_indent="    ") or [""])
    return "\n".join(out)
