"""Which failures are worth retrying: lost connections and HTTP hiccups, not bad data."""

from __future__ import annotations

from typing import Any

RETRY_DELAYS = [2, 5, 15]

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
