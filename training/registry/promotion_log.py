"""`governance.promotion_log`: who or what changed the champion, when, why, and the metrics then."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

from credit_risk.database import connect

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "ACTIONS",
    "CHAMPION_CHANGES",
    "Action",
    "ensure_table",
    "gates_of",
    "history",
    "insert",
    "record",
    "rollback_target",
    "serialised",
]

Action = Literal[
    "promote", "keep", "manual_promote", "rollback", "awaiting_approval", "approve", "reject"
]
ACTIONS: tuple[Action, ...] = (
    "promote",
    "keep",
    "manual_promote",
    "rollback",
    "awaiting_approval",
    "approve",
    "reject",
)
# Actions after which the champion is a version chosen forward; a rollback undoes the latest one.
CHAMPION_CHANGES = ("promote", "manual_promote", "approve")

# Two processes creating the schema at once would race on the catalog; the lock serialises them.
_LOCK_KEY = 0x70726F6D  # "prom"
_DDL = """
create schema if not exists governance;
create table if not exists governance.promotion_log (
    id bigint generated always as identity primary key,
    decided_at timestamptz not null default now(),
    model_name text not null,
    action text not null,
    actor text not null,
    reason text not null,
    challenger_version integer,
    previous_champion_version integer,
    new_champion_version integer,
    challenger_metrics jsonb not null default '{}'::jsonb,
    champion_metrics jsonb not null default '{}'::jsonb
);
create index if not exists promotion_log_model_decided_idx
    on governance.promotion_log (model_name, decided_at desc, id desc);
create table if not exists governance.promotion_gates (
    log_id bigint not null references governance.promotion_log (id),
    gate text not null,
    passed boolean not null,
    value double precision,
    bound double precision,
    detail text not null,
    primary key (log_id, gate)
)
"""
_COLUMNS = (
    "id",
    "decided_at",
    "model_name",
    "action",
    "actor",
    "reason",
    "challenger_version",
    "previous_champion_version",
    "new_champion_version",
    "challenger_metrics",
    "champion_metrics",
)


_ACTION_LIST = ", ".join(f"'{a}'" for a in ACTIONS)
# The allowed actions, replaced when a table from an older release lacks the newest.
_ACTION_CHECK = f"""
do $$
begin
    if not exists (
        select 1 from pg_constraint
        where conname = 'promotion_log_action_check'
          and pg_get_constraintdef(oid) like '%{ACTIONS[-1]}%'
    ) then
        alter table governance.promotion_log drop constraint if exists promotion_log_action_check;
        alter table governance.promotion_log
            add constraint promotion_log_action_check check (action in ({_ACTION_LIST}));
    end if;
end
$$
"""


def ensure_table(conn: psycopg.Connection[Any]) -> None:
    """Create the governance schema and the log table if missing (idempotent)."""
    conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    for statement in filter(str.strip, _DDL.split(";")):
        conn.execute(statement)
    conn.execute(_ACTION_CHECK)


def _jsonable(metrics: Mapping[str, float] | None) -> str:
    # JSON has no NaN or infinity; a metric that could not be computed is stored as null.
    clean = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v)
        for k, v in (metrics or {}).items()
    }
    return json.dumps(clean, sort_keys=True)


def _version(value: int | str | None) -> int | None:
    return None if value is None else int(value)


def insert(
    conn: psycopg.Connection[Any],
    *,
    model_name: str,
    action: Action,
    actor: str,
    reason: str,
    challenger_version: int | str | None = None,
    previous_champion_version: int | str | None = None,
    new_champion_version: int | str | None = None,
    challenger_metrics: Mapping[str, float] | None = None,
    champion_metrics: Mapping[str, float] | None = None,
    gates: Sequence[Mapping[str, Any]] = (),
) -> int:
    """Insert one decision (and a row per gate it ran) in the caller's transaction; its id.

    Each gate is a mapping with gate, passed, value, bound and detail.
    """
    if action not in ACTIONS:
        raise ValueError(f"action: {action!r} is not one of {', '.join(ACTIONS)}")
    ensure_table(conn)
    # The audit trail survives a crash even where the server commits asynchronously for speed
    # (the embedded default): this transaction waits for its WAL flush.
    conn.execute("set local synchronous_commit = on")
    row = conn.execute(
        """
        insert into governance.promotion_log (
            model_name, action, actor, reason, challenger_version, previous_champion_version,
            new_champion_version, challenger_metrics, champion_metrics
        ) values (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb)
        returning id
        """,
        (
            model_name,
            action,
            actor,
            reason,
            _version(challenger_version),
            _version(previous_champion_version),
            _version(new_champion_version),
            _jsonable(challenger_metrics),
            _jsonable(champion_metrics),
        ),
    ).fetchone()
    assert row is not None
    log_id = int(row[0])
    for gate in gates:
        conn.execute(
            """
            insert into governance.promotion_gates (log_id, gate, passed, value, bound, detail)
            values (%s, %s, %s, %s, %s, %s)
            """,
            (log_id, gate["gate"], gate["passed"], gate["value"], gate["bound"], gate["detail"]),
        )
    return log_id


def gates_of(dsn: str, log_id: int) -> list[dict[str, Any]]:
    """The gate rows of one logged decision, in the order they ran."""
    with connect(dsn) as conn:
        rows = conn.execute(
            "select gate, passed, value, bound, detail from governance.promotion_gates"
            " where log_id = %s order by ctid",
            (log_id,),
        ).fetchall()
    return [dict(zip(("gate", "passed", "value", "bound", "detail"), r, strict=True)) for r in rows]


@contextmanager
def serialised(dsn: str, model_name: str) -> Iterator[psycopg.Connection[Any]]:
    """One champion change of `model_name` at a time, across processes.

    Yields a connection in a transaction that holds a PostgreSQL advisory lock per model: read
    the champion, decide, move the alias and insert the log row inside it, so two promotions
    cannot both start from the same champion and break the chain of previous versions. The row
    commits when the block ends.
    """
    with connect(dsn) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (f"promotion:{model_name}",))
        yield conn


def record(dsn: str, **entry: Any) -> int:
    """Write one decision in its own transaction; keyword arguments as for `insert`."""
    with connect(dsn) as conn:
        return insert(conn, **entry)


def history(dsn: str, model_name: str, limit: int | None = 20) -> list[dict[str, Any]]:
    """The model's decisions, newest first; empty when nothing was ever logged."""
    if limit is not None and limit < 1:
        raise ValueError(f"limit: must be at least 1, got {limit}")
    with connect(dsn) as conn:
        exists = conn.execute("select to_regclass('governance.promotion_log')").fetchone()
        if exists is None or exists[0] is None:
            return []
        rows = conn.execute(
            f"""
            select {", ".join(_COLUMNS)} from governance.promotion_log
            where model_name = %s
            order by decided_at desc, id desc
            limit %s
            """,
            (model_name, limit),
        ).fetchall()
    return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]


def rollback_target(entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The promotion a rollback would undo, given the log newest first; None if there is none.

    Each rollback undoes the latest promotion not already undone, so repeated rollbacks walk
    back through the champions in order.
    """
    undone = 0
    for entry in entries:
        if entry["action"] == "rollback":
            undone += 1
        elif entry["action"] in CHAMPION_CHANGES:
            if undone == 0:
                return entry
            undone -= 1
    return None
