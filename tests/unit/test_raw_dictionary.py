"""The data dictionary describes exactly the raw contract's columns, each with a known unit."""

from __future__ import annotations

from credit_risk.raw_contract import TABLES
from credit_risk.raw_dictionary import COLUMNS, TABLE_MEANINGS, UNITS, markdown_page


def test_every_contract_column_and_nothing_else_is_described() -> None:
    contract = {(table, column) for table, columns in TABLES.items() for column, _ in columns}
    assert set(COLUMNS) == contract
    assert set(TABLE_MEANINGS) == set(TABLES)


def test_every_unit_is_defined_and_every_meaning_is_a_sentence() -> None:
    for (table, column), (meaning, unit) in COLUMNS.items():
        assert unit in UNITS, f"{table}.{column}: unknown unit {unit!r}"
        assert meaning.endswith("."), f"{table}.{column}: {meaning!r}"


def test_the_page_has_a_row_per_column_with_its_keys() -> None:
    page = markdown_page()
    rows = [line for line in page.splitlines() if line.startswith("| `")]
    assert len(rows) == len(COLUMNS)
    assert "| `loan_id` | `bigint` | no | references `loans.loan_id` |" in page
    assert "| `monthly_rent` | `numeric(14,2)` | yes |  | amount in the book's currency |" in page
    assert "Referenced by `employment.customer_id`" in page
