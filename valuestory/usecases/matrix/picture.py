"""The matrix as a picture for a phone: a Value Creation Matrix, events down, cycles across.

It leads with the community's value indicators as the study draws them: a column per cycle, a
few statements in each (wrapped to the column, with how many members and stories back them and
what the members' check said), and how many more there are.

Each row is one event of the period, oldest first, so the community's journey reads downwards:
immediate and potential value show first, applied and realised value weeks later. Each cell is
shaded by its narratives and labelled with the count; a totals row closes the grid. Plans (what
members said they might do) have their own column between potential and applied value, shaded
apart, and the plans pipeline is written under the grid: applied value is only what was done.
Below it: a few excerpts per cycle and of plans, from different members, and one story traced
across cycles. Pseudonyms only.

Drawn with matplotlib's object API (no pyplot, no global state: safe in a worker thread) at
1080 px wide. Words in any script: fonts are chosen per glyph from those installed, matplotlib
shapes and orders right-to-left text, a member's words are isolated so our quotes and pseudonyms
stay in place, and a character no installed font has is left out rather than drawn as a box.
"""

from __future__ import annotations

import functools
import io
import logging
import unicodedata
from typing import TYPE_CHECKING, Any

from flows import texts
from flows.engine import trim
from valuestory.usecases.matrix.build import Matrix
from valuestory.usecases.matrix.glossary import CYCLES, INTENDED, STAGES
from valuestory.usecases.matrix.text import rate
from valuestory.usecases.times import local_time

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN = 7.2  # 1080 px at DPI
DPI = 150
MAX_ROWS = 14  # more events than this: the most recent, and a line for the rest
ROW_IN = 0.42
LABEL_IN = 2.55  # the events' column
MARGIN_IN = 0.25
EXCERPTS_SHOWN = 2
TRACED_CHARS = 150
INDICATORS_SHOWN = 3  # statements per cycle's column; the rest are counted
STATEMENT_CHARS = 90
# Families tried in order for every glyph; only those installed are used.
FAMILIES = ("DejaVu Sans", "Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic",
            "Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "WenQuanYi Zen Hei",
            "Droid Sans Fallback", "Noto Color Emoji", "Noto Emoji", "Symbola")
INK, MUTED, EMPTY = "#1f2933", "#5f6b76", "#eef1f4"
SHADES = ("#d6e6f2", "#a9cbe4", "#74a9d4", "#3f80bd", "#1f5c99", "#123d6b")
# Plans in light warm shades, so they never read as the blue of value created, nor outweigh it
# (seen on the picture: a dark brown plans column drew the eye before any value did).
PLAN_SHADES = ("#fdf1df", "#fbe4c3", "#f8d6a6", "#f5c88a", "#f1b96c", "#eba94f")
PLAN_INK = "#8a5a14"
PLANS_AT = STAGES.index(INTENDED)


@functools.cache
def _fonts() -> tuple[tuple[str, ...], frozenset[int]]:
    """The installed families from FAMILIES, and every character they can draw."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    # A fallback family with one weight is fine; saying so on every picture is noise.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

    found: list[str] = []
    chars: set[int] = set()
    for family in FAMILIES:
        for entry in font_manager.fontManager.ttflist:
            if entry.name == family:
                try:
                    chars.update(FT2Font(entry.fname).get_charmap())
                except (OSError, RuntimeError):
                    continue
                if family not in found:
                    found.append(family)
    return tuple(found) or ("DejaVu Sans",), frozenset(chars)


def drawable(text: str) -> str:
    """The text as the installed fonts can draw it: a character no font has is left out (a run of
    them that is not a symbol or emoji becomes '…'), never drawn as a box. Shaping and
    right-to-left order are matplotlib's own (libraqm)."""
    _, chars = _fonts()
    out: list[str] = []
    missing = False
    for ch in text:
        category = unicodedata.category(ch)
        if ord(ch) in chars or ch == "\n" or category == "Cf" or not chars:
            out.append(ch)
            missing = False
        elif category in ("Mn", "Me", "Sk", "So"):
            continue  # emoji and marks no font has: dropped quietly
        elif not missing:
            out.append("…")
            missing = True
    return "".join(out)


def _theirs(text: str) -> str:
    """A member's words set apart, so a right-to-left answer keeps our quotes and names in place."""
    return f"\u2068{text}\u2069"


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def wrap(text: str, columns: int) -> list[str]:
    """Lines of at most `columns` (wide characters count two), breaking at spaces where there are
    some and anywhere in scripts written without them."""
    lines: list[str] = []
    line, used = "", 0
    for word in text.split(" "):
        w = sum(_width(c) for c in word)
        if line and used + 1 + w <= columns:
            line, used = f"{line} {word}", used + 1 + w
            continue
        if line:
            lines.append(line)
            line, used = "", 0
        while w > columns:  # a word longer than a line: break it
            cut, n = 0, 0
            while cut < len(word) and n + _width(word[cut]) <= columns:
                n += _width(word[cut])
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
            w = sum(_width(c) for c in word)
        line, used = word, w
    if line:
        lines.append(line)
    return lines or [""]


def _shade(n: int, top: int, shades: tuple[str, ...] = SHADES) -> str:
    if n <= 0:
        return EMPTY
    return shades[min(len(shades) - 1, (n * len(shades) - 1) // max(top, 1))]


def _staged(cells: tuple[int, ...], intended: int) -> tuple[int, ...]:
    """An event's narratives per cycle with its plans in their place: in STAGES order."""
    return (*cells[:PLANS_AT], intended, *cells[PLANS_AT:])


def render_png(matrix: Matrix, language: str | None = None) -> bytes:
    """The matrix as a portrait PNG, 1080 px wide, readable on a phone."""
    buffer = io.BytesIO()
    picture(matrix, language).savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


class _Sheet:
    """Words and boxes laid out top to bottom on one axes measured in inches from the top."""

    def __init__(self, ax: Axes) -> None:
        self.ax = ax
        self.y = MARGIN_IN
        self.family = list(_fonts()[0])

    def text(self, x: float, y: float, words: str, size: float, **kw: Any) -> None:
        self.ax.text(x, y, drawable(words), fontsize=size, fontfamily=self.family,
                     parse_math=False, va=kw.pop("va", "top"), color=kw.pop("color", INK), **kw)

    def para(self, words: str, size: float, indent: float = 0.0, gap: float = 0.06,
             **kw: Any) -> None:
        """A paragraph wrapped to the width left, moving down past it."""
        # An average letter is about 0.54 em wide, a bold one 0.62 (seen on the picture: bold
        # headings wrapped at 0.54 ran past the right edge).
        em = 0.62 if kw.get("fontweight") == "bold" else 0.54
        columns = int((WIDTH_IN - 2 * MARGIN_IN - indent) * 72 / (size * em))
        lines = wrap(words, columns)
        self.text(MARGIN_IN + indent, self.y, "\n".join(lines), size, linespacing=1.3, **kw)
        self.y += len(lines) * size * 1.3 / 72 + gap


def _rows(matrix: Matrix, t: Any) -> list[tuple[str, str, tuple[int, ...], bool]]:
    """The grid's rows: (title, when, cells, is_summary), the most recent events if too many."""
    events = [(r, _staged(r.cells, r.intended)) for r in matrix.events]
    out: list[tuple[str, str, tuple[int, ...], bool]] = []
    shown = events[-MAX_ROWS:] if len(events) > MAX_ROWS else events
    left_out = events[:len(events) - len(shown)]
    accounted = [sum(cells[i] for _, cells in events) for i in range(len(STAGES))]
    if left_out:
        out.append((t.MATRIX_PNG_EARLIER.format(events=t.plural(len(left_out), "event")), "",
                    tuple(sum(cells[i] for _, cells in left_out) for i in range(len(STAGES))),
                    True))
    for r, cells in shown:
        out.append((r.title, local_time(r.starts_at, matrix.timezone, t.language), cells, False))
    other = tuple(max(0, matrix.stage(s).narratives - accounted[i])
                  for i, s in enumerate(STAGES))
    if any(other):  # answers this period about events before it, or cancelled since
        out.append((t.MATRIX_PNG_OTHER, "", other, True))
    return out


def _indicators(sheet: _Sheet, matrix: Matrix, t: Any) -> None:
    """The value indicators, a column per cycle: a few statements in each, wrapped to it."""
    sheet.para(t.MATRIX_PNG_INDICATORS, 11, fontweight="bold", gap=0.08)
    if not matrix.indicators:
        sheet.para(t.MATRIX_PNG_NO_INDICATORS, 9.5, color=MUTED, gap=0.22)
        return
    col_w = (WIDTH_IN - 2 * MARGIN_IN) / len(CYCLES)
    top = sheet.y
    bottom = top

    def lines(x: float, y: float, words: str, size: float, **kw: Any) -> float:
        """Words wrapped to the column at `x`, from `y` down; where they end."""
        em = 0.62 if kw.get("fontweight") == "bold" else 0.54
        wrapped = wrap(words, int((col_w - 0.12) * 72 / (size * em)))
        sheet.text(x, y, "\n".join(wrapped), size, linespacing=1.25, **kw)
        return y + len(wrapped) * size * 1.25 / 72

    for k, cycle in enumerate(CYCLES):
        x = MARGIN_IN + col_w * k + 0.04
        heading = str(t.CYCLE_SHORT[cycle]).capitalize()
        # On one baseline (seen on the picture: tops aligned, "Applied" sat above "Immediate"),
        # shrunk to its column if a language's word is long.
        size = min(9.0, 9.0 * (col_w - 0.08) / (0.078 * max(len(heading), 1)))
        sheet.text(x, top + 0.14, heading, size, va="baseline", fontweight="bold")
        y = top + 0.26
        under = matrix.under(cycle)
        if not under:
            y = lines(x, y, "–", 8.5, color=MUTED)
        for i in under[:INDICATORS_SHOWN]:
            y = lines(x, y, trim(i.statement, STATEMENT_CHARS), 8.5) + 0.02
            y = lines(x, y, t.MATRIX_PNG_INDICATOR.format(
                members=t.plural(i.members, "member"), stories=t.plural(i.stories, "story")),
                7, color=MUTED)
            if i.check.asked:
                y = lines(x, y, t.MATRIX_PNG_INDICATOR_CHECK.format(
                    agreed=i.check.agreed, asked=i.check.asked), 7, color=MUTED)
            y += 0.09
        if len(under) > INDICATORS_SHOWN:
            y = lines(x, y, t.MATRIX_PNG_INDICATORS_MORE.format(
                count=len(under) - INDICATORS_SHOWN), 7.5, color=MUTED)
        bottom = max(bottom, y)
    sheet.y = bottom + 0.22


def picture(matrix: Matrix, language: str | None = None) -> Figure:
    """The matrix's picture before it is drawn, so its words can be read back; its own words are
    in `language` (English by default), members' words as they wrote them."""
    t = texts.In(language)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    rows = _rows(matrix, t)
    excerpt_lines = sum(2 + 3 * min(len(c.excerpts), EXCERPTS_SHOWN)
                        for c in (*matrix.columns, matrix.intended))
    traced_steps = len(matrix.traced.steps) if matrix.traced else 0
    # A first guess at the height; the axes is trimmed to what was used at the end.
    height = (2.2 + ROW_IN * (len(rows) + 2) + 0.2 * excerpt_lines + 0.55 * traced_steps + 1.6)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    sheet = _Sheet(ax)

    sheet.para(matrix.community, 15, fontweight="bold", gap=0.02)
    sheet.para(t.MATRIX_PNG_SUBTITLE.format(
        period=matrix.period.said(t.language), narratives=t.plural(matrix.total, "narrative"),
        stories=t.plural(matrix.stories_count, "story"),
        members=t.plural(matrix.contributors, "member")), 10.5, color=MUTED, gap=0.18)

    _indicators(sheet, matrix, t)

    # --- the grid ---
    left = MARGIN_IN + LABEL_IN
    cell_w = (WIDTH_IN - MARGIN_IN - left) / len(STAGES)
    top = max([max(r[2]) for r in rows if not r[3]] + [1])
    sheet.text(MARGIN_IN, sheet.y + ROW_IN / 2, t.MATRIX_PNG_EVENTS_HEADING, 9.5,
               va="center", color=MUTED, fontweight="bold")
    for i, stage in enumerate(STAGES):
        heading = (str(t.MATRIX_PNG_PLANS) if stage == INTENDED
                   else str(t.CYCLE_SHORT[stage]).capitalize())
        # A longer word in another language ("Replanteamiento") shrinks to fit its column
        # instead of running into the next: bold 9 pt takes about 0.078 in a character.
        size = min(9.0, 9.0 * cell_w * 0.92 / (0.078 * max(len(heading), 1)))
        sheet.text(left + cell_w * (i + 0.5), sheet.y + ROW_IN / 2, heading, size, va="center",
                   ha="center", fontweight="bold")
    sheet.y += ROW_IN
    if not rows:
        sheet.text(MARGIN_IN, sheet.y + ROW_IN / 2, t.MATRIX_PNG_NO_EVENTS, 9, va="center",
                   color=MUTED, style="italic")
        sheet.y += ROW_IN
    for title, when, cells, summary in rows:
        y = sheet.y
        name = trim(title, 60)
        label = wrap(name, 31)
        first = label[0] + ("…" if len(label) > 1 else "")
        sheet.text(MARGIN_IN, y + ROW_IN * (0.34 if when else 0.5), first, 9.5, va="center",
                   style="italic" if summary else "normal", color=MUTED if summary else INK)
        if when:
            sheet.text(MARGIN_IN, y + ROW_IN * 0.76, when, 7.5, va="center", color=MUTED)
        for i, n in enumerate(cells):
            shades = PLAN_SHADES if i == PLANS_AT else SHADES
            fill = EMPTY if summary and n else _shade(n, top, shades)
            ax.add_patch(Rectangle((left + cell_w * i + 0.02, y + 0.02), cell_w - 0.04,
                                   ROW_IN - 0.04, facecolor=fill, edgecolor="none"))
            dark = shades is SHADES and fill in SHADES[3:]
            sheet.text(left + cell_w * (i + 0.5), y + ROW_IN / 2, str(n), 10.5, va="center",
                       ha="center", color="white" if dark else (MUTED if n == 0 else INK))
        sheet.y += ROW_IN
    # Totals: every narrative of the period, whatever event it was about.
    y = sheet.y + 0.04
    ax.plot([MARGIN_IN, WIDTH_IN - MARGIN_IN], [y, y], color=INK, linewidth=0.8)
    sheet.text(MARGIN_IN, y + ROW_IN / 2, t.MATRIX_PNG_TOTAL, 9, va="center",
               fontweight="bold")
    for i, stage in enumerate(STAGES):
        col = matrix.stage(stage)
        sheet.text(left + cell_w * (i + 0.5), y + ROW_IN * 0.34, str(col.narratives), 11.5,
                   va="center", ha="center", fontweight="bold")
        sheet.text(left + cell_w * (i + 0.5), y + ROW_IN * 0.82,
                   t.plural(col.members, "member"), 7.5, va="center", ha="center", color=MUTED)
    sheet.y = y + ROW_IN + 0.1
    p = matrix.participation
    sheet.para(t.MATRIX_PNG_PARTICIPATION.format(
        events=t.plural(p.events, "event"), sent=p.sent, attended=p.attended, answered=p.answered,
        rate=rate(p, t.language), completed=p.completed), 9.5, color=MUTED, gap=0.06)
    plans = matrix.plans
    sheet.para(t.MATRIX_PNG_PIPELINE.format(
        made=plans.made, followed=plans.followed_up, done=plans.done,
        difference=plans.difference), 9.5, color=PLAN_INK, gap=0.04)
    # Not italic: the italic face has no Arabic (seen on the picture: boxes).
    sheet.para(t.MATRIX_PLANS_APART, 8.5, color=MUTED, gap=0.22)

    # --- in members' words ---
    sheet.para(t.MATRIX_PNG_EXCERPTS, 11, fontweight="bold", gap=0.08)
    for stage in STAGES:
        col = matrix.stage(stage)
        plan = stage == INTENDED
        sheet.para(t.MATRIX_PLANS if plan else t.CYCLE_NAMES[col.cycle], 10.5,
                   fontweight="bold", gap=0.03)
        if not col.excerpts:
            ask = t.MATRIX_PLANS_GAP if plan else t.MATRIX_GAP_ASK[col.cycle]
            # Not italic: the italic face has no Arabic (seen on the picture: boxes).
            sheet.para(t.MATRIX_PNG_GAP.format(ask=ask), 9.5, indent=0.12, color=MUTED, gap=0.1)
            continue
        for x in col.excerpts[:EXCERPTS_SHOWN]:
            sheet.para(f"“{_theirs(trim(x.text, 120))}” ({x.pseudonym})", 9.5, indent=0.12,
                       gap=0.05)
        sheet.y += 0.06

    # --- one story across cycles ---
    if matrix.traced is not None:
        traced = matrix.traced
        sheet.y += 0.08
        sheet.para(t.MATRIX_PNG_TRACED.format(pseudonym=traced.pseudonym,
                                              event=trim(traced.event, 60)),
                   11, fontweight="bold", gap=0.08)
        for step in traced.steps:
            # A plan is named as one, never as applied value.
            name = (t.MATRIX_PLANNED if step.intended else t.CYCLE_SHORT[step.cycle]).capitalize()
            sheet.para(name, 9, indent=0.12, fontweight="bold", color=MUTED, gap=0.0)
            sheet.para(f"“{_theirs(trim(step.text, TRACED_CHARS))}”", 9.5, indent=0.12, gap=0.07)

    used = sheet.y + MARGIN_IN
    fig.set_size_inches(WIDTH_IN, used)
    ax.set_xlim(0, WIDTH_IN)
    ax.set_ylim(used, 0)
    return fig
