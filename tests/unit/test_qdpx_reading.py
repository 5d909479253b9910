"""Reading a project back: passages re-anchored whatever line endings the other tool wrote, and
the narratives' source guids mapped back exactly as the exports make them."""

from __future__ import annotations

from valuestory.usecases.coding.qdpx import anchor
from valuestory.usecases.exports.refiqda import guid, narrative_guids


def test_every_narratives_guid_maps_back_to_it_as_the_exports_make_it() -> None:
    ids = [1, 2, 9, 10, 99, 12345, 1_000_000, 987_654_321]
    assert narrative_guids(ids) == {guid("narrative", n): n for n in ids}


def test_a_passage_in_a_crlf_copy_lands_on_the_same_words_in_ours() -> None:
    ours = "first line\nsecond line with energy\nthird"
    theirs = ours.replace("\n", "\r\n")
    start = theirs.index("energy")
    assert anchor(ours, theirs, start, start + 6) == (ours.index("energy"),
                                                      ours.index("energy") + 6)
    # A passage across a line break keeps its break, as our text has it.
    across = theirs.index("line with")
    spot = anchor(ours, theirs, across, theirs.index("third"))
    assert spot is not None and ours[spot[0]:spot[1]] == "line with energy\n"


def test_without_the_tools_copy_positions_are_ours_if_they_fit() -> None:
    assert anchor("hello world", None, 6, 11) == (6, 11)
    assert anchor("hello", None, 2, 40) is None


def test_words_that_are_not_in_our_text_are_not_anchored_anywhere() -> None:
    assert anchor("we met the dietitian", "we met the pharmacist", 11, 21) is None
    # Moved words are found where they are now, nearest the old place.
    assert anchor("a new start: we met the dietitian", "we met the dietitian", 11, 20) == (24, 33)
