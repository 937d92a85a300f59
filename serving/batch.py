"""Batch scoring of pending applications into `serving.scores`, a chunk at a time.

Table `serving.scores`, one row per (application, model version):

    application_id  bigint      primary key part 1
    model_version   integer     primary key part 2
    probability     double      calibrated probability of default
    credit_score    integer     300-850
    risk_band       text
    decision        text        approve / reject
    reasons         jsonb       up to four reason codes
    scored_at       timestamptz
    features_md5    text        fingerprint of the marts.application_features row scored

Pending applications are read from `marts.application_features` joined to raw.applications
with status 'pending', by keyset pagination on application_id, skipping those this version
already scored *with the same feature row*: a reloaded or regenerated book reuses application
ids, so a row whose fingerprint changed is a different application and is scored again, its
score replacing the stale one (serving.scores holds the current book). A chunk is scored with one booster call (see serving.scorer.decide), copied
into a temporary staging table and inserted with `on conflict do nothing`, so a rerun adds no
rows and memory stays at one chunk whatever the book's size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from credit_risk.artifact.feature_spec import FeatureSpec
from credit_risk.database import connect
from serving.scorer import decide

if TYPE_CHECKING:
    import psycopg

    from serving.champion import LoadedModel

__all__ = ["BATCH_THREADS", "DDL", "Chunk", "ensure_scores_table", "score_pending_chunk"]

DDL = """
create schema if not exists serving;
create table if not exists serving.scores (
    application_id bigint not null,
    model_version integer not null,
    probability double precision not null,
    credit_score integer not null,
    risk_band text not null,
    decision text not null,
    reasons jsonb not null,
    scored_at timestamptz not null,
    primary key (application_id, model_version)
);
-- added later: rows from before it have no fingerprint and are scored once more
alter table serving.scores add column if not exists features_md5 text;
"""
# Booster threads for a whole chunk (the HTTP service scores on one thread per request).
BATCH_THREADS = 2
_COLUMNS = [*FeatureSpec.from_contract().columns]
PENDING_QUERY = f"""
select f.application_id, md5(f::text) as features_md5, {", ".join("f." + c for c in _COLUMNS)}
from marts.application_features as f
inner join raw.applications as a using (application_id)
where a.status = 'pending'
  and f.application_id > %(after)s
  and not exists (
      select 1 from serving.scores as s
      where s.application_id = f.application_id and s.model_version = %(version)s
        and s.features_md5 = md5(f::text)
  )
order by f.application_id
limit %(limit)s
"""
_WRITE_COLUMNS = (
    "application_id",
    "model_version",
    "probability",
    "credit_score",
    "risk_band",
    "decision",
    "reasons",
    "scored_at",
    "features_md5",
)


@dataclass(frozen=True)
class Chunk:
    """What one chunk did: rows scored, rows newly written, the last application id seen."""

    scored: int
    written: int
    last_id: int | None


def ensure_scores_table(dsn: str) -> None:
    with connect(dsn) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtext('serving.scores'))")
        conn.execute(DDL)


def _write(conn: psycopg.Connection[Any], rows: list[tuple[Any, ...]]) -> int:
    """Copy into a temporary table, then insert what is not there yet and replace the scores
    of ids whose feature row changed (another book's application under the same id)."""
    cols = ", ".join(_WRITE_COLUMNS)
    conn.execute(
        "create temporary table scores_incoming (like serving.scores including defaults) "
        "on commit drop"
    )
    with conn.cursor().copy(f"copy scores_incoming ({cols}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)
    cur = conn.execute(
        f"insert into serving.scores ({cols}) select {cols} from scores_incoming "
        "on conflict (application_id, model_version) do update set "
        + ", ".join(f"{c} = excluded.{c}" for c in _WRITE_COLUMNS[2:])
        + " where serving.scores.features_md5 is distinct from excluded.features_md5"
    )
    return cur.rowcount


def score_pending_chunk(dsn: str, loaded: LoadedModel, after_id: int, limit: int) -> Chunk:
    """Score the next `limit` pending applications after `after_id` and store the results."""
    with connect(dsn) as conn:
        cur = conn.execute(
            PENDING_QUERY, {"after": after_id, "version": loaded.version, "limit": limit}
        )
        names = [d.name for d in cur.description or ()]
        records = [dict(zip(names, row, strict=True)) for row in cur]
        if not records:
            return Chunk(0, 0, None)
        ids = [r["application_id"] for r in records]
        results, _ = decide(loaded, records, [str(i) for i in ids], threads=BATCH_THREADS)
        rows = [
            (
                app_id,
                r["model_version"],
                r["probability"],
                r["credit_score"],
                r["risk_band"],
                r["decision"],
                json.dumps(r["reasons"]),
                r["scored_at"],
                record["features_md5"],
            )
            for app_id, r, record in zip(ids, results, records, strict=True)
        ]
        written = _write(conn, rows)
    return Chunk(len(records), written, int(ids[-1]))
