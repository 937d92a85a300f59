"""Bring your own data: validate a CSV, store it in PostgreSQL, train the candidates on it."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from credit_risk.artifact.feature_spec import FeatureSpec
from credit_risk.contract import age_band
from credit_risk.protected_attributes import is_protected, normalised
from training.candidates import BENCHMARK
from training.threshold import CostMatrix

__all__ = ["BYO_SCHEMA", "CsvData", "read_csv", "store_frame", "table_name", "train_on_csv"]

log = logging.getLogger(__name__)

BYO_SCHEMA = "byo"
# A column is numeric-looking when at least this share of its non-empty values parse as numbers;
# the rest are then typos to report, not categories.
NUMERIC_SHARE = 0.9
BINARY_LABELS = ({"0", "1"}, {"false", "true"}, {"no", "yes"}, {"n", "y"})


@dataclass(frozen=True)
class CsvData:
    """A validated CSV: typed frame (target as 0/1) and the inferred column kinds."""

    frame: pd.DataFrame
    target: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    date_col: str | None
    # Kept beside the data for the fairness check, never features.
    protected: tuple[str, ...] = ()
    # Columns left out of the features, and why (unique per row, constant).
    dropped: dict[str, str] = field(default_factory=dict)


def table_name(name: str) -> str:
    """A safe PostgreSQL identifier from a free-form name ("My Loans!" → "my_loans")."""
    cleaned = re.sub(r"[^a-z0-9_]+", "_", name.strip().lower()).strip("_")
    if not cleaned:
        raise ValueError(f"name {name!r} has no letters or digits to build a table name from")
    if cleaned[0].isdigit():
        cleaned = "t_" + cleaned
    return cleaned[:63]


def _binary_target(values: pd.Series, path: Path, target: str, positive: str | None) -> pd.Series:
    text = values.str.strip()
    distinct = set(text.unique())
    if positive is not None:
        if positive not in distinct:
            raise ValueError(
                f"{path}: target {target!r} never equals the positive label {positive!r}; "
                f"values are {sorted(distinct)[:10]}"
            )
        labels = (text == positive).astype(int)
    else:
        lowered = {v.lower() for v in distinct}
        pair = next((p for p in BINARY_LABELS if lowered <= p), None)
        if pair is None:
            raise ValueError(
                f"{path}: target {target!r} has values {sorted(distinct)[:10]}; "
                "pass positive_label to say which value is the bad outcome"
            )
        labels = text.str.lower().isin({"1", "true", "yes", "y"}).astype(int)
    if labels.nunique() < 2:
        raise ValueError(
            f"{path}: target {target!r} has one class only ({text.iloc[0]!r} in all "
            f"{len(text)} rows); a model needs both outcomes"
        )
    return labels


def _numeric(values: pd.Series, path: Path, column: str) -> pd.Series | None:
    """The column as floats if it looks numeric (raising on its stray values), else None."""
    present = values.dropna().str.strip()
    present = present[present != ""]
    if present.empty:
        return None
    parsed = pd.to_numeric(present, errors="coerce")
    if parsed.notna().mean() < NUMERIC_SHARE:
        return None
    bad = parsed[parsed.isna()]
    if not bad.empty:
        row = int(bad.index[0]) + 1  # 1-based data row; the header is not counted
        raise ValueError(
            f"{path}: column {column!r} row {row}: {present[bad.index[0]]!r} is not a number "
            f"({len(bad)} such values); fix or blank them"
        )
    return pd.to_numeric(values.str.strip(), errors="coerce").astype("float64")


def read_csv(
    path: str | Path, target: str, positive_label: str | None = None, date_col: str | None = None
) -> CsvData:
    """Read and validate a CSV; every problem is a ValueError naming the file and column."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=True, skipinitialspace=True)
    except pd.errors.EmptyDataError as exc:
        raise ValueError(f"{path}: the file is empty; it needs a header row and data rows") from exc
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path}: not a readable CSV ({exc})") from exc
    if raw.empty:
        raise ValueError(f"{path}: has a header but no data rows")
    raw.columns = [str(c).strip() for c in raw.columns]
    if target not in raw.columns:
        raise ValueError(f"{path}: target column {target!r} not found; columns are {list(raw)}")
    missing = raw[target].isna()
    if missing.any():
        raise ValueError(
            f"{path}: target {target!r} is empty in {int(missing.sum())} rows "
            f"(first: row {int(missing.idxmax()) + 1}); fill or drop them"
        )
    frame = pd.DataFrame({target: _binary_target(raw[target], path, target, positive_label)})
    numeric: list[str] = []
    categorical: list[str] = []
    if date_col is not None:
        if date_col not in raw.columns:
            raise ValueError(f"{path}: date column {date_col!r} not found; columns are {list(raw)}")
        dates = pd.to_datetime(raw[date_col], errors="coerce")
        if dates.isna().any():
            row = int(dates.isna().idxmax()) + 1
            raise ValueError(
                f"{path}: column {date_col!r} row {row}: {raw[date_col].iloc[row - 1]!r} "
                "is not a date"
            )
        frame[date_col] = dates
    for column in raw.columns:
        if column in (target, date_col):
            continue
        if raw[column].isna().all():
            log.warning("%s: column %r is empty everywhere; ignored", path, column)
            continue
        as_number = _numeric(raw[column], path, column)
        if as_number is not None:
            frame[column] = as_number
            numeric.append(column)
        else:
            frame[column] = raw[column].str.strip()
            categorical.append(column)
    protected = [c for c in (*numeric, *categorical) if is_protected(c)]
    if protected:
        log.info("%s: %s kept for the fairness check only, never as features", path, protected)
    dropped = {
        c: why
        for c in (*numeric, *categorical)
        if c not in protected and (why := _uninformative(frame[c], c, c in numeric))
    }
    for column, why in dropped.items():
        log.info("%s: column %r is not a feature: %s", path, column, why)
    features = set(protected) | set(dropped)
    return CsvData(
        frame=frame,
        target=target,
        numeric=tuple(c for c in numeric if c not in features),
        categorical=tuple(c for c in categorical if c not in features),
        date_col=date_col,
        protected=tuple(protected),
        dropped=dropped,
    )


_ID_WORDS = frozenset({"id", "key", "uuid", "guid", "number", "no", "ref", "reference"})


def _uninformative(values: pd.Series, column: str, numeric: bool) -> str:
    """Why a column cannot carry signal ("" when it can): constant, or an identifier."""
    present = values.dropna()
    distinct = present.nunique()
    if distinct <= 1:
        return f"constant ({present.iloc[0]!r} in every filled row)" if distinct else "empty"
    if distinct < len(values):
        return ""
    if not numeric:
        return "unique per row (an identifier)"
    # Distinct floats are ordinary in a small file; integers 1..n or an id-like name are not.
    whole = bool((present == present.round()).all())
    consecutive = whole and present.max() - present.min() == len(present) - 1
    named_id = bool(_ID_WORDS.intersection(normalised(column).split("_")))
    if whole and (consecutive or named_id):
        return "unique per row (an identifier)"
    return ""


def fairness_groups(frame: pd.DataFrame, protected: tuple[str, ...]) -> pd.DataFrame:
    """Protected columns as groups: numbers in bands (ages in the contract's), text as is."""
    groups = pd.DataFrame(index=frame.index)
    for column in protected:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values):
            groups[column] = values.fillna("missing").astype(str)
        elif "age" in normalised(column).split("_"):
            groups[column] = values.map(
                lambda v: "missing" if pd.isna(v) else age_band(int(v)), na_action=None
            )
        else:
            groups[column] = pd.qcut(values, 4, duplicates="drop").astype(str)
    return groups


def store_frame(dsn: str, frame: pd.DataFrame, table: str, schema: str = BYO_SCHEMA) -> str:
    """Replace schema.table with the frame (numbers as double, dates as date, text otherwise)."""
    from credit_risk.frame_table import replace_table

    return replace_table(dsn, frame, schema, table)


def train_on_csv(
    path: str | Path,
    target: str,
    *,
    dsn: str,
    name: str = "byo",
    positive_label: str | None = None,
    date_col: str | None = None,
    candidates: list[str] | None = None,
    n_trials: int = 8,
    timeout: float | None = 120.0,
    folds: int = 3,
    test_months: int = 3,
    validation_months: int = 3,
    costs: CostMatrix | None = None,
    seed: int = 42,
    register: bool = True,
    actor: str = "pipeline",
) -> dict[str, Any]:
    """Validate, store and train on a CSV; the summary names the champion and each test score.

    With `register`, the best candidate is registered under the model NAME and the promotion
    gate decides on the same held-out test split it was evaluated on.

    The summary also carries `run_id`, `model_uri` and `parent_run_id` of the champion, which is
    what the registry needs to register it under NAME.
    """
    from training.train import train_candidates

    data = read_csv(path, target, positive_label, date_col)
    table = store_frame(dsn, data.frame, table_name(name))
    spec = FeatureSpec(numeric=data.numeric, categorical=data.categorical)
    if not spec.columns:
        raise ValueError(f"{path}: no feature columns besides the target {target!r}")
    result = train_candidates(
        data.frame,
        experiment=name,
        target=target,
        candidates=candidates,
        spec=spec,
        date_col=date_col,
        test_months=test_months,
        validation_months=validation_months,
        costs=costs,
        n_trials=n_trials,
        timeout=timeout,
        folds=folds,
        seed=seed,
        lineage={"source_file": str(Path(path).resolve()), "byo_table": table},
    )
    summary: dict[str, Any] = {
        "champion": result.best_candidate,
        "candidates": {
            candidate: {key: m[key] for key in ("test_auc", "test_ks", "test_brier")}
            for candidate, m in result.metrics.items()
        },
        "experiment": name,
        "table": table,
        "protected_attributes": list(data.protected),
        "dropped_columns": data.dropped,
        "parent_run_id": result.parent_run_id,
        "run_id": result.best_run_id,
        "model_uri": result.model_uri,
        "threshold": result.threshold,
    }
    if register:
        summary.update(
            _register(
                result.best_run_id,
                result.features,
                data,
                name=name,
                dsn=dsn,
                test_months=test_months,
                validation_months=validation_months,
                seed=seed,
                actor=actor,
                benchmark_uri=(
                    f"runs:/{result.benchmark_run_id}/model" if result.benchmark_run_id else None
                ),
                challenger_is_benchmark=result.best_candidate == BENCHMARK,
            )
        )
    log.info("bring-your-own summary: %s", json.dumps(summary, indent=2))
    return summary


def _register(
    run_id: str,
    features: list[str],
    data: CsvData,
    *,
    name: str,
    dsn: str,
    test_months: int,
    validation_months: int,
    seed: int,
    actor: str,
    benchmark_uri: str | None,
    challenger_is_benchmark: bool,
) -> dict[str, Any]:
    """Register the best run under NAME; the gate judges it on the split training used."""
    from training.data import split_for_training
    from training.registry.promotion import promote_if_better
    from training.registry.versions import register_challenger

    split = split_for_training(
        data.frame, data.target, data.date_col, test_months, validation_months, seed
    )
    version = register_challenger(run_id, model_name=name)
    groups = fairness_groups(split.test, data.protected)
    test = split.test.drop(columns=list(data.protected)).join(groups)
    decision = promote_if_better(
        version.version,
        test_frame=test,
        target=data.target,
        feature_columns=features,
        dsn=dsn,
        model_name=name,
        benchmark_uri=benchmark_uri,
        challenger_is_benchmark=challenger_is_benchmark,
        protected_columns=list(data.protected),
        actor=actor,
    )
    return {
        "registered_model": name,
        "version": int(version.version),
        "promoted": decision.promote,
        "decision": decision.reasons,
    }
