"""A lender's export checked against the raw contract before anything is loaded.

An export is a folder with one file per raw table (`<table>.csv` or `<table>.parquet`), the
shape `credit-risk data generate --to-files` writes. Every file is read as text and checked
column by column: missing or extra columns, values that are not of the column's type, nulls
where the contract forbids them, duplicate primary keys, references to rows that do not exist,
and units that are clearly off (negative money, a rate given as a fraction). Every problem names
the file, the column, the row (the line in a CSV file, header = line 1; the row number in a
Parquet file) and the value; values of personal columns are redacted.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from credit_risk.raw_contract import FOREIGN_KEYS, PRIMARY_KEYS, TABLES
from credit_risk.raw_dictionary import COLUMNS

__all__ = [
    "Export",
    "ExportError",
    "ExportProblem",
    "check_export",
    "parse_dates",
    "read_export",
    "read_export_schema",
]

# Rows listed per column and kind of problem; the rest are counted.
ROWS_SHOWN = 5
REDACTED = "<redacted>"
PERSONAL = {
    ("customers", "date_of_birth"),
    ("employment", "monthly_income"),
    ("guarantors", "monthly_income"),
}
PATTERNS = {
    "integer": re.compile(r"^[+-]?\d+$"),
    "decimal": re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "timestamp": re.compile(
        r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([+-]\d{2}(:?\d{2})?|Z)?$"
    ),
    "boolean": re.compile(r"^(?i:true|false|t|f|yes|no|y|n|1|0)$"),
}
EXPECTED = {
    "integer": "a whole number",
    "decimal": "a number",
    "date": "a date (YYYY-MM-DD)",
    "timestamp": "a date and time (YYYY-MM-DD HH:MM:SS)",
    "boolean": "true or false",
}


@dataclass(frozen=True)
class ExportProblem:
    file: str
    column: str | None
    message: str
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()
    more: int = 0

    def __str__(self) -> str:
        where = self.file if self.column is None else f"{self.file}, column {self.column}"
        if not self.rows:
            return f"{where}: {self.message}"
        shown = ", ".join(
            f"row {row} ({value!r})" if value else f"row {row}"
            for row, value in zip(self.rows, self.values, strict=True)
        )
        more = f" and {self.more:,} more rows" if self.more else ""
        return f"{where}: {self.message}: {shown}{more}"


class ExportError(ValueError):
    """The export does not fit the raw contract; nothing was loaded."""

    def __init__(self, folder: Path | str, problems: list[ExportProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"- {p}" for p in problems)
        super().__init__(
            f"{folder}: {len(problems)} problem(s), nothing was loaded and the current raw data "
            f"is unchanged:\n{lines}\nThe data dictionary (docs: reference/data-dictionary) "
            "lists every table, column, type and unit."
        )


def kind_of(sql_type: str) -> str:
    base = sql_type.split()[0]
    if base in ("bigint", "integer"):
        return "integer"
    if base.startswith("numeric") or base == "double":
        return "decimal"
    return base if base in ("date", "timestamp", "boolean") else "text"


@dataclass
class Export:
    """The tables of an export as text, the file each came from, and what is wrong with them."""

    tables: dict[str, pa.Table]
    files: dict[str, str]
    problems: list[ExportProblem]


def read_export(folder: Path) -> Export:
    """Each contract table's file as text columns, checked; a missing file is a problem too."""
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder; an export is one file per raw table")
    tables: dict[str, pa.Table] = {}
    files: dict[str, str] = {}
    problems = []
    for table in TABLES:
        found = [p for p in (folder / f"{table}.csv", folder / f"{table}.parquet") if p.exists()]
        if not found:
            problems.append(
                ExportProblem(f"{table}.csv", None, "missing: every raw table needs a file")
            )
            continue
        try:
            tables[table] = _read_text(found[0])
            files[table] = found[0].name
        except (pa.ArrowInvalid, OSError) as exc:
            problems.append(ExportProblem(found[0].name, None, f"cannot be read: {exc}"))
    problems += check_export(tables, files)
    return Export(tables, files, problems)


def read_export_schema(dsn: str, schema: str) -> Export:
    """The contract's tables of another schema of the database, as text, checked like files.

    Rows are read (and counted in problems) in primary-key order.
    """
    import psycopg
    from psycopg import sql

    from credit_risk.database import connect

    tables: dict[str, pa.Table] = {}
    files: dict[str, str] = {}
    problems = []
    with connect(dsn) as conn, conn.cursor() as cursor:
        present = {
            name
            for (name,) in cursor.execute(
                "select table_name from information_schema.tables where table_schema = %s",
                (schema,),
            )
        }
        if not present:
            raise ValueError(f"--from-schema: the database has no schema {schema!r} with tables")
        for table in TABLES:
            label = f"{schema}.{table}"
            if table not in present:
                problems.append(ExportProblem(label, None, "missing: every raw table is needed"))
                continue
            query = sql.SQL(
                "copy (select * from {}.{} order by 1) to stdout with (format csv, header true)"
            ).format(sql.Identifier(schema), sql.Identifier(table))
            buffer = bytearray()
            try:
                with cursor.copy(query) as copy:
                    for chunk in copy:
                        buffer += chunk
            except psycopg.Error as exc:
                problems.append(ExportProblem(label, None, f"cannot be read: {exc}"))
                conn.rollback()
                continue
            tables[table] = _text_csv(bytes(buffer))
            files[table] = label
    problems += check_export(tables, files)
    return Export(tables, files, problems)


def _text_csv(data: bytes) -> pa.Table:
    """COPY's CSV as text: NULL is an empty field, an empty string a quoted one."""
    import io

    names = next(csv.reader(io.StringIO(data.split(b"\n", 1)[0].decode())), [])
    return _as_text(pacsv.read_csv(io.BytesIO(data), convert_options=_text_options(names, False)))


def _read_text(path: Path) -> pa.Table:
    """Every column as text, so a bad value is reported by us with its row, not by a parser."""
    if path.suffix == ".parquet":
        return _as_text(pq.read_table(path))
    with path.open(newline="") as handle:
        names = next(csv.reader(handle), [])
    return _as_text(pacsv.read_csv(path, convert_options=_text_options(names, True)))


def _text_options(names: list[str], quoted_can_be_null: bool) -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=quoted_can_be_null,
    )


def _as_text(table: pa.Table) -> pa.Table:
    """Each column as trimmed text, the form every check and the load itself read."""
    return pa.table(
        {
            name: pc.utf8_trim_whitespace(pc.cast(table[name], pa.string()))
            for name in table.column_names
        }
    )


def parse_dates(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """YYYY-MM-DD text as timestamps; anything else (2023-02-30 included) as null."""
    return pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)


def check_export(tables: dict[str, pa.Table], files: dict[str, str]) -> list[ExportProblem]:
    """Every problem of the tables read by `read_export` (`files`: table → file name)."""
    problems: list[ExportProblem] = []
    for table, data in tables.items():
        problems += _check_table(table, data, files[table])
    problems += _check_references(tables, files)
    return problems


def _check_table(table: str, data: pa.Table, file: str) -> list[ExportProblem]:
    contract = dict(TABLES[table])
    names = data.column_names
    missing = [c for c in contract if c not in names]
    extra = [c for c in names if c not in contract]
    problems = []
    if missing:
        problems.append(ExportProblem(file, None, f"missing columns {', '.join(missing)}"))
    if extra:
        problems.append(
            ExportProblem(file, None, f"columns the contract does not have: {', '.join(extra)}")
        )
    for column, sql_type in contract.items():
        if column in names:
            problems += _check_column(table, column, sql_type, data[column], file)
    key = PRIMARY_KEYS[table]
    if key in names:
        problems += _duplicates(table, key, data[key], file)
    return problems


def _check_column(
    table: str, column: str, sql_type: str, values: pa.ChunkedArray, file: str
) -> list[ExportProblem]:
    problems = []
    kind = kind_of(sql_type)
    text = values
    if "not null" in sql_type:
        nulls = pc.is_null(text)
        problems += _rows(table, column, file, nulls, text, "empty, but the column is required")
    pattern = PATTERNS.get(kind)
    if pattern is not None:
        bad = pc.and_(pc.is_valid(text), pc.invert(pc.match_substring_regex(text, pattern.pattern)))
        problems += _rows(table, column, file, bad, text, f"not {EXPECTED[kind]}")
        if kind == "date" and not problems:
            impossible = pc.and_(pc.is_valid(text), pc.is_null(parse_dates(text)))
            problems += _rows(table, column, file, impossible, text, "not a calendar date")
    if kind == "decimal" and not problems:
        problems += _units(table, column, text, file)
    return problems


def _units(table: str, column: str, text: pa.ChunkedArray, file: str) -> list[ExportProblem]:
    unit = COLUMNS.get((table, column), ("", ""))[1]
    numbers = pc.cast(text, pa.float64())
    if unit == "money":
        negative = pc.fill_null(pc.less(numbers, 0), False)
        return _rows(table, column, file, negative, text, "negative, but it is an amount of money")
    if unit == "percent":
        out = pc.fill_null(pc.or_(pc.less(numbers, 0), pc.greater(numbers, 100)), False)
        problems = _rows(table, column, file, out, text, "outside 0-100 (percent per year)")
        largest = pc.max(numbers).as_py()
        if not problems and largest is not None and 0 < largest <= 1:
            problems.append(
                ExportProblem(
                    file,
                    column,
                    f"every rate is at most {largest:g}: it looks like a fraction; the contract "
                    "wants percent per year (12.5, not 0.125)",
                )
            )
        return problems
    return []


def _duplicates(table: str, key: str, values: pa.ChunkedArray, file: str) -> list[ExportProblem]:
    counts = pc.value_counts(values)
    repeated = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    if len(repeated) == 0:
        return []
    mask = pc.and_(pc.is_valid(values), pc.is_in(values, value_set=repeated))
    return _rows(table, key, file, mask, values, "duplicate primary key")


def _check_references(tables: dict[str, pa.Table], files: dict[str, str]) -> list[ExportProblem]:
    problems = []
    for table, column, parent, parent_column in FOREIGN_KEYS:
        if table not in tables or parent not in tables:
            continue
        child, known = tables[table], tables[parent]
        if column not in child.column_names or parent_column not in known.column_names:
            continue
        values = child[column]
        keys = pc.unique(known[parent_column])
        dangling = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=keys)))
        problems += _rows(
            table,
            column,
            files[table],
            dangling,
            values,
            f"no {parent} row has this {parent_column} ({files.get(parent, parent)})",
        )
    return problems


def _rows(
    table: str,
    column: str,
    file: str,
    mask: pa.ChunkedArray,
    values: pa.ChunkedArray,
    message: str,
) -> list[ExportProblem]:
    """One problem for the rows where `mask` is true: the first few shown, the rest counted."""
    flags = pc.fill_null(mask, False)
    count = pc.sum(flags).as_py() or 0
    if not count:
        return []
    indices = pc.indices_nonzero(flags if isinstance(flags, pa.Array) else flags.combine_chunks())
    first = indices.slice(0, ROWS_SHOWN).to_pylist()
    shown = pc.take(values, pa.array(first)).to_pylist()
    personal = (table, column) in PERSONAL or "Protected" in COLUMNS.get((table, column), ("",))[0]
    texts = tuple(
        "" if value is None else REDACTED if personal else str(value)[:40] for value in shown
    )
    # A CSV file's line numbers (the header is line 1, the first row line 2); the rows of a
    # Parquet file or of a table (in primary-key order) count from 1.
    first_row = 2 if file.endswith(".csv") else 1
    rows = tuple(index + first_row for index in first)
    return [ExportProblem(file, column, message, rows, texts, max(count - ROWS_SHOWN, 0))]
