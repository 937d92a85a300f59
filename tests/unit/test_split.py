"""Time and random splits: latest months are test, no overlap, clear errors on bad splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_risk.labelled_features import data_hash
from training.data import random_split, time_split


def monthly_frame(months: int = 12, per_month: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=months * 30, freq="D")
    applied_on = rng.choice(days, size=months * per_month)
    return pd.DataFrame(
        {
            "application_id": np.arange(months * per_month),
            "applied_on": applied_on,
            "is_default": (np.arange(months * per_month) % 4 == 0).astype(int),
        }
    )


def test_time_split_puts_latest_months_in_test_and_previous_in_validation() -> None:
    frame = monthly_frame()
    split = time_split(frame, test_months=2, validation_months=3)
    last = frame["applied_on"].max().to_period("M")
    assert set(split.test["applied_on"].dt.to_period("M")) == {last, last - 1}
    assert set(split.validation["applied_on"].dt.to_period("M")) == {last - 2, last - 3, last - 4}
    assert split.train["applied_on"].max() < split.validation["applied_on"].min()
    assert split.validation["applied_on"].max() < split.test["applied_on"].min()


def test_time_split_has_no_overlap_and_loses_no_rows() -> None:
    frame = monthly_frame()
    split = time_split(frame, test_months=3, validation_months=3)
    ids = [set(part["application_id"]) for part in split.parts().values()]
    assert sum(len(i) for i in ids) == len(frame)
    assert not (ids[0] & ids[1]) and not (ids[1] & ids[2]) and not (ids[0] & ids[2])


def test_boundaries_are_iso_dates_in_order() -> None:
    split = time_split(monthly_frame(), test_months=3, validation_months=3)
    b = split.boundaries()
    assert list(b) == [
        "train_start",
        "train_end",
        "validation_start",
        "validation_end",
        "test_start",
        "test_end",
    ]
    assert b["train_end"] < b["validation_start"] <= b["validation_end"] < b["test_start"]
    assert pd.Timestamp(b["test_start"]).day == 1  # whole calendar months


def test_calendar_months_count_even_when_a_month_has_no_rows() -> None:
    frame = monthly_frame()
    last = frame["applied_on"].max().to_period("M")
    gap = frame[frame["applied_on"].dt.to_period("M") != last - 1]
    split = time_split(gap, test_months=2, validation_months=2)
    assert set(split.test["applied_on"].dt.to_period("M")) == {last}


def test_empty_split_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="train split is empty"):
        time_split(monthly_frame(months=4), test_months=2, validation_months=2)


def test_one_class_split_is_a_clear_error() -> None:
    frame = monthly_frame()
    last = frame["applied_on"].max().to_period("M")
    frame.loc[frame["applied_on"].dt.to_period("M") == last, "is_default"] = 0
    with pytest.raises(ValueError, match="test split has only goods"):
        time_split(frame, test_months=1, validation_months=1)


def test_random_split_is_stratified_60_20_20() -> None:
    frame = monthly_frame(months=10, per_month=100)
    split = random_split(frame, "is_default", seed=1)
    sizes = [len(p) for p in split.parts().values()]
    assert sizes == [600, 200, 200]
    for part in split.parts().values():
        assert part["is_default"].mean() == pytest.approx(0.25, abs=0.01)
    assert split.boundaries() == {}


def test_random_split_rejects_one_class() -> None:
    frame = monthly_frame().assign(is_default=0)
    with pytest.raises(ValueError, match="one class"):
        random_split(frame, "is_default")


def test_data_hash_changes_with_content() -> None:
    frame = monthly_frame()
    assert data_hash(frame) == data_hash(frame.copy())
    changed = frame.copy()
    changed.loc[0, "is_default"] = 1 - changed.loc[0, "is_default"]
    assert data_hash(changed) != data_hash(frame)
