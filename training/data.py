"""Training data: features joined to mature labels, and the out-of-time (or random) split."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from credit_risk.labelled_features import DATE_COLUMN, TARGET

__all__ = ["Split", "random_split", "split_for_training", "time_split"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Split:
    """Train / validation / test frames and how they were cut."""

    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    kind: str  # "time" or "random"
    date_col: str | None = None

    def parts(self) -> dict[str, pd.DataFrame]:
        return {"train": self.train, "validation": self.validation, "test": self.test}

    def boundaries(self) -> dict[str, str]:
        """First and last date of each part as ISO strings (empty for a random split)."""
        if self.date_col is None:
            return {}
        out: dict[str, str] = {}
        for part, frame in self.parts().items():
            dates = pd.to_datetime(frame[self.date_col])
            out[f"{part}_start"] = dates.min().date().isoformat()
            out[f"{part}_end"] = dates.max().date().isoformat()
        return out

    def row_counts(self) -> dict[str, int]:
        return {f"{part}_rows": len(frame) for part, frame in self.parts().items()}


def _check_part(name: str, frame: pd.DataFrame, target: str, where: str) -> None:
    if frame.empty:
        raise ValueError(f"{name} split is empty ({where}); use more data or fewer held-out months")
    classes = frame[target].nunique()
    if classes < 2:
        only = "bads" if bool(frame[target].iloc[0]) else "goods"
        raise ValueError(
            f"{name} split has only {only} ({len(frame)} rows, {where}); "
            "it needs both classes — use more data or a longer window"
        )


def time_split(
    frame: pd.DataFrame,
    date_col: str = DATE_COLUMN,
    test_months: int = 3,
    validation_months: int = 3,
    target: str = TARGET,
) -> Split:
    """Out-of-time split by calendar month: latest months test, the months before validation."""
    if date_col not in frame.columns:
        raise ValueError(f"date column {date_col!r} not in the frame; columns are {list(frame)}")
    if test_months < 1 or validation_months < 1:
        raise ValueError("test_months and validation_months must be at least 1")
    dates = pd.to_datetime(frame[date_col])
    if dates.isna().any():
        raise ValueError(f"column {date_col!r}: {int(dates.isna().sum())} missing dates")
    month = dates.dt.to_period("M")
    last = month.max()
    test_start = last - (test_months - 1)
    validation_start = test_start - validation_months
    is_test = (month >= test_start).to_numpy()
    is_validation = ((month >= validation_start) & (month < test_start)).to_numpy()
    is_train = ~(is_test | is_validation)
    split = Split(
        train=frame.loc[is_train].reset_index(drop=True),
        validation=frame.loc[is_validation].reset_index(drop=True),
        test=frame.loc[is_test].reset_index(drop=True),
        kind="time",
        date_col=date_col,
    )
    _check_part("train", split.train, target, f"before {validation_start}")
    _check_part("validation", split.validation, target, f"{validation_start} to {test_start - 1}")
    _check_part("test", split.test, target, f"{test_start} to {last}")
    return split


def random_split(frame: pd.DataFrame, target: str = TARGET, seed: int = 42) -> Split:
    """Stratified 60/20/20 split for data without a usable date column."""
    from sklearn.model_selection import train_test_split

    if frame.empty:
        raise ValueError("cannot split an empty frame")
    counts = frame[target].value_counts()
    if len(counts) < 2:
        raise ValueError(f"target {target!r} has one class only ({counts.index[0]!r})")
    if counts.min() < 5:
        raise ValueError(
            f"target {target!r}: the minority class has {counts.min()} rows; "
            "a stratified 60/20/20 split needs at least 5"
        )
    train, rest = train_test_split(frame, test_size=0.4, stratify=frame[target], random_state=seed)
    validation, test = train_test_split(
        rest, test_size=0.5, stratify=rest[target], random_state=seed
    )
    split = Split(
        train=train.reset_index(drop=True),
        validation=validation.reset_index(drop=True),
        test=test.reset_index(drop=True),
        kind="random",
    )
    for name, part in split.parts().items():
        _check_part(name, part, target, "random stratified split")
    return split


def split_for_training(
    frame: pd.DataFrame,
    target: str,
    date_col: str | None,
    test_months: int,
    validation_months: int,
    seed: int,
) -> Split:
    """Out-of-time when there is a date column, else stratified random: the one rule that
    training and the promotion gate share, so the gate judges on the split training used."""
    if date_col:
        return time_split(frame, date_col, test_months, validation_months, target=target)
    return random_split(frame, target, seed)
