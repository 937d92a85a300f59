"""Monitoring history in PostgreSQL: one row per run, one per alert, for trends over time.

    monitoring.monitoring_runs: when, which champion, which data, the headline numbers
        (score PSI, drifted share, AUC/KS and deltas, NPA ratio, default rate), per-feature PSI
        as jsonb, the report paths, the MLflow run, and the whole JSON summary.
    monitoring.alerts: each breached threshold of a run, with its message.

Trend of the score PSI: `select started_at, score_psi from monitoring.monitoring_runs
where model_name = 'credit-risk' order by started_at`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from credit_risk.database import connect

if TYPE_CHECKING:
    from monitoring.run_report import Summary

__all__ = ["DDL", "alert_since", "ensure_tables", "save_run"]

DDL = """
create schema if not exists monitoring;
create table if not exists monitoring.monitoring_runs (
    id bigserial primary key,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    model_name text not null,
    model_version integer not null,
    current_kind text not null,
    current_description text not null,
    reference_rows integer not null,
    current_rows integer not null,
    current_rows_in_window bigint not null,
    score_psi double precision not null,
    drifted_count integer not null,
    drifted_share double precision not null,
    auc double precision,
    ks double precision,
    auc_delta double precision,
    ks_delta double precision,
    npa_ratio double precision,
    default_rate double precision,
    alert_count integer not null,
    status text not null check (status in ('ok', 'alert')),
    feature_psi jsonb not null,
    report_path text,
    mlflow_run_id text,
    summary jsonb not null
);
create index if not exists monitoring_runs_started_at_idx
    on monitoring.monitoring_runs (model_name, started_at);
create table if not exists monitoring.alerts (
    id bigserial primary key,
    run_id bigint not null references monitoring.monitoring_runs (id) on delete cascade,
    raised_at timestamptz not null,
    kind text not null,
    subject text not null,
    value double precision not null,
    threshold double precision not null,
    message text not null
);
create index if not exists alerts_run_id_idx on monitoring.alerts (run_id);
"""


def ensure_tables(dsn: str) -> None:
    """Create the monitoring schema and tables if missing (serialised across concurrent runs)."""
    with connect(dsn) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtext('monitoring.monitoring_runs'))")
        conn.execute(DDL)


def save_run(dsn: str, summary: Summary) -> int:
    """Insert the run and its alerts in one transaction; returns the run id."""
    s = summary
    quality, portfolio = s.quality, s.portfolio
    row = {
        "started_at": s.started_at,
        "finished_at": s.finished_at,
        "model_name": s.model_name,
        "model_version": s.model_version,
        "current_kind": s.current_kind,
        "current_description": s.current_description,
        "reference_rows": s.drift.reference_rows,
        "current_rows": s.drift.current_rows,
        "current_rows_in_window": s.current_rows_in_window,
        "score_psi": s.drift.score_psi,
        "drifted_count": s.drift.drifted_count,
        "drifted_share": s.drift.drifted_share,
        "auc": quality.auc,
        "ks": quality.ks,
        "auc_delta": quality.auc_delta,
        "ks_delta": quality.ks_delta,
        "npa_ratio": portfolio.npa_ratio,
        "default_rate": portfolio.default_rate,
        "alert_count": len(s.alerts),
        "status": "alert" if s.alerts else "ok",
        "feature_psi": json.dumps({f.feature: f.value for f in s.drift.features}),
        "report_path": None if s.report_path is None else str(s.report_path),
        "mlflow_run_id": s.mlflow_run_id,
        "summary": json.dumps(s.to_dict(), default=str),
    }
    columns = ", ".join(row)
    values = ", ".join(f"%({k})s" for k in row)
    with connect(dsn) as conn:
        found = conn.execute(
            f"insert into monitoring.monitoring_runs ({columns}) values ({values}) returning id",
            row,
        ).fetchone()
        assert found is not None
        run_id = int(found[0])
        for alert in s.alerts:
            conn.execute(
                "insert into monitoring.alerts "
                "(run_id, raised_at, kind, subject, value, threshold, message) "
                "values (%s, %s, %s, %s, %s, %s, %s)",
                (
                    run_id,
                    s.finished_at,
                    alert.kind,
                    alert.subject,
                    alert.value,
                    alert.threshold,
                    alert.message,
                ),
            )
    return run_id


def alert_since(dsn: str, model_name: str, names: list[str]) -> dict[str, str]:
    """For each alert name (kind:subject), when its current unbroken streak of runs began.

    Alerts new in this run are absent: the run being saved has not been written yet.
    """
    since: dict[str, str] = {}
    with connect(dsn) as conn:
        for name in names:
            kind, _, subject = name.partition(":")
            row = conn.execute(
                """
                with runs as (
                    select r.id, r.started_at, exists (
                        select 1 from monitoring.alerts as a
                        where a.run_id = r.id and a.kind = %(kind)s and a.subject = %(subject)s
                    ) as raised
                    from monitoring.monitoring_runs as r
                    where r.model_name = %(model)s
                ),
                last_clear as (
                    select coalesce(max(started_at), '-infinity'::timestamptz) as at
                    from runs where not raised
                )
                select min(started_at) from runs, last_clear
                where raised and started_at > last_clear.at
                """,
                {"kind": kind, "subject": subject, "model": model_name},
            ).fetchone()
            if row and row[0] is not None:
                since[name] = row[0].isoformat(timespec="seconds")
    return since
