"""Turn one Great Expectations result (as a JSON dict) into words a person can act on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MAX_EXAMPLES = 3


def describe(result: Mapping[str, Any]) -> tuple[str | None, str, str]:
    """(column, observed, expected) for a failed expectation result."""
    config = result.get("expectation_config") or {}
    kind = str(config.get("type", "expectation"))
    kwargs = {k: v for k, v in (config.get("kwargs") or {}).items() if k != "batch_id"}
    column = kwargs.get("column") or (config.get("meta") or {}).get("column")
    expected = _expected(kind, kwargs, config)
    error = exception_message(result.get("exception_info"))
    if error:
        return column, f"could not be evaluated: {error}", expected
    return column, _observed(kind, result.get("result") or {}), expected


def exception_message(info: Mapping[str, Any] | None) -> str | None:
    """The first line of the error an expectation raised, if any."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else list(info.values())
    for entry in entries:
        if isinstance(entry, Mapping) and entry.get("raised_exception"):
            message = str(entry.get("exception_message") or "unknown error").strip()
            return message.splitlines()[0] if message else "unknown error"
    return None


def missing_columns(result: Mapping[str, Any]) -> list[str]:
    """Columns a column-set expectation found missing."""
    details = (result.get("result") or {}).get("details") or {}
    return list((details.get("mismatched") or {}).get("missing") or [])


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _examples(result: Mapping[str, Any]) -> str:
    values: list[Any] = []
    for value in result.get("partial_unexpected_list") or []:
        if value not in values:
            values.append(value)
        if len(values) == MAX_EXAMPLES:
            break
    return f", e.g. {', '.join(_fmt(v) for v in values)}" if values else ""


def _join(values: Sequence[Any]) -> str:
    return ", ".join(_fmt(v) for v in values)


def _bounds(kwargs: Mapping[str, Any]) -> str:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        left = "(" if kwargs.get("strict_min") else "["
        right = ")" if kwargs.get("strict_max") else "]"
        return f"in {left}{_fmt(low)}, {_fmt(high)}{right}"
    if low is not None:
        return f"{'>' if kwargs.get('strict_min') else '≥'} {_fmt(low)}"
    return f"{'<' if kwargs.get('strict_max') else '≤'} {_fmt(high)}"


def _expected(kind: str, kwargs: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    if kind == "expect_column_values_to_not_be_null":
        return "no nulls"
    if kind == "expect_column_values_to_be_between":
        return f"values {_bounds(kwargs)}"
    if kind == "expect_column_values_to_be_in_set":
        return f"values in {{{_join(kwargs.get('value_set') or [])}}}"
    if kind == "expect_column_values_to_be_unique":
        return "unique values"
    if kind == "expect_table_columns_to_match_set":
        return f"exactly the {len(kwargs.get('column_set') or [])} expected columns"
    if kind == "expect_column_values_to_be_in_type_list":
        return f"type in {', '.join(kwargs.get('type_list') or [])}"
    if kind == "expect_column_mean_to_be_between":
        return f"mean {_bounds(kwargs)}"
    if kind == "expect_table_row_count_to_be_between":
        return f"row count {_bounds(kwargs)}"
    if kind == "unexpected_rows_expectation":
        return f"no rows with {config.get('description') or 'unexpected values'}"
    return ", ".join(f"{k}={_fmt(v)}" for k, v in kwargs.items())


def _observed(kind: str, result: Mapping[str, Any]) -> str:
    count = result.get("unexpected_count")
    if kind == "expect_column_values_to_not_be_null":
        return f"{count} nulls"
    if kind == "expect_column_values_to_be_between":
        return f"{count} values out of range{_examples(result)}"
    if kind == "expect_column_values_to_be_in_set":
        return f"{count} values not allowed{_examples(result)}"
    if kind == "expect_column_values_to_be_unique":
        return f"{count} rows share a duplicated value{_examples(result)}"
    if kind == "expect_table_columns_to_match_set":
        mismatched = (result.get("details") or {}).get("mismatched") or {}
        parts = []
        if mismatched.get("missing"):
            parts.append(f"missing column(s) {', '.join(mismatched['missing'])}")
        if mismatched.get("unexpected"):
            parts.append(f"unexpected column(s) {', '.join(mismatched['unexpected'])}")
        return "; ".join(parts) or "columns differ"
    if kind == "expect_column_values_to_be_in_type_list":
        return f"type {result.get('observed_value')}"
    if kind == "expect_column_mean_to_be_between":
        return f"mean {_fmt(result.get('observed_value'))}"
    if kind in ("expect_table_row_count_to_be_between", "unexpected_rows_expectation"):
        return f"{result.get('observed_value')} rows"
    return _fmt(result.get("observed_value", dict(result)))
