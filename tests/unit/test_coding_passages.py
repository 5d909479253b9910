"""A narrative's text cut into the pieces the coding view marks: every character once, in order,
each piece with the passages covering it (outermost first) and the numbers of those ending there."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from valuestory.dashboard.coding import Piece, pieces
from valuestory.usecases.coding import CodingView

AT = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def coding(code_id: int, start: int | None, end: int | None) -> CodingView:
    return CodingView(code_id, 1, code_id, f"code {code_id}", "#888888", "AK", start, end, None, AT)


def test_overlapping_passages_nest_and_each_is_numbered_where_it_ends() -> None:
    text = "601 felt safe to ask a silly question"
    found = pieces(text, [coding(7, None, None), coding(8, 4, 13), coding(9, 9, 20)])
    assert found == [
        Piece("601 ", (), ()),
        Piece("felt ", ((2, 8),), ()),
        Piece("safe", ((2, 8), (3, 9)), (2,)),
        Piece(" to ask", ((3, 9),), (3,)),
        Piece(" a silly question", (), ()),
    ]


def test_a_narrative_coded_only_as_a_whole_is_one_plain_piece() -> None:
    assert pieces("All of it", [coding(1, None, None)]) == [Piece("All of it", (), ())]


@given(st.text(min_size=1, max_size=40), st.lists(st.tuples(st.integers(0, 40), st.integers(1, 40)),
                                                  max_size=6))
def test_the_pieces_always_spell_the_text_and_cover_each_passage_exactly(
        text: str, spans: list[tuple[int, int]]) -> None:
    chosen = [coding(i + 1, a, b) for i, (a, b) in enumerate(spans) if a < b <= len(text)]
    found = pieces(text, chosen)
    assert "".join(p.text for p in found) == text
    at = 0
    for p in found:
        for number, _ in p.covered:
            c = chosen[number - 1]
            assert c.start is not None and c.end is not None
            assert c.start <= at and at + len(p.text) <= c.end
        at += len(p.text)
    assert sorted(n for p in found for n in p.ends) == list(range(1, len(chosen) + 1))
