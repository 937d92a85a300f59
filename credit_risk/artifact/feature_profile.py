"""What a model saw in training, per feature: kind, range, categories, whether it was ever missing.

Logged in every model's MLmodel metadata (`feature_profile`), so a service can build a request
schema for any registered model without its training code or data: the fields are the model's
features, numbers must fall in the range training covered, a category must be one training saw,
and only a feature that was missing in training may be left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PROFILE_KEY", "FeatureProfile", "FieldProfile", "profile_frame", "read_profile"]

PROFILE_KEY = "feature_profile"
# More levels than this and a column is described by its count; the request accepts any text.
MAX_LISTED_CATEGORIES = 200


@dataclass(frozen=True)
class FieldProfile:
    """One feature as training saw it."""

    name: str
    kind: str  # "number" or "category"
    nullable: bool
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    categories: tuple[str, ...] | None = None  # None: too many levels to list

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["categories"] = None if self.categories is None else list(self.categories)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldProfile:
        categories = data.get("categories")
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            nullable=bool(data["nullable"]),
            minimum=None if data.get("minimum") is None else float(data["minimum"]),
            maximum=None if data.get("maximum") is None else float(data["maximum"]),
            integer=bool(data.get("integer", False)),
            categories=None if categories is None else tuple(str(c) for c in categories),
        )


@dataclass(frozen=True)
class FeatureProfile:
    """The model's features in input order."""

    fields: tuple[FieldProfile, ...]

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def numeric(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.kind == "number")

    @property
    def categorical(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.kind == "category")

    def to_dict(self) -> dict[str, Any]:
        return {"fields": [f.to_dict() for f in self.fields]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureProfile:
        return cls(tuple(FieldProfile.from_dict(f) for f in data["fields"]))

    def problems(self, row: Mapping[str, Any]) -> list[str]:
        """What is wrong with one row of model input, each naming the column (empty when fine)."""
        found = []
        for spec in self.fields:
            value: Any = row.get(spec.name)
            if _missing(value):
                if not spec.nullable:
                    found.append(f"{spec.name}: missing (training never saw it missing)")
                continue
            if spec.kind == "category":
                if spec.categories is not None and str(value) not in spec.categories:
                    found.append(f"{spec.name}: a category training never saw")
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                found.append(f"{spec.name}: not a number")
                continue
            if not np.isfinite(number):
                found.append(f"{spec.name}: not a finite number")
            elif spec.minimum is not None and number < spec.minimum:
                found.append(f"{spec.name}: below {spec.minimum:g}, the smallest seen in training")
            elif spec.maximum is not None and number > spec.maximum:
                found.append(f"{spec.name}: above {spec.maximum:g}, the largest seen in training")
        return found


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def profile_frame(
    frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
) -> FeatureProfile:
    """The profile of the model's columns in `frame` (the training split)."""
    fields = []
    for name in numeric:
        values = pd.to_numeric(frame[name].astype("float64"), errors="coerce")
        present = values.dropna()
        fields.append(
            FieldProfile(
                name=name,
                kind="number",
                nullable=bool(values.isna().any()),
                minimum=None if present.empty else float(present.min()),
                maximum=None if present.empty else float(present.max()),
                integer=bool(not present.empty and (present == present.round()).all()),
            )
        )
    for name in categorical:
        values = frame[name]
        levels = sorted({str(v) for v in values.dropna()})
        fields.append(
            FieldProfile(
                name=name,
                kind="category",
                nullable=bool(values.isna().any()),
                categories=tuple(levels) if len(levels) <= MAX_LISTED_CATEGORIES else None,
            )
        )
    return FeatureProfile(tuple(fields))


def read_profile(model_uri: str) -> FeatureProfile:
    """The feature profile logged with a model; a clear error for models logged before it."""
    from mlflow.models import get_model_info

    recorded = (get_model_info(model_uri).metadata or {}).get(PROFILE_KEY)
    if recorded is None:
        raise ValueError(
            f"{model_uri} was logged without a feature profile (before it was recorded), so "
            "no request schema can be built for it; retrain it to serve it"
        )
    return FeatureProfile.from_dict(recorded)
