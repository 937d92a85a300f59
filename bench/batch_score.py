"""Batch scoring benchmark: the score_batch flow over a book of N pending applications.

Generates N applications (default 1M) on a throwaway PostgreSQL, builds the features with
dbt, trains a LightGBM champion on a 100k-row sample (the model's size, not its training
set, sets the scoring cost), marks the whole book pending and runs the score_batch flow:
reads, scoring with four SHAP reason codes per row, and writes to serving.scores, in
50k-row chunks. Records the time and the process's resident memory while scoring, sampled
every 0.2 s, to show that memory stays flat (one chunk) rather than growing with the book.
Target: 1M applications in under 3 minutes.

    .venv/bin/python bench/batch_score.py [applications]
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

MODEL = "bench-batch"
CHUNK = 50_000
TRAINING_SAMPLE = 100_000
TARGET_SECONDS = 180


class MemorySampler:
    """Peak and per-sample resident memory of this process, on a background thread."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._process = psutil.Process()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self._process.memory_info().rss / 2**20)
            time.sleep(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _stage(name: str, started: float) -> float:
    seconds = time.perf_counter() - started
    print(f"== {name}: {seconds:.1f} s", flush=True)
    return round(seconds, 1)


def _champion(dsn: str, work: Path) -> None:
    from _common import promoted_champion

    from credit_risk.labelled_features import load_training_frame

    frame = load_training_frame(dsn)
    promoted_champion(
        dsn,
        frame.sample(n=min(TRAINING_SAMPLE, len(frame)), random_state=7),
        experiment="bench-batch",
        model_name=MODEL,
        candidates=["lightgbm"],
        artifact_root=work / "artifacts",
    )


def main(applications: int) -> None:
    import mlflow
    from _common import scratch_database, write_results

    from credit_risk.database import connect, ensure_database, sqlalchemy_url, with_database
    from credit_risk.feature_build import build_features
    from credit_risk.synthetic.config import GeneratorConfig
    from credit_risk.synthetic.loader import load_raw

    figures: dict[str, Any] = {"applications": applications, "chunk_size": CHUNK}
    with scratch_database("bench_batch") as dsn, tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        store_dsn = with_database(dsn, "bench_batch_mlflow")
        ensure_database(store_dsn)
        store = sqlalchemy_url(store_dsn, driver="psycopg2")
        os.environ.update(
            {
                "MLFLOW_TRACKING_URI": store,
                "CREDIT_MLFLOW__TRACKING_URI": store,
                "CREDIT_DATABASE__DSN": dsn,
                "CREDIT_PATHS__STATE_DIR": str(work / "state"),
                "PREFECT_HOME": str(work / "prefect"),
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
            }
        )
        mlflow.set_tracking_uri(store)
        started = time.perf_counter()
        load_raw(dsn, GeneratorConfig(applications=applications, seed=11))
        figures["generate_seconds"] = _stage("generate", started)
        started = time.perf_counter()
        build_features(dsn, target_path=work / "dbt-target")
        figures["features_seconds"] = _stage("dbt build", started)
        started = time.perf_counter()
        _champion(dsn, work)
        figures["champion_seconds"] = _stage("champion", started)
        with connect(dsn) as conn:
            conn.execute("update raw.applications set status = 'pending'")

        from flows.scoring import score_batch

        with MemorySampler() as memory:
            started = time.perf_counter()
            summary = score_batch(dsn=dsn, model_name=MODEL, chunk_size=CHUNK)
            wall = _stage("score_batch flow", started)
        rows = summary["scored"]
        scoring = summary["seconds"]
        figures["batch_scoring"] = {
            "scored": rows,
            "written": summary["written"],
            "chunks": summary["chunks"],
            "scoring_seconds": scoring,
            "flow_wall_seconds": wall,
            "rows_per_second": round(rows / scoring) if scoring else None,
            "target_seconds": TARGET_SECONDS,
            "meets_target": scoring < TARGET_SECONDS,
            "rss_mib_start": round(memory.samples[0]) if memory.samples else None,
            "rss_mib_peak": round(max(memory.samples)) if memory.samples else None,
            "rss_mib_end": round(memory.samples[-1]) if memory.samples else None,
        }
    write_results("batch_score", figures)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
