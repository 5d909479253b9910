"""The matrix picture reads on a phone: 1080 px wide, one event or sixty, words in any script."""

from __future__ import annotations

import datetime as dt
import io
import warnings

import pytest
from PIL import Image

from flows import texts
from valuestory.usecases import matrix
from valuestory.usecases.indicators import Check, IndicatorView
from valuestory.usecases.matrix.picture import _fonts, drawable, wrap

T0 = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)
WORDS = {
    "arabic": "تعلمت كيف نشارك القالب مع الفريق في العيادة القادمة",
    "chinese": "我学会了如何与下一个信托的营养师分享模板，这对我们的诊所很有帮助。",
    "greek": "Έμαθα πώς να μοιράζομαι το πρότυπο με την ομάδα",
    "emoji": "Meeting the dietitian was the best part 🎉👍",
}
LONG_TITLE = ("Monthly case review: insulin timing, CGM traces and shared templates across the "
              "trusts of the region")


# Statements as a community writes them, in several scripts; five under potential value, more
# than its column shows.
STATEMENTS = (("immediate", "It's a safe space", 6, 5, Check(4, 3, 1)),
              ("immediate", WORDS["arabic"], 2, 2, Check()),
              ("potential", "Members have increased confidence in talking to patients", 4, 3, Check()),
              ("potential", WORDS["chinese"], 3, 3, Check(5, 5, 0)),
              ("potential", "New contacts across trusts", 2, 2, Check()),
              ("potential", "Shared templates", 1, 1, Check()),
              ("potential", "A reading list", 1, 1, Check()),
              ("realised", "Following the policy change, waiting times to clinic reduced", 2, 1,
               Check()))


def a_matrix(events: int) -> matrix.Matrix:
    rows = tuple(matrix.EventRow(
        i, LONG_TITLE if i % 2 else f"Webinar {i} 糖尿病 مرحبا", T0 + dt.timedelta(days=7 * i),
        (1, i % 3, i % 2, 0, 0), matrix.Participation(1, 4, 3, 2, 1, 0)) for i in range(events))
    said = list(WORDS.values())
    columns = tuple(matrix.Column(
        cycle, sum(r.cells[k] for r in rows), 3, 0,
        tuple(matrix.Excerpt(f"P-{k}{j}", said[(k + j) % 4], T0) for j in range(3)), 2)
        for k, cycle in enumerate(matrix.CYCLES))
    traced = matrix.TracedStory("P-TRACE", LONG_TITLE, (
        matrix.TracedStep("immediate", False, WORDS["greek"]),
        matrix.TracedStep("potential", False, WORDS["chinese"]),
        matrix.TracedStep("applied", True, WORDS["arabic"]),
        matrix.TracedStep("applied", False, "I used the template in clinic.")))
    total = matrix.Participation(events, 4 * events, 3 * events, 2 * events, events, 0)
    shown = tuple(IndicatorView(n, cycle, None, said_, n, "active", None, narratives, stories,
                                narratives, check=check)
                  for n, (cycle, said_, narratives, stories, check) in enumerate(STATEMENTS))
    return matrix.Matrix("Diabetes in Pregnancy", "Europe/London", matrix.Period(), T0, None,
                         columns, 12, (), total, 9, 1, rows, traced, indicators=shown)


def words_of(m: matrix.Matrix) -> list[str]:
    return [t.get_text() for ax in matrix.picture(m).axes for t in ax.texts]


@pytest.mark.parametrize("events", [1, 60])
def test_picture_is_1080_px_wide_and_draws_every_glyph_it_keeps(events: int) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = matrix.render_png(a_matrix(events))
    assert Image.open(io.BytesIO(png)).size[0] == 1080
    assert not [w for w in caught if "missing from" in str(w.message)]


def test_sixty_events_show_the_most_recent_and_say_how_many_are_left_out() -> None:
    words = words_of(a_matrix(60))
    assert texts.MATRIX_PNG_EARLIER.format(events=texts.plural(46, "event")) in words
    assert "Webinar 58 糖尿病 مرحبا" in words and "Webinar 0 糖尿病 مرحبا" not in words
    # The totals row counts every event, shown or not.
    totals = words[words.index(texts.MATRIX_PNG_TOTAL) + 1:][:2]
    assert totals == ["60", "3 members"]
    assert "60 events · 240 asked · 180 attended · 120 answered (50%) · 60 completed" in words


def test_one_event_has_its_row_its_totals_and_a_story_traced_across_cycles() -> None:
    words = words_of(a_matrix(1))
    assert texts.MATRIX_PNG_EARLIER.partition("}")[2] not in " ".join(words)
    assert "Webinar 0 糖尿病 مرحبا" in words
    traced = texts.MATRIX_PNG_TRACED.format(pseudonym="P-TRACE", event="Monthly case review")
    assert any(w.startswith(traced) for w in words)
    # The plan of the story is named as a plan, not as applied value.
    assert "Planned" in words and "Applied (intended)" not in words


def test_words_keep_every_script_a_font_covers_and_drop_what_none_does() -> None:
    families, _ = _fonts()
    assert drawable(WORDS["greek"]) == WORDS["greek"]
    assert drawable(WORDS["arabic"]) == WORDS["arabic"]
    if "WenQuanYi Zen Hei" in families or any("CJK" in f for f in families):
        assert drawable(WORDS["chinese"]) == WORDS["chinese"]
    else:
        assert "…" in drawable(WORDS["chinese"])
    assert drawable(WORDS["emoji"]).startswith("Meeting the dietitian was the best part")


def test_wrapping_breaks_scripts_without_spaces_and_counts_wide_characters_twice() -> None:
    lines = wrap(WORDS["chinese"], 20)
    assert all(len(line) <= 10 for line in lines) and "".join(lines) == WORDS["chinese"]
    assert wrap("one two three", 7) == ["one two", "three"]


@pytest.mark.parametrize("events", [1, 60])
def test_every_word_on_the_picture_stays_inside_its_width(events: int) -> None:
    figure = matrix.picture(a_matrix(events))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    right = figure.bbox.x1
    overflowing = [t.get_text()[:40] for ax in figure.axes for t in ax.texts
                   if t.get_text().strip() and t.get_window_extent(renderer).x1 > right + 1]
    assert overflowing == []
