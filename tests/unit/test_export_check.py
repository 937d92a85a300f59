"""A lender's export is checked against the raw contract before anything is loaded: every
problem names the file, the column, the row and the value (redacted where personal)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from credit_risk.export_check import ExportError, read_export
from credit_risk.export_load import check_export_folder
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.export import write_book_files

CONFIG = GeneratorConfig(applications=300, seed=3)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    write_book_files(CONFIG, folder)
    return folder


@pytest.fixture
def export(clean: Path, tmp_path: Path) -> Path:
    """A copy of the clean export for one test to break."""
    folder = tmp_path / "export"
    folder.mkdir()
    for path in clean.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    return folder


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write(path: Path, records: list[dict[str, str]], columns: list[str] | None = None) -> None:
    columns = columns or list(records[0])
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)


def change(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Set one value; `row` counts data rows from 0 (line row + 2 of the file)."""
    records = rows(folder / f"{table}.csv")
    records[row][column] = value
    write(folder / f"{table}.csv", records)


def problems(folder: Path) -> list[str]:
    with pytest.raises(ExportError) as raised:
        check_export_folder(folder)
    assert "nothing was loaded" in str(raised.value)
    return [str(p) for p in raised.value.problems]


def test_the_example_export_fits_and_keeps_its_snapshot_date(clean: Path) -> None:
    assert read_export(clean).problems == []
    checked = check_export_folder(clean)
    assert checked.snapshot_on == CONFIG.snapshot_on
    assert checked.batches["applications"][0].num_rows == CONFIG.applications


def test_a_text_value_in_an_amount_names_file_column_row_and_value(export: Path) -> None:
    change(export, "applications", 5, "loan_amount", "12k")
    assert problems(export) == ["applications.csv, column loan_amount: not a number: row 7 ('12k')"]


def test_personal_values_are_redacted(export: Path) -> None:
    change(export, "customers", 0, "date_of_birth", "1980-13-45")
    change(export, "employment", 2, "monthly_income", "-4000")
    found = problems(export)
    assert "customers.csv, column date_of_birth: not a calendar date: row 2 ('<redacted>')" in found
    assert any(
        "employment.csv, column monthly_income: negative" in p and "<redacted>" in p for p in found
    )
    assert not any("1980-13-45" in p or "-4000" in p for p in found)


def test_columns_missing_or_unknown_and_required_values_are_named(export: Path) -> None:
    records = rows(export / "loans.csv")
    columns = [c for c in records[0] if c != "emi"] + ["branch"]
    write(export / "loans.csv", [{**r, "branch": "x"} for r in records], columns)
    change(export, "customers", 3, "region", "")
    found = problems(export)
    assert "loans.csv: missing columns emi" in found
    assert "loans.csv: columns the contract does not have: branch" in found
    assert "customers.csv, column region: empty, but the column is required: row 5" in found


def test_keys_and_references_are_checked(export: Path) -> None:
    records = rows(export / "customers.csv")
    write(export / "customers.csv", [*records, records[0]])
    change(export, "loans", 0, "application_id", "99999999")
    found = problems(export)
    last = len(records) + 2
    assert (
        f"customers.csv, column customer_id: duplicate primary key: row 2 ('1'), row {last} ('1')"
        in found
    )
    assert (
        "loans.csv, column application_id: no applications row has this application_id "
        "(applications.csv): row 2 ('99999999')"
    ) in found


def test_a_rate_given_as_a_fraction_is_refused(export: Path) -> None:
    records = rows(export / "applications.csv")
    for record in records:
        if record["interest_rate"]:
            record["interest_rate"] = str(float(record["interest_rate"]) / 100)
    write(export / "applications.csv", records)
    (found,) = problems(export)
    assert found.startswith("applications.csv, column interest_rate: every rate is at most")
    assert "percent per year (12.5, not 0.125)" in found


def test_many_bad_rows_are_counted_not_all_listed(export: Path) -> None:
    records = rows(export / "repayments.csv")
    for record in records[:50]:
        record["due_on"] = "soon"
    write(export / "repayments.csv", records)
    (found,) = problems(export)
    assert found.count("row ") == 5 and found.endswith("and 45 more rows")


def test_a_missing_file_or_folder_is_named(export: Path, tmp_path: Path) -> None:
    (export / "npa_tracking.csv").unlink()
    assert "npa_tracking.csv: missing: every raw table needs a file" in problems(export)
    with pytest.raises(ValueError, match="not a folder"):
        check_export_folder(tmp_path / "nowhere")


def test_without_metadata_the_snapshot_is_the_latest_activity_or_the_one_given(
    export: Path,
) -> None:
    (export / "extract_metadata.csv").unlink()
    latest = max(
        date.fromisoformat(r["paid_on"]) for r in rows(export / "repayments.csv") if r["paid_on"]
    )
    inferred = check_export_folder(export).snapshot_on
    assert latest <= inferred <= CONFIG.snapshot_on
    assert check_export_folder(export, date(2024, 1, 31)).snapshot_on == date(2024, 1, 31)


def test_parquet_files_are_read_and_checked_like_csv(export: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    typed = pacsv.read_csv(export / "applications.csv")  # dates and numbers as Parquet types
    (export / "applications.csv").unlink()
    pq.write_table(typed, export / "applications.parquet")
    assert read_export(export).problems == []
    assert check_export_folder(export).batches["applications"][0].num_rows == CONFIG.applications

    broken = typed.set_column(
        typed.column_names.index("tenure_months"),
        "tenure_months",
        pa.array(["36 months"] + [str(v) for v in typed["tenure_months"].to_pylist()[1:]]),
    )
    pq.write_table(broken, export / "applications.parquet")
    assert problems(export) == [
        "applications.parquet, column tenure_months: not a whole number: row 1 ('36 months')"
    ]
