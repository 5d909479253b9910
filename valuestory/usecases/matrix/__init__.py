"""The Value Creation Matrix: what a community's narratives show, cycle by cycle and event by
event, for a period. Its words mean what `glossary` says, wherever they are shown.

- `period`: the stretch of time a person asked for;
- `build`: the matrix read from the database (tallies for all time, indexes for a period), with
  plans (answers to an intention question) apart from the five cycles, and their pipeline;
- `text`: the matrix as Telegram HTML and as plain terminal text;
- `picture`: the matrix as a picture for a phone; `slide`: as a 16:9 slide;
- `show`: /matrix, the text and the picture together.
"""

from valuestory.usecases.matrix.build import (
    EPOCH,
    EXCERPT_CHARS,
    EXCERPTS_PER_CYCLE,
    CellNarrative,
    Column,
    EventRow,
    Excerpt,
    Matrix,
    Story,
    TracedStep,
    TracedStory,
    build_matrix,
    digest_key,
    narratives,
)
from valuestory.usecases.matrix.glossary import (
    CYCLES,
    FOLLOWUP_CYCLES,
    INTENDED,
    NOBODY,
    STAGES,
    Participation,
    Plans,
)
from valuestory.usecases.matrix.period import Period, PeriodError, parse_period, period_or_all
from valuestory.usecases.matrix.picture import picture, render_png
from valuestory.usecases.matrix.show import (
    Pictured,
    Shown,
    for_command_line,
    for_community,
    for_page,
    show,
)
from valuestory.usecases.matrix.slide import render_slide, slide
from valuestory.usecases.matrix.text import pipeline, rate, render_terminal, render_text

__all__ = [
    "CYCLES",
    "EPOCH",
    "EXCERPTS_PER_CYCLE",
    "EXCERPT_CHARS",
    "FOLLOWUP_CYCLES",
    "INTENDED",
    "NOBODY",
    "STAGES",
    "CellNarrative",
    "Column",
    "EventRow",
    "Excerpt",
    "Matrix",
    "Participation",
    "Period",
    "PeriodError",
    "Pictured",
    "Plans",
    "Shown",
    "Story",
    "TracedStep",
    "TracedStory",
    "build_matrix",
    "digest_key",
    "for_command_line",
    "for_community",
    "for_page",
    "narratives",
    "parse_period",
    "period_or_all",
    "picture",
    "pipeline",
    "rate",
    "render_png",
    "render_slide",
    "render_terminal",
    "render_text",
    "show",
    "slide",
]
