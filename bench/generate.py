"""Rows per second of generating and loading the raw schema, at 100k and 1M applications.

Target: 1M applications with all their child rows loaded in under 3 minutes on 2 cores.
Sizes can be overridden: python bench/generate.py 100000 1000000
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import scratch_database, write_results

from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.loader import load_raw

TARGET_SECONDS_AT_1M = 180


def main(sizes: list[int]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    figures = {}
    with scratch_database("bench_generate") as dsn:
        for applications in sizes:
            started = time.perf_counter()
            report = load_raw(dsn, GeneratorConfig(applications=applications, seed=1))
            seconds = time.perf_counter() - started
            figures[str(applications)] = {
                "seconds": round(seconds, 1),
                "rows": report.total_rows,
                "rows_per_second": round(report.total_rows / seconds),
                "per_table_seconds": {k: round(v, 2) for k, v in report.seconds.items()},
                "rows_per_table": report.rows,
            }
    if "1000000" in figures:
        figures["target_1m_seconds"] = TARGET_SECONDS_AT_1M
        figures["meets_target"] = figures["1000000"]["seconds"] < TARGET_SECONDS_AT_1M
    write_results("generate", figures)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
