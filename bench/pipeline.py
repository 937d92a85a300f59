"""The whole book end to end: `credit-risk run pipeline` at 100k and 1M applications.

Each size runs in a fresh state folder (its own embedded PostgreSQL, MLflow store and Prefect
home) with the default training budget: generate, validate raw, dbt build, validate features,
the stress book, train every candidate, register and gate. Recorded per size: the wall time,
each task's run time as Prefect recorded it (the flow runs in a child process, the training
subflow's tasks included), and the peak resident memory of that process and every process
under it.

Targets: 1M applications in <= 10 minutes on 2 cores with no loss of champion AUC, and
t(1M) / t(100k) <= 12.

    python bench/pipeline.py [applications ...]     (default: 100000 1000000)
    CREDIT_RUNNER__TASK_RUNNER=dask python bench/pipeline.py    (candidates on 2 workers)
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS_AT_1M = 600
TARGET_RATIO = 12


def _peak_rss(pid: int, stop: threading.Event, peak: list[int]) -> None:
    import psutil

    root = psutil.Process(pid)
    while not stop.wait(0.5):
        try:
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        peak[0] = max(peak[0], total)


def one(applications: int) -> dict[str, Any]:
    """Run the pipeline flow in this process; each task run's time, from Prefect's own record."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    from flows.pipeline import run_pipeline

    stages = logging.getLogger("training")  # each candidate's and the gate's own timings
    stages.setLevel(logging.INFO)
    stages.addHandler(logging.StreamHandler())
    state = run_pipeline(applications=applications, return_state=True)
    summary = state.result()
    flow_run_id = state.state_details.flow_run_id

    async def task_times() -> dict[str, float]:
        async with get_client() as client:
            runs = [await client.read_flow_run(flow_run_id)]
            runs += await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])
                )
            )
            times: dict[str, float] = {}
            for run in runs:
                for task in await client.read_task_runs(
                    flow_run_filter=FlowRunFilter(id={"any_": [run.id]})
                ):
                    name = task.name.rsplit("-", 1)[0]
                    times[name] = round(
                        times.get(name, 0.0) + task.total_run_time.total_seconds(), 1
                    )
            return times

    training = summary.get("training") or {}
    aucs = [m.get("test_auc", 0.0) for m in training.get("candidate_metrics", {}).values()]
    return {
        "flow_seconds": summary.get("seconds"),
        "stages_seconds": asyncio.run(task_times()),
        "best_test_auc": max(aucs) if aucs else None,
        "candidates": _candidate_times(),
    }


CANDIDATE_FIGURES = ("search_seconds", "calibrate_seconds", "evaluate_seconds", "log_seconds")


def _candidate_times() -> dict[str, dict[str, float]]:
    """Each candidate run's stage times, search trials and AUCs, from the MLflow store."""
    import math

    import mlflow

    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    out: dict[str, dict[str, float]] = {}
    for run in runs:
        metrics = run.data.metrics
        if "search_seconds" not in metrics:
            continue
        figures = {k: round(metrics[k], 1) for k in CANDIDATE_FIGURES if k in metrics}
        for key in ("cv_auc", "val_auc", "test_auc"):
            value = metrics.get(key, run.data.params.get(key))
            if value is not None and not math.isnan(float(value)):
                figures[key] = round(float(value), 4)
        if "search_trials" in run.data.params:
            figures["trials"] = float(run.data.params["search_trials"])
        out[run.info.run_name] = figures
    return out


def run(applications: int) -> dict[str, Any]:
    """One size in a child process with a fresh state folder; its wall time and peak memory."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        env = {  # the task runner may be chosen (CREDIT_RUNNER__*); nothing else carries over
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CREDIT_", "MLFLOW_", "PREFECT_"))
            or k.startswith("CREDIT_RUNNER__")
        }
        env.update(
            {
                "CREDIT_PATHS__STATE_DIR": str(Path(tmp) / "state"),
                "CREDIT_PATHS__REPORTS_DIR": str(Path(tmp) / "reports"),
                "PREFECT_HOME": str(Path(tmp) / "prefect"),
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "DO_NOT_TRACK": "1",
            }
        )
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, __file__, "--one", str(applications)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=_peak_rss, args=(child.pid, stop, peak), daemon=True)
        sampler.start()
        out, _ = child.communicate()
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"pipeline at {applications} exited {child.returncode}")
    return {
        "applications": applications,
        "seconds": round(seconds, 1),
        **json.loads(out.strip().splitlines()[-1]),
        "peak_rss_gib": round(peak[0] / 2**30, 2),
    }


def main(sizes: list[int]) -> None:
    figures: dict[str, Any] = {
        "configuration": {
            "task_runner": os.environ.get("CREDIT_RUNNER__TASK_RUNNER", "local"),
            "dask_workers": int(os.environ.get("CREDIT_RUNNER__DASK_WORKERS", "2")),
            "budget": "default training settings (8 trials, 60 s, 50k-row search sample)",
        },
        "runs": {str(n): run(n) for n in sizes},
    }
    runs = figures["runs"]
    if "100000" in runs and "1000000" in runs:
        ratio = runs["1000000"]["seconds"] / runs["100000"]["seconds"]
        figures["targets"] = {
            "seconds_at_1M": {
                "target": TARGET_SECONDS_AT_1M,
                "measured": runs["1000000"]["seconds"],
                "met": runs["1000000"]["seconds"] <= TARGET_SECONDS_AT_1M,
            },
            "t_1M_over_t_100k": {
                "target": TARGET_RATIO,
                "measured": round(ratio, 2),
                "met": ratio <= TARGET_RATIO,
            },
        }
    write_results("pipeline", figures)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        import json

        print(json.dumps(one(int(sys.argv[2])), default=str))
    else:
        main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
