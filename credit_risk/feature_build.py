"""Build the dbt feature layer (models, data tests and unit tests) in-process, explained for people."""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from credit_risk.environment import database_environment
from credit_risk.schema_names import check_batch_name, check_schema_name

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
# dbt statuses that make a build fail; "skipped" nodes are the downstream casualties of these.
FAILED_STATUSES = frozenset({"error", "fail"})


@dataclass(frozen=True)
class FeatureBuildResult:
    """What one `dbt build` did: per-status node counts and every failed node with its message."""

    success: bool
    invocation_id: str | None
    seconds: float
    counts: dict[str, int]
    failures: list[tuple[str, str]] = field(default_factory=list)
    target_path: Path = DBT_PROJECT_DIR / "target"

    @property
    def log_path(self) -> Path:
        return self.target_path / "logs"


class FeatureBuildError(RuntimeError):
    """The dbt build failed; the message names each failed node and what to do next."""

    def __init__(self, result: FeatureBuildResult, reason: str | None = None) -> None:
        self.result = result
        lines = [reason or f"dbt build failed: {_summary(result.counts)}"]
        lines += [f"  {node}: {message}" for node, message in result.failures]
        lines.append(
            "Fix the raw data or the model named above, then build again. A failing test's SQL "
            f"(select it to see the offending rows) is under {result.target_path / 'compiled'}; "
            f"dbt's full log is {result.log_path / 'dbt.log'}."
        )
        super().__init__("\n".join(lines))


def build_features(
    dsn: str,
    *,
    select: str | None = None,
    target_path: Path | None = None,
    vars: Mapping[str, str] | None = None,
) -> FeatureBuildResult:
    """Run `dbt build` (optionally only `select`) against `dsn`; raise FeatureBuildError on failure.

    `vars` are dbt project variables, e.g. {"raw_schema": "batch", "schema_prefix": "batch"}
    builds a named batch's features into batch_staging, batch_intermediate and batch_marts.
    Both are checked first (credit_risk.schema_names), so a build never lands in a platform schema.
    """
    check_build_vars(vars or {})
    from dbt.cli.main import dbtRunner

    target = Path(target_path or os.environ.get("DBT_TARGET_PATH") or DBT_PROJECT_DIR / "target")
    # profiles.yml reads only these variables, so no credentials are written to disk.
    os.environ.update(database_environment(dsn))
    args = [
        "build",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(target / "logs"),
        "--quiet",
        "--no-use-colors",
    ]
    if select:
        # Cautious: a relationship test runs only when both of its models are selected too,
        # so a partial build never tests a table it did not build.
        args += ["--select", select, "--indirect-selection", "cautious"]
    if vars:
        args += ["--vars", json.dumps(dict(vars))]
    progress = _Progress()
    log.info(
        "dbt build%s starting (project %s)",
        f" --select {select}" if select else "",
        DBT_PROJECT_DIR,
    )
    started = time.perf_counter()
    try:
        outcome = dbtRunner(callbacks=[progress]).invoke(args)
    finally:
        _close_dbt_log_files()
    seconds = time.perf_counter() - started

    results = list(getattr(outcome.result, "results", None) or [])
    counts = dict(Counter(_status(r) for r in results))
    failures = [
        (_node_label(r.node), _message(r)) for r in results if _status(r) in FAILED_STATUSES
    ]
    result = FeatureBuildResult(
        success=bool(outcome.success),
        invocation_id=progress.invocation_id,
        seconds=seconds,
        counts=counts,
        failures=failures,
        target_path=target,
    )
    _log_stages(results)
    if outcome.exception is not None or (not outcome.success and not results):
        # dbt did not get as far as running nodes: parse errors, no connection, bad profile.
        reason = str(outcome.exception or "dbt stopped before running any node").strip()
        raise FeatureBuildError(result, f"dbt build could not run: {reason}")
    if not outcome.success:
        raise FeatureBuildError(result)
    log.info("dbt build succeeded in %.1f s: %s", seconds, _summary(counts))
    return result


def _close_dbt_log_files() -> None:
    """Close the dbt.log handle an in-process build leaves open.

    dbt replaces its file logger at the next invocation by clearing the handler list without
    closing it, so a process that builds more than once (flows, tests) leaks one file per build.
    """
    from dbt_common.events.event_manager_client import get_event_manager

    for dbt_logger in getattr(get_event_manager(), "loggers", []):
        python_logger = getattr(dbt_logger, "_python_logger", None)
        if not isinstance(python_logger, logging.Logger):
            continue
        for handler in list(python_logger.handlers):
            if isinstance(handler, logging.FileHandler):
                handler.close()
                python_logger.removeHandler(handler)


def check_build_vars(vars: Mapping[str, str]) -> None:
    """Refuse a raw_schema or schema_prefix that would point dbt at the platform's own schemas."""
    if "raw_schema" in vars:
        check_schema_name(vars["raw_schema"], what="raw_schema")
    prefix = vars.get("schema_prefix")
    if prefix:  # "" (the default) builds the main layers
        check_batch_name(prefix, what="schema_prefix")


class _Progress:
    """dbt event callback: log each finished model as it happens, tests only at debug level."""

    def __init__(self) -> None:
        self.finished = 0
        self.invocation_id: str | None = None

    def __call__(self, event: Any) -> None:
        self.invocation_id = self.invocation_id or event.info.invocation_id or None
        if event.info.name != "NodeFinished":
            return
        self.finished += 1
        node, run = event.data.node_info, event.data.run_result
        level = logging.INFO if node.resource_type == "model" else logging.DEBUG
        if run.status in FAILED_STATUSES:
            level = logging.WARNING
        log.log(
            level,
            "%s %s: %s in %.1f s (%d nodes done)",
            node.resource_type,
            node.node_name,
            run.status,
            run.execution_time,
            self.finished,
        )


def _log_stages(results: list[Any]) -> None:
    """One line per stage (layer x resource type): node counts by status and summed time."""
    stages: dict[str, Counter[str]] = defaultdict(Counter)
    seconds: dict[str, float] = defaultdict(float)
    for r in results:
        parts = Path(getattr(r.node, "original_file_path", "") or "").parts
        layer = parts[1] if len(parts) > 2 and parts[0] == "models" else "project"
        stage = f"{layer} {r.node.resource_type}s"
        stages[stage][_status(r)] += 1
        seconds[stage] += float(r.execution_time or 0.0)
    for stage in sorted(stages):
        log.info("%s: %s, %.1f s", stage, _summary(stages[stage]), seconds[stage])


def _status(result: Any) -> str:
    return str(getattr(result.status, "value", result.status))


def _node_label(node: Any) -> str:
    where = getattr(node, "original_file_path", "") or ""
    return f"{node.resource_type} {node.name}" + (f" ({where})" if where else "")


def _message(result: Any) -> str:
    # One line per node: unit-test diffs and database errors span several lines.
    return " ".join(str(result.message or _status(result)).split())


def _summary(counts: dict[str, int] | Counter[str]) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no nodes"
