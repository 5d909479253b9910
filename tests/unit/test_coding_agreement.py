"""Agreement between coders, checked against worked examples whose values are published."""

from __future__ import annotations

import pytest

from valuestory.usecases.coding.agreement import cohen_kappa, for_code, krippendorff_alpha


def test_kappa_matches_the_textbook_grant_example() -> None:
    # Two readers of 50 grant proposals: 20 both yes, 5 first yes only, 10 second yes only,
    # 15 both no. Observed agreement 0.70, chance 0.50, kappa 0.40 (the example in Cohen's
    # kappa's encyclopaedia entry).
    first = [1] * 20 + [1] * 5 + [0] * 10 + [0] * 15
    second = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert round(cohen_kappa(first, second) or 0, 3) == 0.400


def test_alpha_matches_krippendorffs_binary_two_observer_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section A: two observers,
    # ten units, binary values; alpha = 0.095.
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert round(krippendorff_alpha([a, b]) or 0, 3) == 0.095


def test_a_code_compares_only_narratives_every_coder_saw() -> None:
    # Ann and Ben both saw 1-10; Ben also saw 11 and 12, which Ann never reached: those two don't
    # count, even though Ben coded 11. Left uncoded but seen counts as "not this code".
    seen = {"Ann": set(range(1, 11)), "Ben": set(range(1, 13))}
    coded = {"Ann": {2, 9}, "Ben": {1, 2, 3, 6, 11}}
    result = for_code("safe space", seen, coded)
    assert result.coders == ("Ann", "Ben")
    assert result.units == 10
    assert result.percent == 60.0  # units 2, 4, 5, 7, 8, 10 agree
    # The same values as Krippendorff's binary example above, so the same alpha.
    assert round(result.alpha or 0, 3) == 0.095
    assert round(result.kappa or 0, 3) == 0.091  # (0.60 - 0.56) / (1 - 0.56)
    assert result.to_dict() == {"code": "safe space", "coders": ["Ann", "Ben"], "units": 10,
                                "percent": 60.0, "kappa": 0.091, "alpha": 0.095}


def test_three_coders_get_alpha_but_no_kappa() -> None:
    seen = {c: {1, 2, 3, 4} for c in ("Ann", "Ben", "Cai")}
    coded = {"Ann": {1, 2}, "Ben": {1, 2}, "Cai": {1}}
    result = for_code("energy", seen, coded)
    assert result.units == 4 and result.kappa is None
    assert result.percent == 75.0
    assert result.alpha is not None and 0 < result.alpha < 1


@pytest.mark.parametrize("coded", [{"Ann": set(), "Ben": set()},
                                   {"Ann": {1, 2}, "Ben": {1, 2}}])
def test_a_code_nobody_or_everybody_used_everywhere_has_no_kappa_or_alpha(coded) -> None:
    # All agree, but chance alone would have them agree: neither statistic is defined.
    result = for_code("x", {"Ann": {1, 2}, "Ben": {1, 2}}, coded)
    assert result.percent == 100.0
    assert result.kappa is None and result.alpha is None


def test_one_coder_or_no_shared_narrative_gives_nothing_to_compare() -> None:
    assert for_code("x", {"Ann": {1}}, {"Ann": {1}}).units == 0
    none_shared = for_code("x", {"Ann": {1}, "Ben": {2}}, {"Ann": {1}, "Ben": {2}})
    assert none_shared.units == 0 and none_shared.percent is None
