"""The matrix as one 16:9 slide (1920 x 1080 px), as a board sees it on a screen.

The study's matrix: the cycles side by side, plans in their own column between potential and
applied value, each with its narratives and members and what it shows: the community's value
indicators under it when there are some, else a member's words. One line under the columns says
who took part and how far plans went. In a right-to-left language the cycles run from the
right, as the reader's eye does. Words are drawn as the portrait picture draws them (fonts per
glyph, shaped, a member's words isolated); pseudonyms only.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from flows import texts
from flows.engine import trim
from valuestory.usecases.matrix.build import Matrix
from valuestory.usecases.matrix.glossary import INTENDED, STAGES
from valuestory.usecases.matrix.picture import (
    EMPTY,
    INK,
    MUTED,
    PLAN_INK,
    PLAN_SHADES,
    SHADES,
    _fonts,
    _theirs,
    drawable,
    wrap,
)
from valuestory.usecases.matrix.text import rate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 144
WIDTH_IN, HEIGHT_IN = 1920 / DPI, 1080 / DPI  # 1920 x 1080 px
MARGIN_IN = 0.45
GAP_IN = 0.14
SHOWN = 3  # statements (or quotes) per column
SHOWN_CHARS = 110
# Bold letters are about 0.62 em wide, regular ones 0.54 (as on the portrait picture).
EM, EM_BOLD = 0.54, 0.62


def _fit(words: str, width_in: float, size: float) -> float:
    """The largest size up to `size` at which bold `words` fit on one line `width_in` wide."""
    needed = sum(2 if ord(c) > 0x2E80 else 1 for c in words) * EM_BOLD * size / 72
    return size if needed <= width_in else max(8.0, size * width_in / needed)


def _columns(width_in: float, size: float, em: float = EM) -> int:
    return max(8, int(width_in * 72 / (size * em)))


def slide(matrix: Matrix, language: str | None = None,
          indicators: Sequence[tuple[str, str]] = ()) -> Figure:
    """The slide before it is drawn, so its words can be read back. `indicators` are the
    community's value indicators as (cycle or 'intended', statement), in their order."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    t = texts.In(language)
    rtl = t.direction == "rtl"
    family = list(_fonts()[0])
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    ax.set_xlim(0, WIDTH_IN)
    ax.set_ylim(HEIGHT_IN, 0)
    # Where a line starts: the left edge, or the right one for a right-to-left language.
    start, align = (WIDTH_IN - MARGIN_IN, "right") if rtl else (MARGIN_IN, "left")

    def say(x: float, y: float, words: str, size: float, **kw: object) -> None:
        ax.text(x, y, drawable(words), fontsize=size, fontfamily=family, parse_math=False,
                va=kw.pop("va", "top"), color=kw.pop("color", INK), **kw)  # type: ignore[arg-type]

    def lines(words: str, width_in: float, size: float, bold: bool = False,
              most: int = 99) -> list[str]:
        out = wrap(words, _columns(width_in, size, EM_BOLD if bold else EM))
        return [*out[:most - 1], out[most - 1] + "…"] if len(out) > most else out

    inner = WIDTH_IN - 2 * MARGIN_IN
    title = lines(matrix.community, inner, 26, bold=True, most=1)[0]
    say(start, 0.38, title, 26, fontweight="bold", ha=align)
    say(start, 0.98, t.MATRIX_PNG_SUBTITLE.format(
        period=matrix.period.said(t.language), narratives=t.plural(matrix.total, "narrative"),
        stories=t.plural(matrix.stories_count, "story"),
        members=t.plural(matrix.contributors, "member")), 14, color=MUTED, ha=align)

    by_stage: dict[str, list[str]] = {s: [] for s in STAGES}
    for stage, statement in indicators:
        if stage in by_stage:
            by_stage[stage].append(statement)
    order = list(reversed(STAGES)) if rtl else list(STAGES)
    width = (inner - GAP_IN * (len(STAGES) - 1)) / len(STAGES)
    top, bottom = 1.55, HEIGHT_IN - 1.25
    biggest = max([matrix.stage(s).narratives for s in STAGES] + [1])
    for i, stage in enumerate(order):
        col = matrix.stage(stage)
        plan = stage == INTENDED
        left = MARGIN_IN + i * (width + GAP_IN)
        shades = PLAN_SHADES if plan else SHADES
        # Lightly tinted by how much evidence the column holds: the words on it stay readable
        # (seen on the slide: grey counts on the darker blue were hard to read).
        fill = EMPTY if col.narratives == 0 else shades[min(
            1, (col.narratives * 2 - 1) // biggest)]
        ax.add_patch(FancyBboxPatch((left, top), width, bottom - top,
                                    boxstyle="round,pad=0,rounding_size=0.08",
                                    facecolor=fill, edgecolor="none"))
        mid = left + width / 2
        ink = PLAN_INK if plan else INK
        heading = str(t.MATRIX_PNG_PLANS) if plan else str(t.CYCLE_SHORT[stage]).capitalize()
        # A long word in another language ("Replanteamiento") shrinks to fit its column (seen
        # on the slide: at 17 pt it ran over the column's edge).
        say(mid, top + 0.2, heading, _fit(heading, width - 0.24, 17), ha="center",
            fontweight="bold", color=ink)
        counted = t.plural(col.narratives, "narrative")
        say(mid, top + 0.68, counted, _fit(counted, width - 0.24, 15), ha="center",
            fontweight="bold", color=ink)
        say(mid, top + 1.08, t.plural(col.members, "member"), 11, ha="center", color=MUTED)
        y = top + 1.55
        statements = by_stage[stage][:SHOWN]
        quoted = [f"“{_theirs(trim(x.text, SHOWN_CHARS))}”" for x in col.excerpts[:2]]
        said = statements or quoted
        x, ha = (left + width - 0.14, "right") if rtl else (left + 0.14, "left")
        if not said:
            gap = t.MATRIX_PLANS_GAP if plan else t.MATRIX_GAP_ASK[stage]
            said = [str(gap)]
        for words in said:
            wrapped = lines(words, width - 0.28, 11.5, most=5)
            if y + len(wrapped) * 0.22 > bottom - 0.1:
                break
            say(x, y, "\n".join(wrapped), 11.5, ha=ha, linespacing=1.3,
                color=INK if statements or quoted else MUTED)
            y += len(wrapped) * 11.5 * 1.3 / 72 + 0.16
    p, plans = matrix.participation, matrix.plans
    say(start, bottom + 0.22, t.MATRIX_PNG_PARTICIPATION.format(
        events=t.plural(p.events, "event"), sent=p.sent, attended=p.attended,
        answered=p.answered, rate=rate(p, t.language), completed=p.completed), 13, ha=align)
    say(start, bottom + 0.55, t.MATRIX_PNG_PIPELINE.format(
        made=plans.made, followed=plans.followed_up, done=plans.done,
        difference=plans.difference), 13, color=PLAN_INK, ha=align)
    say(start, bottom + 0.86, t.MATRIX_PLANS_APART, 11, color=MUTED, ha=align)
    return fig


def render_slide(matrix: Matrix, language: str | None = None,
                 indicators: Sequence[tuple[str, str]] = ()) -> bytes:
    """The slide as a 1920 x 1080 PNG."""
    buffer = io.BytesIO()
    slide(matrix, language, indicators).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
