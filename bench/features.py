"""dbt build and Great Expectations validation times at 100k and 1M applications.

Target: the full build plus validation at 1M applications under 4 minutes on 2 cores.
Sizes can be overridden: python bench/features.py 100000
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import scratch_database, write_results

from credit_risk.feature_build import build_features
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.loader import load_raw
from expectations.batch_reference import compute_reference
from expectations.validate import validate_data

TARGET_SECONDS_AT_1M = 240


def main(sizes: list[int]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    figures: dict[str, object] = {}
    with scratch_database("bench_features") as dsn, tempfile.TemporaryDirectory() as work:
        for applications in sizes:
            load_raw(dsn, GeneratorConfig(applications=applications, seed=1))
            started = time.perf_counter()
            build = build_features(dsn, target_path=Path(work) / "dbt-target")
            dbt_seconds = time.perf_counter() - started
            reference = compute_reference(dsn)
            started = time.perf_counter()
            summary = validate_data(dsn, reports_dir=Path(work) / "reports", reference=reference)
            gx_seconds = time.perf_counter() - started
            figures[str(applications)] = {
                "dbt_build_seconds": round(dbt_seconds, 1),
                "dbt_nodes": build.counts,
                "validation_seconds": round(gx_seconds, 1),
                "expectations": summary.evaluated,
                "validation_success": summary.success,
                "total_seconds": round(dbt_seconds + gx_seconds, 1),
            }
    if "1000000" in figures:
        total = figures["1000000"]["total_seconds"]  # type: ignore[index]
        figures["target_1m_seconds"] = TARGET_SECONDS_AT_1M
        figures["meets_target"] = total < TARGET_SECONDS_AT_1M
    write_results("features", figures)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
