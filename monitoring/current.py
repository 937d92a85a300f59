"""The current rows: a sampled window of serving.scoring_log, or a named batch's applications.

Both come back as contract-typed features with `application_id` and, where a label exists,
`is_mature`, `is_default` and `disbursed_on` (for quality by vintage).

A named batch is a raw schema written by `credit-risk data generate --schema <batch>`; its
features are built by dbt into `<batch>_marts`. Loading a batch again drops its raw schema
with cascade, which drops dbt's staging views on it, so missing staging views mean the
features are stale and are rebuilt.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from monitoring.frames import FEATURE_COLUMNS, read_frame, relation_exists, sample, typed
from monitoring.window import Selection

__all__ = [
    "Current",
    "NoCurrentDataError",
    "batch_is_built",
    "build_batch",
    "load_current",
    "scored_rows",
]

log = logging.getLogger(__name__)


# scoring_log.application_id is the caller's text (or a generated UUID); the platform's ids are
# bigint. A row's label key is its id cast to bigint only when the text is how PostgreSQL prints
# a non-negative bigint (no sign, no leading zeros, at most 2^63 - 1); otherwise it is null and
# the row simply has no label.
# CASE tests its branches in order, so the cast never sees other text (an AND guard would not
# ensure that), and the key stays bigint so the join can use application_labels' unique index.
STORED_KEY = """case
    when s.application_id !~ '^(0|[1-9][0-9]{0,18})$' then null
    when s.application_id::numeric > 9223372036854775807 then null
    else s.application_id::bigint
end"""


class NoCurrentDataError(ValueError):
    """The chosen window or batch holds no rows; the message says where to look."""


@dataclass(frozen=True)
class Current:
    """Sampled current rows and how many the window held before sampling."""

    frame: pd.DataFrame
    rows_in_window: int
    description: str


def _window_clause(column: str, selection: Selection) -> tuple[str, dict[str, object]]:
    parts: list[str] = ["true"]
    params: dict[str, object] = {}
    if selection.since is not None:
        parts.append(f"{column} >= %(since)s")
        params["since"] = selection.since
    if selection.until is not None:
        parts.append(f"{column} < %(until)s")
        params["until"] = selection.until
    return " and ".join(parts), params


def scored_rows(
    dsn: str,
    selection: Selection,
    sample_rows: int,
    model_name: str | None,
    columns: tuple[str, ...] = FEATURE_COLUMNS,
) -> tuple[pd.DataFrame, int]:
    """A sample of one model's logged decisions in the window (its `columns` as logged, the
    logged probability and the labels where known) and how many the window held."""
    if not relation_exists(dsn, "serving.scoring_log"):
        raise NoCurrentDataError(
            "serving.scoring_log does not exist: nothing has been scored yet. Start the service "
            "(credit-risk serve) or monitor a named batch with --batch"
        )
    where, params = _window_clause("s.scored_at", selection)
    if model_name is not None:
        where += " and s.model_name = %(model)s"
        params["model"] = model_name
    counted = read_frame(
        dsn, f"select count(*) from serving.scoring_log as s where {where}", params
    )
    total = int(counted.iloc[0, 0])
    if total == 0:
        whose = f" by {model_name}" if model_name else ""
        raise NoCurrentDataError(
            f"no applications were scored{whose} in {selection.describe()}: "
            "serving.scoring_log has no rows there. Widen --window or --since/--until, or "
            "check that the service is logging (it writes every score to serving.scoring_log)"
        )
    # Sampling in SQL keeps a 1M-row window cheap: only the sampled rows' features are decoded,
    # and only they are looked up in the labels (one index probe each).
    fraction = min(1.0, 1.2 * sample_rows / total)
    if relation_exists(dsn, "marts.application_labels"):
        labels = "l.is_mature, l.is_default, l.disbursed_on"
        join = "left join marts.application_labels as l on l.application_id = s.label_key"
    else:
        labels = "null::boolean, null::boolean, null::date"
        join = ""
    sql = f"""
        with sampled as (
            select s.application_id, s.scored_at, s.features, s.probability,
                {STORED_KEY} as label_key
            from serving.scoring_log as s
            where {where} and (%(fraction)s >= 1.0 or random() < %(fraction)s)
            limit %(limit)s
        )
        select s.application_id, s.scored_at, s.features, s.probability, {labels}
        from sampled as s {join}
    """
    from credit_risk.database import connect

    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("select setseed(0.42)")
        cur.execute(sql, {**params, "fraction": fraction, "limit": sample_rows})
        rows = cur.fetchall()
    features = pd.DataFrame.from_records([row[2] for row in rows])
    for column in columns:
        if column not in features.columns:
            features[column] = None
    frame = features[list(columns)].assign(
        application_id=[row[0] for row in rows],
        scored_at=[row[1] for row in rows],
        logged_probability=[row[3] for row in rows],
        is_mature=[row[4] for row in rows],
        is_default=[row[5] for row in rows],
        disbursed_on=[row[6] for row in rows],
    )
    return frame, total


def _scoring_log(
    dsn: str, selection: Selection, sample_rows: int, model_name: str | None
) -> Current:
    frame, total = scored_rows(dsn, selection, sample_rows, model_name)
    return Current(typed(frame.drop(columns=["logged_probability"])), total, selection.describe())


def batch_is_built(dsn: str, batch: str) -> bool:
    """The batch's features exist and were built after its raw schema was last loaded."""
    return relation_exists(dsn, f"{batch}_marts.application_features") and relation_exists(
        dsn, f"{batch}_staging.stg_raw__applications"
    )


def build_batch(dsn: str, batch: str, target_path: Path | None = None) -> float:
    """dbt build of the batch's raw schema into <batch>_staging / _intermediate / _marts."""
    from credit_risk.feature_build import build_features

    if not relation_exists(dsn, f"{batch}.applications"):
        # A wrong name, not an empty window: this is the caller's error to fix.
        raise ValueError(
            f"batch {batch}: schema {batch} has no applications table. Generate it first, e.g. "
            f"credit-risk data generate --scenario recession --schema {batch}"
        )
    result = build_features(
        dsn, target_path=target_path, vars={"raw_schema": batch, "schema_prefix": batch}
    )
    return result.seconds


def _batch(
    dsn: str, selection: Selection, sample_rows: int, default_window: tuple[date, date]
) -> Current:
    batch = selection.batch or ""
    if not batch_is_built(dsn, batch):
        raise NoCurrentDataError(f"batch {batch}: features are not built; build_batch() first")
    if selection.since is None and selection.until is None:
        # The generator writes every book over the same calendar, so a batch replays the
        # champion's own months: comparing those months isolates the scenario from book ageing.
        start, end = default_window
        where = "f.applied_on between %(since)s and %(until)s"
        params: dict[str, object] = {"since": start, "until": end}
        description = f"batch {batch}, applied {start} to {end} (the champion's training months)"
    else:
        where, params = _window_clause("f.applied_on", selection)
        description = selection.describe()
    frame = read_frame(
        dsn,
        f"""
        select f.*, l.is_mature, l.is_default, l.disbursed_on
        from {batch}_marts.application_features as f
        left join {batch}_marts.application_labels as l using (application_id)
        where {where}
        """,
        params,
    )
    if frame.empty:
        raise NoCurrentDataError(f"{description}: no applications there; choose other dates")
    return Current(typed(sample(frame, sample_rows)), len(frame), description)


def load_current(
    dsn: str,
    selection: Selection,
    *,
    sample_rows: int,
    default_window: tuple[date, date],
    model_name: str | None = None,
) -> Current:
    """The current rows of `selection`, at most `sample_rows` of them (of `model_name`'s
    decisions only, when given)."""
    started = time.perf_counter()
    if selection.batch:
        current = _batch(dsn, selection, sample_rows, default_window)
    else:
        current = _scoring_log(dsn, selection, sample_rows, model_name)
    log.info(
        "current: %d of %d rows (%s) in %.1f s",
        len(current.frame),
        current.rows_in_window,
        current.description,
        time.perf_counter() - started,
    )
    return current
