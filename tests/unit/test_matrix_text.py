"""/matrix in chat leads with the value indicators and stays one Telegram message, however many
statements a community has written."""

from __future__ import annotations

import dataclasses

from flows import texts
from flows.engine import MAX_MESSAGE_CHARS
from tests.unit.test_matrix_picture import a_matrix
from valuestory.usecases import matrix
from valuestory.usecases.indicators import IndicatorView


def test_a_matrix_without_indicators_says_how_to_add_them() -> None:
    for language in ("en", "es", "ar"):
        said = matrix.render_text(dataclasses.replace(a_matrix(1), indicators=()), language)
        assert texts.In(language).MATRIX_INDICATORS_NONE in said


def test_many_long_statements_are_listed_fewer_per_cycle_with_how_many_more() -> None:
    long = "Members say the sessions changed how they talk to patients and colleagues " * 4
    many = tuple(IndicatorView(n, cycle, None, f"{n}: {long}"[:300], n, "active", None, 3, 2, 2)
                 for n, cycle in enumerate(matrix.CYCLES * 6))
    for language in ("en", "es", "pl", "ar"):
        said = matrix.render_text(dataclasses.replace(a_matrix(3), indicators=many), language)
        assert len(said) <= MAX_MESSAGE_CHARS
        more = texts.In(language).MATRIX_INDICATORS_MORE.partition("{")[0]
        assert said.count(more) == len(matrix.CYCLES)
        # The counts follow, as before.
        assert texts.In(language).MATRIX_PARTICIPATION.partition(":")[0] in said
