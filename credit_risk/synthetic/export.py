"""Write a generated book as files, one CSV per raw table: an example of a lender's export.

The files are what `data generate` would load into `raw`, column for column in the contract's
order (`credit_risk.raw_contract`), plus `extract_metadata.csv` with the snapshot date. They
show a lender's data engineer the shape their own export has to take.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from credit_risk.raw_contract import TABLES
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.generator import generate, metadata_table

__all__ = ["METADATA_FILE", "write_book_files"]

log = logging.getLogger(__name__)

METADATA_FILE = "extract_metadata.csv"


def write_book_files(config: GeneratorConfig, folder: Path) -> dict[str, int]:
    """Generate the book for `config` into `folder` (created; existing files replaced).

    Returns the rows written per table. Repayments stream chunk by chunk, so memory stays flat.
    """
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--to-files: {folder} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = generate(config)
    rows: dict[str, int] = {}
    for table, columns in TABLES.items():
        names = [name for name, _ in columns]
        chunks = data.repayments() if table == "repayments" else iter([data.tables[table]])
        path = folder / f"{table}.csv"
        writer: pacsv.CSVWriter | None = None
        rows[table] = 0
        try:
            for chunk in chunks:
                part = chunk.select(names)
                if writer is None:
                    writer = pacsv.CSVWriter(str(path), part.schema)
                writer.write_table(part)
                rows[table] += part.num_rows
        finally:
            if writer is not None:
                writer.close()
        if writer is None:  # no rows at all (a tiny book without collateral): the header alone
            path.write_text(",".join(f'"{name}"' for name in names) + "\n")
        log.info("wrote %s: %s rows", path, f"{rows[table]:,}")
    metadata: pa.Table = metadata_table(config)
    pacsv.write_csv(metadata, str(folder / METADATA_FILE))
    rows["extract_metadata"] = metadata.num_rows
    log.info("wrote %d files to %s in %.1f s", len(rows), folder, time.perf_counter() - started)
    return rows
