"""Score a table of new rows with a model served by its feature profile, into a scores table.

`credit-risk run score-batch --model NAME --table SCHEMA.TABLE` reads every row of the table,
checks it against what the model saw in training (credit_risk.artifact.feature_profile), scores
the rows that pass in one model call, and replaces SCHEMA.TABLE_scores (or --into) with the
table's own columns and the decision beside them: probability, credit score, band, decision,
threshold, reasons, model name and version. A row that cannot be scored keeps its place with
`problem` saying which column and why, and no score: one bad row never stops the batch.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from credit_risk.frame_table import replace_table
from serving.champion import LoadedModel
from serving.profiled_scorer import decide_profiled

__all__ = ["TableScores", "parse_table", "score_table"]

log = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
SCORE_COLUMNS = (
    "decision_id",
    "probability",
    "credit_score",
    "risk_band",
    "decision",
    "threshold",
    "reasons",
    "model_name",
    "model_version",
    "scored_at",
    "problem",
)

_NUMBERS = frozenset({"probability", "credit_score", "threshold"})


@dataclass(frozen=True)
class TableScores:
    """What one table scoring did."""

    source: str
    target: str
    model_name: str
    model_version: int
    rows: int
    scored: int
    refused: int
    approved: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_table(text: str, option: str = "--table") -> tuple[str, str]:
    """'schema.table' → (schema, table); anything else is a ValueError naming the option."""
    parts = text.split(".")
    if len(parts) != 2 or not all(_IDENTIFIER.match(p) for p in parts):
        raise ValueError(
            f"{option} {text!r}: give SCHEMA.TABLE, each a plain identifier (letters, digits, _)"
        )
    return parts[0], parts[1]


def _read(dsn: str, schema: str, table: str) -> pd.DataFrame:
    from psycopg import sql

    from credit_risk.database import connect

    with connect(dsn) as conn:
        found = conn.execute("select to_regclass(%s)", (f"{schema}.{table}",)).fetchone()
        if found is None or found[0] is None:
            raise ValueError(f"--table {schema}.{table}: no such table")
        cur = conn.execute(sql.SQL("select * from {}").format(sql.Identifier(schema, table)))
        names = [d.name for d in cur.description or ()]
        return pd.DataFrame(cur.fetchall(), columns=names)


def _model_rows(frame: pd.DataFrame, loaded: LoadedModel) -> list[dict[str, Any]]:
    """The model's columns of each row; numbers stored as text are read as numbers."""
    assert loaded.profile is not None
    columns = {}
    for spec in loaded.profile.fields:
        values = frame[spec.name]
        if spec.kind == "number" and values.dtype == object:
            parsed = pd.to_numeric(values, errors="coerce")
            values = parsed.where(parsed.notna() | values.isna(), values)  # keep bad text to name
        columns[spec.name] = values.astype(object).where(values.notna(), None)
    records: list[dict[str, Any]] = pd.DataFrame(columns).to_dict("records")
    return records


def score_table(dsn: str, loaded: LoadedModel, table: str, into: str | None = None) -> TableScores:
    """Score every row of `table` (SCHEMA.TABLE) into `into` (default SCHEMA.TABLE_scores)."""
    started = time.perf_counter()
    if loaded.profile is None:
        raise ValueError(f"{loaded.name} has no recorded feature profile; retrain it first")
    schema, name = parse_table(table)
    target_schema, target = parse_table(into, "--into") if into else (schema, f"{name}_scores")
    if (target_schema, target) == (schema, name):
        raise ValueError(f"--into {into}: would replace the table being scored")
    frame = _read(dsn, schema, name)
    missing = [c for c in loaded.profile.names if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{table} lacks the model's features {missing}; it has {list(frame.columns)}. "
            f"{loaded.name} takes {loaded.profile.names}"
        )
    clashing = [c for c in SCORE_COLUMNS if c in frame.columns]
    if clashing:
        raise ValueError(f"{table} already has columns {clashing} the scores would be written to")
    rows = _model_rows(frame, loaded)
    problems = ["; ".join(loaded.profile.problems(row)) for row in rows]
    good = [i for i, problem in enumerate(problems) if not problem]
    results = decide_profiled(loaded, [rows[i] for i in good], [None] * len(good), threads=2)
    log.info(
        "%s: %d rows, %d scored, %d refused", table, len(rows), len(good), len(rows) - len(good)
    )
    out = frame.copy()
    decided: list[dict[str, Any]] = [{} for _ in rows]
    for i, result in zip(good, results, strict=True):
        decided[i] = result
    now = datetime.now(UTC)
    for column in SCORE_COLUMNS:
        if column == "model_name":
            out[column] = loaded.name
        elif column == "model_version":
            out[column] = loaded.version
        elif column == "problem":
            out[column] = [p or None for p in problems]
        elif column == "scored_at":
            out[column] = pd.Series([now] * len(out), dtype="datetime64[ns, UTC]")
        elif column in _NUMBERS:
            out[column] = pd.to_numeric(pd.Series([d.get(column) for d in decided], dtype=object))
        else:
            out[column] = [d.get(column) for d in decided]
    replace_table(dsn, out, target_schema, target)
    return TableScores(
        source=table,
        target=f"{target_schema}.{target}",
        model_name=loaded.name,
        model_version=loaded.version,
        rows=len(rows),
        scored=len(good),
        refused=len(rows) - len(good),
        approved=sum(1 for r in results if r["decision"] == "approve"),
        seconds=round(time.perf_counter() - started, 2),
    )
