"""The decision log: every score the service gives, written to PostgreSQL in the background.

Table `serving.scoring_log` (created if missing; monitoring reads it as the "current" data, so
these column names are stable):

    id              bigserial   primary key
    scored_at       timestamptz when the score was computed (UTC)
    application_id  text        the caller's id or the generated UUID
    customer_id     bigint      null for a new customer
    model_name      text        registered model name
    model_version   integer     registered version that scored
    probability     double      calibrated probability of default
    credit_score    integer     300-850
    risk_band       text        very_low … very_high
    decision        text        approve / reject
    threshold       double      the version's probability cut-off
    reasons         jsonb       the reason codes as returned to the caller
    features        jsonb       the model input row (contract feature → value, null if missing)
    request_source  text        score, score_batch, explain
    feature_sources jsonb       where the bureau and history features came from (request,
                                customer_features or none), as returned to the caller
    decision_id     uuid        unique: the id returned to the caller as decision_id

A row the table refuses (a value out of range, a character PostgreSQL cannot store) is set
aside in `serving.scoring_log_rejected` (rejected_at, error, the row as JSON text) and the rest
of its batch is written: one bad row never stops the log.

Requests only append to an in-memory buffer; a worker thread encodes and copies it to the table
every FLUSH_SECONDS or FLUSH_ROWS rows, whichever comes first, so logging adds no request
latency.
Rows go through a session-local staging table and `on conflict (decision_id) do nothing`, so a
batch written twice (a commit whose acknowledgement was lost, a replay) is stored once.

If the database is unreachable, the batch goes to the durable spool on local disk
(serving.decision_spool) and the requests still succeed; the spooled batches are replayed once
the database answers again, by this process or the next one. `close()` (on SIGTERM) flushes what
is left, or spools it. Only if the disk fails too do rows wait in memory (at most MAX_BUFFERED,
oldest dropped first with a warning).
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from credit_risk.errors import first_line
from serving.decision_spool import DecisionSpool

__all__ = ["COLUMNS", "DDL", "DecisionLog", "ensure_table"]

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.2
FLUSH_ROWS = 500
MAX_BUFFERED = 100_000
RETRY_SECONDS = 2.0  # how long to wait after a failed write before trying the database again
COLUMNS = (
    "scored_at",
    "application_id",
    "customer_id",
    "model_name",
    "model_version",
    "probability",
    "credit_score",
    "risk_band",
    "decision",
    "threshold",
    "reasons",
    "features",
    "request_source",
    "feature_sources",
    "decision_id",
)
_COLUMN_LIST = ", ".join(COLUMNS)
STAGE_SQL = (
    "create temp table if not exists scoring_log_incoming on commit delete rows as "
    f"select {_COLUMN_LIST} from serving.scoring_log with no data"
)
COPY_SQL = f"copy scoring_log_incoming ({_COLUMN_LIST}) from stdin"
INSERT_SQL = (
    f"insert into serving.scoring_log ({_COLUMN_LIST}) "
    f"select {_COLUMN_LIST} from scoring_log_incoming on conflict (decision_id) do nothing"
)
DDL = """
create schema if not exists serving;
create table if not exists serving.scoring_log (
    id bigserial primary key,
    scored_at timestamptz not null,
    application_id text not null,
    customer_id bigint,
    model_name text not null,
    model_version integer not null,
    probability double precision not null,
    credit_score integer not null,
    risk_band text not null,
    decision text not null,
    threshold double precision not null,
    reasons jsonb not null,
    features jsonb not null,
    request_source text not null
);
-- added after the first release: tables created before it gain the column
alter table serving.scoring_log add column if not exists feature_sources jsonb;
alter table serving.scoring_log add column if not exists decision_id uuid;
create unique index if not exists scoring_log_decision_id_key
    on serving.scoring_log (decision_id);
create index if not exists scoring_log_scored_at_idx on serving.scoring_log (scored_at);
create table if not exists serving.scoring_log_rejected (
    id bigserial primary key,
    rejected_at timestamptz not null default now(),
    error text not null,
    row_json text not null
);
"""


def ensure_table(dsn: str) -> None:
    """Create serving.scoring_log if missing (serialised: several workers start at once)."""
    import psycopg

    with psycopg.connect(dsn, connect_timeout=5) as conn:
        conn.execute("select pg_advisory_xact_lock(hashtext('serving.scoring_log'))")
        conn.execute(DDL)


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _clean(value.item())
    return value


def _json(value: Any) -> str:
    if isinstance(value, Mapping):
        value = {k: _clean(v) for k, v in value.items()}
    return json.dumps(value, default=str)


_JSON_COLUMNS = tuple(COLUMNS.index(name) for name in ("reasons", "features", "feature_sources"))


def _encoded(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A buffered row as the table takes it: its JSON columns as JSON text."""
    values = list(row)
    for index in _JSON_COLUMNS:
        values[index] = _json(values[index])
    return tuple(values)


class DecisionLog:
    """Buffered, background writer of scoring_log rows, with a durable spool for outages."""

    def __init__(
        self,
        dsn: str | None,
        *,
        spool_dir: Path | None = None,
        flush_seconds: float = FLUSH_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.dsn = dsn
        self.spool = DecisionSpool(spool_dir) if spool_dir is not None else None
        self.flush_seconds = flush_seconds
        self.retry_seconds = retry_seconds
        self._rows: deque[tuple[Any, ...]] = deque()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one writer at a time: the thread, close(), a test
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._dropped = 0
        self._conn: Any = None
        self._table_ready = False
        self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
        if dsn:
            self._thread.start()

    def record(
        self,
        decision: Mapping[str, Any],
        *,
        features: Mapping[str, Any],
        customer_id: int | None,
        model_name: str,
        request_source: str,
    ) -> None:
        """Queue one decision (a ScoreResponse-shaped dict); never blocks on the database."""
        if not self.dsn:
            return
        scored_at: datetime = decision["scored_at"]
        # The JSON columns are encoded by the writer thread (`_encoded`), not on the caller's
        # event loop: the values are not changed after the response is built.
        row = (
            scored_at,
            decision["application_id"],
            customer_id,
            model_name,
            decision["model_version"],
            decision["probability"],
            decision["credit_score"],
            decision["risk_band"],
            decision["decision"],
            decision["threshold"],
            decision["reasons"],
            features,
            request_source,
            decision.get("feature_sources"),
            decision.get("decision_id") or str(uuid.uuid4()),
        )
        with self._lock:
            if len(self._rows) >= MAX_BUFFERED:
                self._rows.popleft()
                self._dropped += 1
            self._rows.append(row)
            if len(self._rows) >= FLUSH_ROWS:
                self._wake.set()

    @property
    def pending(self) -> int:
        """Rows in memory, not yet written or spooled."""
        return len(self._rows)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            if self._stop.is_set():
                break
            healthy = self.flush() is not None and self.replay() is not None
            if not healthy:
                self._stop.wait(self.retry_seconds)  # the database is down: do not hammer it

    def flush(self) -> int | None:
        """Write what is buffered now: rows written, or None when the database was unreachable.

        On failure the batch goes to the spool (or, if the disk fails too, stays in memory).
        """
        with self._lock:
            buffered = list(self._rows)
            dropped, self._dropped = self._dropped, 0
        batch = [_encoded(row) for row in buffered]
        if dropped:
            log.warning("decision log buffer full: dropped %d oldest rows", dropped)
        if not batch:
            return 0
        with self._write_lock:
            try:
                self._write(batch)
            except Exception as exc:
                self._reset()
                self._spool_or_keep(batch, exc)
                return None
        self._forget(len(batch))
        return len(batch)

    def replay(self) -> int | None:
        """Write spooled batches (any worker's, any earlier run's): rows, or None on failure."""
        if self.spool is None or not self.dsn:
            return 0
        replayed = 0
        for path in self.spool.files():
            with self._write_lock, self.spool.claim(path) as rows:
                if rows is None:
                    continue
                try:
                    self._write([tuple(row) for row in rows])
                except Exception as exc:
                    self._reset()
                    log.warning("decision log: replay of %s deferred: %s", path, first_line(exc))
                    return None
                path.unlink()
                replayed += len(rows)
        if replayed:
            log.info("decision log: replayed %d spooled decisions", replayed)
        return replayed

    def _spool_or_keep(self, batch: list[tuple[Any, ...]], exc: Exception) -> None:
        reason = first_line(exc)
        if self.spool is not None:
            try:
                path = self.spool.put(batch)
            except OSError as disk:
                log.error("decision log: spool write failed (%s); rows kept in memory", disk)
            else:
                self._forget(len(batch))
                log.warning(
                    "decision log: database write failed (%s); %d rows spooled to %s",
                    reason,
                    len(batch),
                    path,
                )
                return
        log.warning(
            "decision log: %d rows kept in memory, database write failed: %s", len(batch), reason
        )

    def _forget(self, count: int) -> None:
        """Drop the `count` oldest buffered rows, now written or spooled."""
        with self._lock:
            for _ in range(min(count, len(self._rows))):
                self._rows.popleft()

    def _write(self, batch: list[tuple[Any, ...]]) -> None:
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.dsn or "", connect_timeout=5)
            if not self._table_ready:
                ensure_table(self.dsn or "")
                self._table_ready = True
            with self._conn.transaction():
                self._conn.execute(STAGE_SQL)
        try:
            self._copy(batch)
        except psycopg.OperationalError:
            raise  # the database is unreachable: spool the rows
        except psycopg.Error:
            self._write_setting_aside(batch)

    def _copy(self, rows: list[tuple[Any, ...]]) -> None:
        assert self._conn is not None
        with self._conn.transaction(), self._conn.cursor() as cur:
            # An acknowledged decision must survive a crash, also on a server that commits
            # asynchronously for speed (the embedded default): wait for this batch's WAL flush.
            cur.execute("set local synchronous_commit = on")
            with cur.copy(COPY_SQL) as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(INSERT_SQL)

    def _write_setting_aside(self, batch: list[tuple[Any, ...]]) -> None:
        """Row by row: what the table refuses goes to scoring_log_rejected, the rest is written."""
        import psycopg

        assert self._conn is not None
        rejected = 0
        for row in batch:
            try:
                self._copy([row])
            except psycopg.OperationalError:
                raise
            except psycopg.Error as exc:
                rejected += 1
                error = f"{type(exc).__name__}: {first_line(exc)}"
                with self._conn.transaction():
                    self._conn.execute(
                        "insert into serving.scoring_log_rejected (error, row_json) "
                        "values (%s, %s)",
                        (error, json.dumps(dict(zip(COLUMNS, row, strict=True)), default=str)),
                    )
        log.warning(
            "decision log: %d of %d rows refused by the table, set aside in "
            "serving.scoring_log_rejected",
            rejected,
            len(batch),
        )

    def _reset(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                log.debug("closing a broken decision log connection failed", exc_info=True)
        self._conn = None

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker, then write or spool what is left (bounded by `timeout`)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        deadline = time.monotonic() + timeout
        while self._rows and self.dsn and time.monotonic() < deadline:
            if self.flush() is None and self._rows:
                break  # neither the database nor the disk took them
        if self._rows:
            log.warning("decision log closed with %d rows unwritten", len(self._rows))
        self._reset()
