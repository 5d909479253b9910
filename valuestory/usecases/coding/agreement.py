"""Agreement between coders, per code: percent agreement, Cohen's kappa and Krippendorff's alpha.

The units are narratives, and a coder's value on a unit is whether they applied the code to it
(anywhere in it). Only narratives every compared coder has seen count: one a coder saw and left
uncoded is "not this code" for them, one they never saw is left out, so agreement is neither
inflated by text nobody read nor lowered by text one coder never reached.

Alpha comes from the `krippendorff` package (nominal level); Cohen's kappa, defined for two coders
only, is its textbook formula. Where every unit got the same value from everyone, chance
agreement is total and both are undefined: they are None, never a made-up 1 or 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

import krippendorff


@dataclass(frozen=True)
class Agreement:
    """One code's agreement over the units every compared coder has seen."""

    code: str
    coders: tuple[str, ...]
    units: int
    percent: float | None  # share of units on which all compared coders agree, 0-100
    kappa: float | None  # Cohen's, two coders only
    alpha: float | None  # Krippendorff's, nominal, two or more coders

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "coders": list(self.coders), "units": self.units,
                "percent": _round(self.percent), "kappa": _round(self.kappa),
                "alpha": _round(self.alpha)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def cohen_kappa(first: Sequence[int], second: Sequence[int]) -> float | None:
    """Cohen's kappa of two coders' values on the same units; None where chance explains all."""
    if len(first) != len(second):
        raise ValueError("both coders must have a value for every unit")
    n = len(first)
    if n == 0:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    values = set(first) | set(second)
    expected = sum((first.count(v) / n) * (second.count(v) / n) for v in values)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(rows: Sequence[Sequence[int]]) -> float | None:
    """Krippendorff's alpha, nominal, of coders' rows of values on the same units."""
    if len(rows) < 2 or not rows[0]:
        return None
    if len({value for row in rows for value in row}) < 2:
        return None  # one value everywhere: no disagreement to measure against
    return float(krippendorff.alpha(reliability_data=[list(r) for r in rows],
                                    level_of_measurement="nominal"))


def for_code(code: str, seen: Mapping[str, Set[int]], coded: Mapping[str, Set[int]]) -> Agreement:
    """Agreement on one code among the coders in `seen` (coder label -> narratives they saw),
    `coded` giving, per coder, the narratives they applied this code to."""
    coders = tuple(sorted(seen))
    if len(coders) < 2:
        return Agreement(code, coders, 0, None, None, None)
    units = sorted(set.intersection(*(set(seen[c]) for c in coders)))
    rows = [[1 if unit in coded.get(c, set()) else 0 for unit in units] for c in coders]
    if not units:
        return Agreement(code, coders, 0, None, None, None)
    agreeing = sum(len({row[i] for row in rows}) == 1 for i in range(len(units)))
    percent = 100.0 * agreeing / len(units)
    kappa = cohen_kappa(rows[0], rows[1]) if len(coders) == 2 else None
    return Agreement(code, coders, len(units), percent, kappa, krippendorff_alpha(rows))
