"""Which failures are worth retrying: lost connections and HTTP hiccups, not bad data."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from prefect.cache_policies import NO_CACHE

if TYPE_CHECKING:
    from prefect import Task

P = ParamSpec("P")
R = TypeVar("R")

RETRY_DELAYS: list[float] = [2, 5, 15]

TRANSIENT_MARKERS = (
    "connection refused",
    "could not connect",
    "server closed the connection",
    "terminating connection",
    "connection reset",
    "timed out",
    "temporarily unavailable",
    "no such file or directory",  # Unix socket gone while PostgreSQL restarts
)


def is_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retry condition: retry connection-level errors only."""
    try:
        state.result()
    except Exception as exc:
        return is_transient_error(exc)
    return False


# The options of every task that reads or writes the database: retry lost connections (not bad
# data) on RETRY_DELAYS, and never serve a cached result, since tasks take settings, not data.
TRANSIENT_RETRIES: dict[str, Any] = {
    "retries": len(RETRY_DELAYS),
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_condition_fn": is_transient,
    "cache_policy": NO_CACHE,
}


def is_transient_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        name = type(seen).__name__
        text = str(seen).lower()
        if name in ("OperationalError", "ConnectionError", "ConnectTimeout", "ReadTimeout"):
            return True
        if name == "DatabaseError" and any(m in text for m in TRANSIENT_MARKERS):
            return True
        if any(m in text for m in TRANSIENT_MARKERS) and "Connection" in name:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def retrying(task: Task[P, R], delays: Sequence[float]) -> Task[P, R]:
    """The task retrying transient failures once per delay, as configured for this run."""
    return task.with_options(retries=len(delays), retry_delay_seconds=list(delays))


class DatabaseUnavailableError(RuntimeError):
    """PostgreSQL stayed unreachable through every retry of a task."""


@contextmanager
def explain_database_outage(dsn: str, retries: int, kept: str) -> Iterator[None]:
    """Turn a connection failure that outlived its retries into a message saying what to do."""
    try:
        yield
    except Exception as exc:
        if not is_transient_error(exc):
            raise
        from credit_risk.database import parse_dsn

        where = parse_dsn(dsn)
        raise DatabaseUnavailableError(
            f"PostgreSQL at {where.host}:{where.port}/{where.dbname} is unreachable after "
            f"{retries} retries ({_root_cause(exc)}); start it (credit-risk db start) or check "
            f"CREDIT_DATABASE__DSN, then rerun: {kept}"
        ) from exc


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else 'no message'}"
