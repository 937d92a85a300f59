"""`data generate --to-files`: the generated book as one CSV per raw table, in contract order."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from credit_risk.raw_contract import TABLES
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.export import METADATA_FILE, write_book_files
from credit_risk.synthetic.generator import generate


def _rows(path: Path) -> list[list[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def test_every_raw_table_is_a_file_with_the_contract_columns_and_every_row(
    tmp_path: Path,
) -> None:
    config = GeneratorConfig(applications=400, seed=7)
    written = write_book_files(config, tmp_path / "book")
    data = generate(config)
    expected = {name: table.num_rows for name, table in data.tables.items()}
    expected["repayments"] = sum(chunk.num_rows for chunk in data.repayments())
    for table, columns in TABLES.items():
        rows = _rows(tmp_path / "book" / f"{table}.csv")
        assert rows[0] == [name for name, _ in columns], table
        assert len(rows) - 1 == written[table] == expected[table], table
    metadata = _rows(tmp_path / "book" / METADATA_FILE)
    assert metadata[0][0] == "snapshot_on" and len(metadata) == 2
    assert metadata[1][0] == config.snapshot_on.isoformat()


def test_the_cli_writes_files_without_a_database_and_refuses_a_file_as_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A DSN nobody answers: writing files must not need the database.
    monkeypatch.setenv("CREDIT_DATABASE__DSN", "postgresql://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(
        app, ["data", "generate", "--applications", "200", "--to-files", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert f"wrote 11 files to {tmp_path / 'out'}" in result.stdout
    assert (tmp_path / "out" / "applications.csv").exists()
    taken = tmp_path / "taken.txt"
    taken.write_text("x")
    refused = CliRunner().invoke(
        app, ["data", "generate", "--applications", "200", "--to-files", str(taken)]
    )
    assert refused.exit_code != 0
    assert "exists and is not a folder" in refused.output
    assert taken.read_text() == "x"
