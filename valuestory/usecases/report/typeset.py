"""The report as a PDF, set by Typst (the `typst` package: the compiler itself, in-process, no
network), and as an editable DOCX (python-docx).

The Typst source is a fixed file, `report.typ`; what changes from one report to the next is data:
the composed words go in as JSON and the matrix picture as a PNG beside it, and the template sets
each value as text. A narrative that looks like markup (`#set page(...)`, `*bold*`, `$x$`) is
printed as written, never read as Typst: no escaping to get wrong.

Fonts are the system's and matplotlib's own DejaVu: the first found of `FAMILIES` set Latin,
Greek and Cyrillic, Arabic (shaped and right to left: Typst's own text engine) and Chinese
(WenQuanYi Zen Hei, as the matrix picture uses); Typst falls back glyph by glyph among the
rest. Both run in a worker thread, never on the event loop.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from valuestory.usecases.report.compose import Composed

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).with_name("report.typ")
# Tried in order; only those installed are named to Typst (an unknown family is a warning).
FAMILIES = ("DejaVu Sans", "Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic",
            "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans SC", "Droid Sans Fallback",
            "Libertinus Serif")


def _font_paths() -> list[str]:
    """Folders of fonts besides the system's: matplotlib's own DejaVu (Latin, Greek, Cyrillic,
    Arabic), so a machine with no fonts installed (a slim container) still sets every language
    we speak."""
    import matplotlib

    return [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")]


@functools.cache
def fonts() -> tuple[str, ...]:
    """The families of FAMILIES that Typst finds on this system, in matplotlib's folder, or
    embedded."""
    import typst

    found = {f.lower() for f in typst.Fonts(font_paths=_font_paths()).families()}
    return tuple(f for f in FAMILIES if f.lower() in found) or ("Libertinus Serif",)


def pdf(words: Composed, picture: bytes, made_at: dt.datetime | None = None) -> bytes:
    """The report as a PDF (dated `made_at`)."""
    import typst

    data = {**words.to_dict(), "fonts": list(fonts())}
    with tempfile.TemporaryDirectory(prefix="valuestory-report-") as folder:
        root = Path(folder)
        (root / "report.typ").write_bytes(TEMPLATE.read_bytes())
        (root / "data.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        (root / "matrix.png").write_bytes(picture)
        made = typst.compile(str(root / "report.typ"), root=str(root), format="pdf",
                             font_paths=_font_paths(),
                             timestamp=None if made_at is None else made_at.replace(microsecond=0))
    assert isinstance(made, bytes)
    return made


def docx(words: Composed, picture: bytes) -> bytes:
    """The report as an editable Word document: the matrix a real table, cycles as columns.

    Right to left is set where Word keeps it for a whole document (the styles' paragraph and run
    properties, the tables' styles), through python-docx's public `element` of each style."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm, Pt, RGBColor

    rtl = words.direction == "rtl"
    muted = RGBColor(0x5F, 0x6B, 0x76)
    document = Document()
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = fonts()[0]
    normal.font.size = Pt(10.5)
    _scripts(normal.element, words.language, rtl)
    if rtl:
        for name in ("Normal", "Heading 1", "Heading 2", "Title"):
            _bidi(styles[name].element)
        for name in ("Table Grid", "Normal Table"):
            _bidi_table(styles[name].element)

    def para(text: str, size: float | None = None, bold: bool = False,
             grey: bool = False) -> None:
        run = document.add_paragraph().add_run(text)
        run.bold = bold or None
        run.font.rtl = rtl or None
        if size:
            run.font.size = Pt(size)
        if grey:
            run.font.color.rgb = muted

    def heading(text: str, level: int = 1) -> None:
        for run in document.add_heading(text, level).runs:
            run.font.rtl = rtl or None

    def pairs(rows: tuple[tuple[str, str], ...]) -> None:
        table = document.add_table(rows=0, cols=2)
        for label, value in rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = label, value
            cells[1].paragraphs[0].runs[0].bold = True
            for cell in cells:
                cell.paragraphs[0].runs[0].font.rtl = rtl or None

    def turn(section: object, landscape: bool) -> None:
        orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        if section.orientation != orientation:  # type: ignore[attr-defined]
            section.orientation = orientation  # type: ignore[attr-defined]
            section.page_width, section.page_height = (  # type: ignore[attr-defined]
                section.page_height, section.page_width)  # type: ignore[attr-defined]

    # The cover.
    para(words.title, 13, grey=True)
    para(words.community, 26, bold=True)
    para(words.period, 13)
    para(words.made, 11, grey=True)
    para(words.pseudonyms, 9.5, grey=True)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    heading(words.participation_heading)
    pairs(words.participation)
    heading(words.plans_heading)
    pairs(words.plans)
    para(words.plans_apart, 9.5, grey=True)

    # The matrix: a landscape section, one column per cycle.
    turn(document.add_section(), True)
    heading(words.matrix_heading)
    para(words.matrix_intro, 9.5, grey=True)
    table = document.add_table(rows=3, cols=len(words.cycles))
    table.style = "Table Grid"
    for i, cycle in enumerate(words.cycles):
        head, evidence, body = (table.rows[r].cells[i] for r in range(3))
        run = head.paragraphs[0].add_run(cycle.name)
        run.bold, run.font.rtl = True, rtl or None
        run = evidence.paragraphs[0].add_run(cycle.evidence)
        run.font.color.rgb, run.font.size, run.font.rtl = muted, Pt(8.5), rtl or None
        if not cycle.statements:
            run = body.paragraphs[0].add_run(cycle.empty)
            run.font.color.rgb, run.font.rtl = muted, rtl or None
        for k, s in enumerate(cycle.statements):
            p = body.paragraphs[0] if k == 0 else body.add_paragraph()
            run = p.add_run(s.text)
            run.bold, run.font.rtl = True, rtl or None
            for line in (x for x in (s.capital, s.evidence, s.check, *s.quotes) if x):
                run = p.add_run()
                run.add_break()
                run.add_text(line)
                run.font.size, run.font.rtl = Pt(8), rtl or None
    if words.no_indicators:
        para(words.no_indicators, 9.5, grey=True)

    turn(document.add_section(), False)
    heading(words.stories_heading)
    para(words.stories_note, 9.5, grey=True)
    for story in words.stories:
        heading(story.heading, 2)
        para(f"{story.when} · {story.path}", 9, grey=True)
        for step in story.steps:
            para(f"{step.stage} · {step.when}", 9, bold=True, grey=True)
            para(step.text)

    turn(document.add_section(), True)
    heading(words.picture_heading)
    document.add_picture(io.BytesIO(picture), width=Cm(24))

    turn(document.add_section(), False)
    heading(words.method_heading)
    for text in words.method:
        para(text)
    document.core_properties.title = f"{words.title} · {words.community}"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _scripts(style: Any, language: str, rtl: bool) -> None:
    """A style's fonts for East Asian and complex scripts (Chinese, Arabic) and its language."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r_pr = style.get_or_add_rPr()
    fonts_of = r_pr.get_or_add_rFonts()
    fonts_of.set(qn("w:eastAsia"), _font_for("w:eastAsia"))
    fonts_of.set(qn("w:cs"), _font_for("w:cs"))
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), language)
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), language if rtl else "ar-SA")
    r_pr.append(lang)


def _bidi(style: Any) -> None:
    """A paragraph style set right to left."""
    from docx.oxml import OxmlElement

    style.get_or_add_pPr().append(OxmlElement("w:bidi"))
    style.get_or_add_rPr().append(OxmlElement("w:rtl"))


def _bidi_table(style: Any) -> None:
    """A table style whose first column is on the right, as a table reads in Arabic."""
    from docx.oxml import OxmlElement

    t_pr = style.find(_qn("w:tblPr"))
    if t_pr is None:
        t_pr = OxmlElement("w:tblPr")
        style.append(t_pr)
    t_pr.append(OxmlElement("w:bidiVisual"))


def _font_for(script: str) -> str:
    installed = fonts()
    wanted = (("WenQuanYi Zen Hei", "Noto Sans CJK SC") if script == "w:eastAsia"
              else ("Noto Sans Arabic", "Noto Naskh Arabic", "DejaVu Sans"))
    return next((f for f in wanted if f in installed), installed[0])


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)
