"""A DataFrame into a PostgreSQL table of its own, replaced whole in one transaction."""

from __future__ import annotations

import json
import logging
from typing import Any

import pandas as pd

__all__ = ["column_type", "replace_table"]

log = logging.getLogger(__name__)


def column_type(series: pd.Series) -> str:
    """The column's PostgreSQL type: dates, numbers, JSON for lists and dicts, text otherwise."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return "timestamptz" if getattr(series.dt, "tz", None) is not None else "date"
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_numeric_dtype(series):
        return "double precision"
    first = series.dropna().head(1)
    if not first.empty and isinstance(first.iloc[0], list | dict):
        return "jsonb"
    return "text"


def _cell(value: Any, kind: str) -> Any:
    if value is None or (not isinstance(value, list | dict) and pd.isna(value)):
        return None
    if kind == "jsonb":
        return json.dumps(value, default=str)
    return value


def replace_table(dsn: str, frame: pd.DataFrame, schema: str, table: str) -> str:
    """Replace schema.table with the frame; readers see the old table or the new one, whole."""
    from psycopg import sql

    from credit_risk.database import connect

    kinds = {c: column_type(frame[c]) for c in frame}
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(kind)) for c, kind in kinds.items()
    )
    target = sql.Identifier(schema, table)
    names = sql.SQL(", ").join(sql.Identifier(c) for c in frame)
    with connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        cur.execute(sql.SQL("drop table if exists {}").format(target))
        cur.execute(sql.SQL("create table {} ({})").format(target, columns))
        with cur.copy(sql.SQL("copy {} ({}) from stdin").format(target, names)) as copy:
            for row in frame.astype(object).itertuples(index=False, name=None):
                copy.write_row(
                    [_cell(v, kinds[c]) for c, v in zip(frame.columns, row, strict=True)]
                )
    log.info("stored %d rows in %s.%s", len(frame), schema, table)
    return f"{schema}.{table}"
