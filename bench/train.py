"""Training wall time per candidate and in total, at 100k and 1M applications.

Target: the whole training stage at 1M applications under 8 minutes on 2 cores with the
default search budget (settings: trials, time per candidate, search sample rows).
Sizes can be overridden: python bench/train.py 100000
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import scratch_database, write_results

from credit_risk.database import ensure_database, sqlalchemy_url, with_database
from credit_risk.feature_build import build_features
from credit_risk.settings import Settings
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.loader import load_raw

TARGET_SECONDS_AT_1M = 480


def main(sizes: list[int]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    import mlflow

    from credit_risk.labelled_features import load_training_frame
    from training.plan import options_from_settings
    from training.train import train_candidates

    t = Settings(_env_file=None).training  # type: ignore[call-arg]
    figures: dict[str, object] = {
        "budget": {
            "search_trials": t.search_trials,
            "search_timeout_seconds": t.search_timeout_seconds,
            "search_sample_rows": t.search_sample_rows,
        }
    }
    with scratch_database("bench_train") as dsn, tempfile.TemporaryDirectory() as work:
        store = with_database(dsn, "bench_train_mlflow")
        ensure_database(store)
        mlflow.set_tracking_uri(sqlalchemy_url(store, driver="psycopg2"))
        for applications in sizes:
            load_raw(dsn, GeneratorConfig(applications=applications, seed=1))
            build_features(dsn, target_path=Path(work) / "dbt-target")
            frame = load_training_frame(dsn)
            experiment = f"bench-{applications}"
            mlflow.create_experiment(
                experiment, artifact_location=(Path(work) / experiment).as_uri()
            )
            started = time.perf_counter()
            result = train_candidates(
                frame,
                experiment=experiment,
                **options_from_settings(t),
            )
            total = time.perf_counter() - started
            per_candidate = {}
            for name, run_id in result.run_ids.items():
                metrics = mlflow.get_run(run_id).data.metrics
                per_candidate[name] = {
                    "seconds": round(
                        sum(metrics.get(k, 0.0) for k in metrics if k.endswith("_seconds")), 1
                    ),
                    "search_seconds": round(metrics.get("search_seconds", float("nan")), 1),
                    "test_auc": round(metrics.get("test_auc", float("nan")), 4),
                    "test_ks": round(metrics.get("test_ks", float("nan")), 4),
                }
            figures[str(applications)] = {
                "training_rows": len(frame),
                "total_seconds": round(total, 1),
                "best_candidate": result.best_candidate,
                "failed": result.failed,
                "candidates": per_candidate,
            }
    if "1000000" in figures:
        total_1m = figures["1000000"]["total_seconds"]  # type: ignore[index]
        figures["target_1m_seconds"] = TARGET_SECONDS_AT_1M
        figures["meets_target"] = total_1m < TARGET_SECONDS_AT_1M
    write_results("train", figures)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
