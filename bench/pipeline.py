"""The whole book end to end: `credit-risk run pipeline` at 100k and 1M applications.

Each size runs in a fresh state folder (its own embedded PostgreSQL, MLflow store and Prefect
home) with the default training budget: generate, validate raw, dbt build, validate features,
the stress book, train every candidate, register and gate. Recorded per size: the wall time,
each stage's time (from the finishing times Prefect logs for its task runs, the stages running
one after another), and the peak resident memory of the command and every process under it.

Targets: 1M applications in <= 10 minutes on 2 cores with no loss of champion AUC, and
t(1M) / t(100k) <= 12.

    python bench/pipeline.py [applications ...]     (default: 100000 1000000)
"""

from __future__ import annotations

import os
import re
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
CLI = str(Path(sys.executable).with_name("credit-risk"))
TARGET_SECONDS_AT_1M = 600
TARGET_RATIO = 12
# Prefect's line when a task run ends, e.g. "12:01:02.345 | INFO | Task run 'build_features-0ab'
# - Finished in state Completed()".
FINISHED = re.compile(
    r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) \| \w+ +\| Task run '(?P<task>[\w-]+?)-[0-9a-f]+' - "
    r"Finished in state (?P<state>\w+)"
)
AUC = re.compile(r'"test_auc": ([0-9.]+)')


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


def _stages(lines: list[str], started_clock: float) -> dict[str, float]:
    """Seconds per task, from the gaps between the finishing times Prefect logged."""
    stages: dict[str, float] = {}
    previous = started_clock
    for line in lines:
        match = FINISHED.match(line)
        if match is None:
            continue
        h, m, s, ms = (int(match.group(i)) for i in range(1, 5))
        clock = h * 3600 + m * 60 + s + ms / 1000
        if clock < previous:  # past midnight
            clock += 86400
        task = match.group("task")
        stages[task] = round(stages.get(task, 0.0) + clock - previous, 1)
        previous = clock
    return stages


def run(applications: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CREDIT_", "MLFLOW_", "PREFECT_"))
        }
        env.update(
            {
                "CREDIT_PATHS__STATE_DIR": str(Path(tmp) / "state"),
                "CREDIT_PATHS__REPORTS_DIR": str(Path(tmp) / "reports"),
                "PREFECT_HOME": str(Path(tmp) / "prefect"),
                "PREFECT_LOGGING_LEVEL": "INFO",
            }
        )
        local = time.localtime()
        started_clock = local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec
        started = time.perf_counter()
        child = subprocess.Popen(
            [CLI, "run", "pipeline", "--applications", str(applications)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=_peak_rss, args=(child.pid, stop, peak), daemon=True)
        sampler.start()
        assert child.stdout is not None
        lines = []
        for line in child.stdout:
            lines.append(line.rstrip("\n"))
            print(line, end="", file=sys.stderr)
        code = child.wait()
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
    if code != 0:
        raise RuntimeError(f"pipeline at {applications} exited {code}: {lines[-20:]}")
    aucs = [float(a) for a in AUC.findall("\n".join(lines))]
    return {
        "applications": applications,
        "seconds": round(seconds, 1),
        "stages_seconds": _stages(lines, started_clock),
        "peak_rss_gib": round(peak[0] / 2**30, 2),
        "best_test_auc": max(aucs) if aucs else None,
    }


def main(sizes: list[int]) -> None:
    figures: dict[str, Any] = {"runs": {str(n): run(n) for n in sizes}}
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
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
