"""Disparate impact and the four-fifths rule on constructed approval rates."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from training.fairness import disparate_impact


def decisions(rates: dict[str, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Approved flags and group labels from {group: (approved, total)}."""
    approved, group = [], []
    for name, (yes, total) in rates.items():
        approved += [True] * yes + [False] * (total - yes)
        group += [name] * total
    return np.array(approved), np.array(group)


def test_ratio_of_0_7_fails_four_fifths() -> None:
    # 35/100 over 50/100 = 0.7 < 0.8.
    result = disparate_impact(*decisions({"female": (35, 100), "male": (50, 100)}))
    assert result.reference_group == "male"
    assert result.approval_rates == pytest.approx({"female": 0.35, "male": 0.5})
    assert result.min_ratio == pytest.approx(0.7)
    assert result.worst_group == "female"
    assert not result.passes_four_fifths


def test_ratio_of_0_9_passes_four_fifths() -> None:
    # 45/100 over 50/100 = 0.9.
    result = disparate_impact(*decisions({"female": (45, 100), "male": (50, 100)}))
    assert result.min_ratio == pytest.approx(0.9)
    assert result.passes_four_fifths


def test_exactly_four_fifths_passes() -> None:
    result = disparate_impact(*decisions({"a": (40, 100), "b": (50, 100)}))
    assert result.passes_four_fifths


def test_small_groups_are_reported_but_not_judged() -> None:
    # "other" has 10 rows and no approvals: a ratio of 0, but below min_group_size=30.
    approved, group = decisions({"female": (45, 100), "male": (50, 100), "other": (0, 10)})
    result = disparate_impact(approved, group)
    assert result.excluded_groups == ("other",)
    assert result.approval_rates["other"] == 0.0
    assert result.ratios["other"] == 0.0
    assert result.min_ratio == pytest.approx(0.9)
    assert result.passes_four_fifths
    assert not disparate_impact(approved, group, min_group_size=5).passes_four_fifths


def test_explicit_reference_group() -> None:
    # Against "26-35" (0.4): "18-25" at 0.3 → 0.75 (fails), "56+" at 0.6 → 1.5.
    approved, group = decisions({"18-25": (30, 100), "26-35": (40, 100), "56+": (60, 100)})
    result = disparate_impact(pd.Series(approved), pd.Series(group), reference="26-35")
    assert result.reference_group == "26-35"
    assert result.ratios == pytest.approx({"18-25": 0.75, "26-35": 1.0, "56+": 1.5})
    assert result.min_ratio == pytest.approx(0.75)
    assert not result.passes_four_fifths


def test_to_dict_is_flat_numeric_and_metric_safe() -> None:
    approved, group = decisions({"18-25": (30, 100), "56+": (60, 100)})
    flat = disparate_impact(approved, group).to_dict(prefix="di_age_")
    assert flat["di_age_min_ratio"] == pytest.approx(0.5)
    assert flat["di_age_passes_four_fifths"] == 0.0
    assert flat["di_age_approval_rate_56plus"] == pytest.approx(0.6)
    assert flat["di_age_ratio_18-25"] == pytest.approx(0.5)
    assert flat["di_age_count_18-25"] == 100.0
    assert all(isinstance(v, float) for v in flat.values())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: disparate_impact([True, False], ["a"]), "mismatched lengths: approved has 2"),
        (lambda: disparate_impact([], []), "approved: is empty"),
        (lambda: disparate_impact([2, 1], ["a", "b"]), "approved: labels must be 0/1"),
        (lambda: disparate_impact([1, 0], ["a", None]), "group: 1 missing"),
        (lambda: disparate_impact([1, 0], ["a", "b"]), "group: no group has at least"),
        (
            lambda: disparate_impact(*decisions({"a": (5, 40)}), reference="z"),
            "reference: group 'z' not found",
        ),
        (
            lambda: disparate_impact(*decisions({"a": (5, 40), "b": (1, 3)}), reference="b"),
            "reference: group 'b' has 3 rows",
        ),
        (
            lambda: disparate_impact(*decisions({"a": (0, 40)})),
            "approved: reference group 'a' has no approvals",
        ),
    ],
)
def test_bad_inputs_raise_naming_the_argument(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
