"""Shared by the benchmarks: a throwaway embedded PostgreSQL and a results file per run."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

if TYPE_CHECKING:
    from training.plan import TrainingOptions

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_gib, 1),
    }


def write_results(name: str, figures: dict[str, Any]) -> Path:
    """Write <name>.json (latest) and append to <name>.jsonl (history)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "figures": figures,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    with (RESULTS / f"{name}.jsonl").open("a") as history:
        history.write(json.dumps(record) + "\n")
    print(json.dumps(record, indent=2))
    return RESULTS / f"{name}.json"


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A DSN on a temporary embedded PostgreSQL (or CREDIT_BENCH_DSN), removed afterwards."""
    from credit_risk.database import EmbeddedPostgres, ensure_database, with_database

    external = os.environ.get("CREDIT_BENCH_DSN")
    if external:
        yield external
        return
    with tempfile.TemporaryDirectory(prefix=f"bench-{prefix}-") as root:
        server = EmbeddedPostgres(Path(root) / "pgdata")
        dsn = with_database(server.start(), prefix)
        ensure_database(dsn)
        try:
            yield dsn
        finally:
            server.stop()


def promoted_champion(
    dsn: str,
    frame: Any,
    *,
    experiment: str,
    model_name: str,
    artifact_root: Path,
    **options: Unpack[TrainingOptions],
) -> int:
    """Train the given candidates (one search trial by default), promote the best as champion.

    What a benchmark needs is a realistic model to score with, not a tuned one.
    """
    from credit_risk.tracking import ensure_experiment
    from training.registry.manual import promote_version
    from training.registry.versions import register_challenger
    from training.train import train_candidates

    ensure_experiment(experiment, artifact_root)
    options.setdefault("n_trials", 1)
    result = train_candidates(frame, experiment=experiment, **options)
    version = register_challenger(result.best_run_id, model_name=model_name)
    promote_version(
        version.version, actor="bench", reason="benchmark", dsn=dsn, model_name=model_name
    )
    return int(version.version)
