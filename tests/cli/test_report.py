"""The report a board reads, from the command line: the hand-counted community of
tests/telegram/test_matrix_plans.py (plans, actions, follow-ups, a withdrawn member), written
as a PDF and as a DOCX and read back: each figure where the glossary puts it, plans never
counted as applied value, and a narrative that looks like markup printed as written."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from flows import texts
from storage.models import Community
from tests.botapi import TOKEN
from tests.harness import Harness
from tests.telegram.test_matrix_plans import DIFFERENCE, DONE, PLANS, scenario
from valuestory.cli import main
from valuestory.usecases import indicators, matrix, report
from valuestory.usecases.report.compose import NON_BREAKING_HYPHEN

# Where screenshots of the pages are kept for a person to look at (unset: not kept).
SHOTS = os.environ.get("VALUESTORY_SHOTS")


def pdf_text(path: Path, *, layout: bool = True) -> str:
    """The PDF's words as pdftotext (poppler) reads them."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def lines(text: str) -> list[str]:
    """The text's lines, spaces made one, without the invisible marks that isolate a person's
    words (FSI ... PDI), which pdftotext passes on."""
    text = re.sub("[\u2066-\u2069]", "", text)
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def shoot(path: Path, name: str) -> None:
    """PNGs of every page, for a person to look at."""
    if SHOTS and shutil.which("pdftoppm"):
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(Path(SHOTS) / name)],
                       check=True)


# The community's indicators, each backed by narratives of the scenario (Wes withdrew: his are
# gone): (cycle, capital, statement, whose narratives back it) and its hand count
# (narratives, stories, members).
INDICATORS = [
    ("immediate", None, "It's a safe space to ask", [f"{n}: the moment." for n in
                                                      ("Ana", "Ben", "Cal", "Dee", "Eve")], (5, 5, 5)),
    ("potential", "human", "Members have increased confidence",
     [f"{n}: the insight." for n in ("Ana", "Ben", "Cal")], (3, 3, 3)),
    ("applied", None, "Members used what they learnt in clinic", [DONE["ana"], DONE["ben"]],
     (2, 2, 2)),
    ("realised", None, "Fewer missed appointments after the change", [DIFFERENCE["ana"]],
     (1, 1, 1)),
]


async def with_indicators(h: Harness) -> Community:
    """The scenario, with the indicators above, the applied one quoting Ana."""
    c, _, _ = await scenario(h)
    async with h.db.session() as session:
        found = await session.get(Community, c.id)
        assert found is not None
        ids = {n.text: n.narrative_id for n in await matrix.narratives(h.db, c.id)}
    for cycle, capital, statement, backing, _ in INDICATORS:
        made = await indicators.add(h.db, indicators.COMMAND_LINE, c.name, cycle, statement,
                                    capital, [ids[t] for t in backing])
        if cycle == "applied":
            await indicators.set_quotes(h.db, indicators.COMMAND_LINE, c.name, made.id,
                                        [ids[DONE["ana"]]])
    return c


def words_on(path: Path, page_holding: str) -> list[tuple[float, float, str]]:
    """(x, y, word) of each word on the first page of the PDF holding `page_holding`."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    for page in html.split("<page ")[1:]:
        found = [(float(x), float(y), unescape(w)) for x, y, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>',
            re.sub("[\u2066-\u2069]", "", page))]
        if page_holding.split()[0] in {w for _, _, w in found} and " ".join(
                w for _, _, w in found).find(page_holding) >= 0:
            return found
    raise AssertionError(f"no page holds {page_holding!r}")


def at(words: list[tuple[float, float, str]], phrase: str) -> tuple[float, float]:
    """Where a phrase starts on the page (its first word's left edge and top)."""
    wanted = phrase.split()
    for i in range(len(words) - len(wanted) + 1):
        if [w for _, _, w in words[i:i + len(wanted)]] == wanted:
            return words[i][0], words[i][1]
    raise AssertionError(f"{phrase!r} is not on the page")


def column_of(words: list[tuple[float, float, str]], x: float, names: dict[str, str]) -> str:
    """The cycle whose heading starts nearest on the left of `x`."""
    starts = sorted((at(words, name)[0], cycle) for cycle, name in names.items())
    return [cycle for left, cycle in starts if left <= x + 1][-1]


async def run(database_url: str, *args: str) -> Result:
    return await asyncio.to_thread(
        CliRunner().invoke, main, list(args),
        env={"DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": TOKEN})


async def test_the_report_holds_the_hand_counted_figures_in_pdf_and_docx(
        harness: Harness, database_url: str, tmp_path: Path) -> None:
    await with_indicators(harness)
    out = tmp_path / "report.pdf"
    result = await run(database_url, "report", "--community", "Plans Apart", "--format", "pdf",
                       "--output", str(out), "--json")
    assert result.exit_code == 0, result.output
    said = json.loads(result.output)
    assert (said["community"], said["format"], said["stories"]) == ("Plans Apart", "pdf", 2)
    shoot(out, "report-en")
    text = lines(pdf_text(out))

    # The cover, then participation as the glossary counts it (Wes withdrew: in no count).
    assert "Plans Apart" in text and texts.REPORT_TITLE in text
    assert texts.REPORT_PERIOD.format(period=texts.PERIOD_ALL_TIME) in text
    for label, value in ((texts.REPORT_EVENTS, "1"), (texts.REPORT_ASKED, "5"),
                         (texts.REPORT_ATTENDED, "5"), (texts.REPORT_ANSWERED, "5"),
                         (texts.REPORT_COMPLETED, "5"), (texts.REPORT_RESPONSE_RATE, "100%")):
        assert f"{label} {value}" in text
    # The plans pipeline: 4 made, 3 followed up, 2 done, 1 made a difference.
    for label, value in ((texts.DASHBOARD_PLANS_MADE, "4"), (texts.DASHBOARD_PLANS_FOLLOWED, "3"),
                         (texts.DASHBOARD_PLANS_DONE, "2"),
                         (texts.DASHBOARD_PLANS_DIFFERENCE, "1")):
        assert f"{label} {value}" in text
    # The matrix's cycles as columns, each with its evidence: applied is only what was done.
    flat = " ".join(text)
    for name in texts.CYCLE_NAMES.values():
        assert name in flat
    assert "2 narratives from 2 members" in flat  # applied: Ana's and Ben's, never a plan
    # Each indicator under its cycle, with the counts derived from its evidence.
    page = words_on(out, texts.REPORT_MATRIX)
    in_order = " ".join(lines(pdf_text(out, layout=False)))  # each cell's words together
    for cycle, _, statement, _, (n, st, mb) in INDICATORS:
        x, y = at(page, statement)
        assert column_of(page, x, texts.CYCLE_NAMES) == cycle, statement
        assert y > at(page, texts.CYCLE_NAMES[cycle])[1]
        assert texts.REPORT_INDICATOR_EVIDENCE.format(
            narratives=texts.plural(n, "narrative"), stories=texts.plural(st, "story"),
            members=texts.plural(mb, "member")) in in_order
    assert texts.REPORT_INDICATOR_UNCHECKED in in_order
    # The applied indicator's quote, under a pseudonym whose hyphen never breaks the line.
    assert f"“{DONE['ana']}” (P{NON_BREAKING_HYPHEN}" in in_order
    assert column_of(page, at(page, texts.REPORT_NO_INDICATORS)[0],
                     texts.CYCLE_NAMES) == "reframing"
    # The stories traced across cycles: Ana's (realised value) first, then Ben's (applied); no
    # other story did anything yet. Each plan is named as one, before what was done.
    stories = flat[flat.index(texts.REPORT_STORIES_FURTHEST):]
    assert stories.index(DONE["ana"]) < stories.index(DONE["ben"])
    assert stories.index(PLANS["ana"]) < stories.index(DONE["ana"])
    assert texts.STORY_STAGES["intended"] in stories
    assert not any(PLANS[n] in flat for n in ("cal", "dee"))
    assert "Wes" not in flat

    docx_out = tmp_path / "report.docx"
    result = await run(database_url, "report", "--community", "Plans Apart", "--format", "docx",
                       "--output", str(docx_out))
    assert result.exit_code == 0, result.output
    from docx import Document

    document = Document(str(docx_out))
    pairs = {row.cells[0].text: row.cells[1].text for t in document.tables[:2] for row in t.rows}
    assert pairs[texts.REPORT_ASKED] == "5" and pairs[texts.REPORT_ANSWERED] == "5"
    assert pairs[texts.REPORT_RESPONSE_RATE] == "100%"
    assert pairs[texts.DASHBOARD_PLANS_MADE] == "4" and pairs[texts.DASHBOARD_PLANS_DONE] == "2"
    grid = document.tables[2]
    assert [c.text for c in grid.rows[0].cells] == list(texts.CYCLE_NAMES.values())
    assert grid.rows[1].cells[2].text == "2 narratives from 2 members"
    columns = dict(zip(texts.CYCLE_NAMES, grid.rows[2].cells, strict=True))
    for cycle, _, statement, _, _ in INDICATORS:
        assert [c for c, cell in columns.items() if statement in cell.text] == [cycle]
    assert columns["reframing"].text == texts.REPORT_NO_INDICATORS


async def test_a_pseudonym_in_the_docx_is_never_split_at_its_hyphen(
        harness: Harness, database_url: str, tmp_path: Path) -> None:
    """A quote's pseudonym in the matrix's narrow columns stays on one line: the report sets its
    hyphen as a non-breaking one, which Word and LibreOffice never break at."""
    await with_indicators(harness)
    out = tmp_path / "report.docx"
    result = await run(database_url, "report", "--community", "Plans Apart", "--format", "docx",
                       "--output", str(out))
    assert result.exit_code == 0, result.output
    from docx import Document

    cells = dict(zip(texts.CYCLE_NAMES, Document(str(out)).tables[2].rows[2].cells, strict=True))
    quoted = re.sub("[\u2066-\u2069]", "", cells["applied"].text)
    assert re.search(f"“{re.escape(DONE['ana'])}” \\(P{NON_BREAKING_HYPHEN}[0-9A-Z]{{4}}\\)",
                     quoted), quoted
    assert "P-" not in quoted


async def test_a_community_in_arabic_gets_its_report_in_arabic_set_right_to_left(
        harness: Harness, database_url: str, tmp_path: Path) -> None:
    c = await with_indicators(harness)
    result = await run(database_url, "community", "set", "Plans Apart", "--language", "ar")
    assert result.exit_code == 0, result.output
    out = tmp_path / "report.pdf"
    result = await run(database_url, "report", "--community", "Plans Apart", "--format", "pdf",
                       "--output", str(out))
    assert result.exit_code == 0, result.output
    shoot(out, "report-ar")
    ar = texts.In("ar")
    assert ar.REPORT_TITLE != texts.REPORT_TITLE
    docx_out = tmp_path / "report.docx"
    result = await run(database_url, "report", "--community", str(c.id), "--format", "docx",
                       "--output", str(docx_out))
    assert result.exit_code == 0, result.output
    from docx import Document

    document = Document(str(docx_out))
    assert [c.text for c in document.tables[2].rows[0].cells] == [
        ar.CYCLE_NAMES[k] for k in texts.CYCLE_NAMES]
    normal = document.styles["Normal"].element
    assert normal.pPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}bidi") is not None


async def test_a_report_with_a_bad_period_or_an_existing_file_says_what_to_fix(
        harness: Harness, database_url: str, tmp_path: Path) -> None:
    await scenario(harness)
    out = tmp_path / "report.pdf"
    result = await run(database_url, "report", "--community", "Plans Apart", "--since", "soon",
                       "--format", "pdf", "--output", str(out))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "valuestory: 'soon' is not a period; try 30d, 8w or 2026-09-01"]
    out.write_bytes(b"mine")
    result = await run(database_url, "report", "--community", "Plans Apart", "--format", "pdf",
                       "--output", str(out))
    assert result.exit_code == 2 and "already exists" in result.output
    assert out.read_bytes() == b"mine"


CHINESE = "成员在讨论后更有信心分享模板"
ARABIC = "مساحة آمنة لطرح الأسئلة"


def test_words_that_look_like_markup_are_printed_as_written_in_any_script(tmp_path: Path) -> None:
    import datetime as dt

    from tests.unit.test_matrix_picture import a_matrix

    built = a_matrix(1)
    sneaky = '#set page(fill: red) *bold* $x^2$ <label> @ref ] [ "quoted" \\ `raw`'
    made = report.Report(
        community="#show: none", language="en", made_at=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
        matrix=built, indicators=(report.Indicator("immediate", None, sneaky, 1, 1, 1),
                                  report.Indicator("potential", "social", CHINESE, 2, 2, 2),
                                  report.Indicator("immediate", None, ARABIC, 1, 1, 1)),
        stories=(), featured=False)
    out = tmp_path / "sneaky.pdf"
    out.write_bytes(report.render(made, report.ReportFormat.PDF))
    shoot(out, "report-scripts")
    flat = " ".join(lines(pdf_text(out, layout=False)))
    assert CHINESE in flat.replace(" ", "")
    assert "#show: none" in flat
    assert "#set page(fill: red) *bold* $x^2$ <label> @ref ] [" in flat


async def test_the_slide_shows_the_indicators_under_their_cycles_in_the_communitys_language(
        harness: Harness, database_url: str, tmp_path: Path) -> None:
    from PIL import Image

    c = await with_indicators(harness)
    result = await run(database_url, "community", "set", "Plans Apart", "--language", "es")
    assert result.exit_code == 0, result.output
    slide_png, phone_png = tmp_path / "slide.png", tmp_path / "phone.png"
    result = await run(database_url, "matrix", "--community", "Plans Apart", "--png",
                       str(slide_png), "--slide")
    assert result.exit_code == 0, result.output
    assert Image.open(slide_png).size == (1920, 1080)
    if SHOTS:
        shutil.copy(slide_png, Path(SHOTS) / "slide-es.png")
    result = await run(database_url, "matrix", "--community", "Plans Apart", "--png",
                       str(phone_png))
    assert result.exit_code == 0, result.output

    async with harness.db.session() as session:
        found = await session.get(Community, c.id)
        assert found is not None
        built = await matrix.build_matrix(harness.db, found)
    # The phone's picture is drawn in the community's language now, its period label too.
    assert phone_png.read_bytes() == matrix.render_png(built, "es")
    es = texts.In("es")
    said = [(cycle, statement) for cycle, _, statement, _, _ in INDICATORS]
    words = [t.get_text() for ax in matrix.slide(built, "es", said).axes for t in ax.texts]
    assert es.MATRIX_PNG_SUBTITLE.format(
        period=es.PERIOD_ALL_TIME, narratives=es.plural(17, "narrative"),
        stories=es.plural(5, "story"), members=es.plural(5, "member")) in words
    headings = [w for w in words if w in {str(es.CYCLE_SHORT[k]).capitalize()
                                          for k in texts.CYCLE_SHORT} | {es.MATRIX_PNG_PLANS}]
    assert headings == [str(es.CYCLE_SHORT[k]).capitalize() for k in ("immediate", "potential")
                        ] + [es.MATRIX_PNG_PLANS] + [str(es.CYCLE_SHORT[k]).capitalize()
                                                     for k in ("applied", "realised", "reframing")]
    # Applied value counts what was done: 2 narratives, never the 4 plans.
    applied = words.index(str(es.CYCLE_SHORT["applied"]).capitalize())
    assert words[applied + 1] == es.plural(2, "narrative")
    for _, statement in said:
        assert any(statement in w.replace("\n", " ") for w in words), statement

    result = await run(database_url, "matrix", "--community", "Plans Apart", "--slide")
    assert result.exit_code == 2
    assert result.output.strip() == "valuestory: --slide shapes the --png picture: add --png FILE"


async def test_the_members_check_reaches_the_report_under_each_statement(
        harness: Harness, database_url: str, tmp_path: Path) -> None:
    from tests import seed
    from tests.clock import tick
    from tests.telegram.test_members_check import CONFIDENT, SAFE, _community
    from valuestory.usecases.times import utcnow

    en, es = texts.In("en"), texts.In("es")
    community = await _community(harness)
    carmen = harness.person(5101, "Carmen")
    await seed.grant(harness.db, carmen.user_id, "convener", community)
    alex = await seed.join(harness.person(5102, "Alex", language_code="en"), community)
    rosa = await seed.join(harness.person(5103, "Rosa", language_code="es"), community,
                           agree=es.BTN_AGREE)
    await carmen.say("/matrix share")
    await tick(harness, utcnow())
    # Alex: the first rings true, the second skipped; Rosa: not for her, then rings true.
    for person, taps in ((alex, (en.BTN_RINGS_TRUE, en.BTN_NEXT, en.BTN_SKIP)),
                         (rosa, (es.BTN_NOT_FOR_ME, es.BTN_NEXT, es.BTN_RINGS_TRUE,
                                 es.BTN_NEXT))):
        for button in taps:
            await person.tap(button)

    out = tmp_path / "report.pdf"
    result = await run(database_url, "report", "--community", community.name, "--format", "pdf",
                       "--output", str(out))
    assert result.exit_code == 0, result.output
    in_order = " ".join(lines(pdf_text(out, layout=False)))
    checked = {SAFE: texts.REPORT_INDICATOR_CHECK.format(asked=2, agreed=1, disagreed=1),
               CONFIDENT: texts.REPORT_INDICATOR_CHECK.format(asked=2, agreed=1, disagreed=0)}
    assert all(line in in_order for line in checked.values())
    # In the DOCX's table, each check sits in its statement's cell, under its cycle.
    out = tmp_path / "report.docx"
    result = await run(database_url, "report", "--community", community.name, "--format",
                       "docx", "--output", str(out))
    assert result.exit_code == 0, result.output
    from docx import Document

    cells = dict(zip(texts.CYCLE_NAMES, Document(str(out)).tables[2].rows[2].cells, strict=True))
    for cycle, statement in (("immediate", SAFE), ("potential", CONFIDENT)):
        said = re.sub("[\u2066-\u2069]", "", cells[cycle].text)
        assert statement in said and checked[statement] in said
