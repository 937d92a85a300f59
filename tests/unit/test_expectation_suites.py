"""The suites follow the feature contract and the raw schema; failures read well. No services."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
import pytest

from credit_risk.contract import FEATURES, KEY_COLUMNS, TENURES_MONTHS, Feature
from credit_risk.raw_contract import PRIMARY_KEYS, TABLES
from expectations.application_features import TYPE_LISTS, build_suite
from expectations.describe import describe
from expectations.suites import DEFAULT_MEAN_BAND, build_suite_for, targets
from expectations.validation_report import (
    NEXT_STEP,
    DataValidationError,
    ExpectationFailure,
    SuiteResult,
    ValidationSummary,
    raise_for_failures,
)

BOUNDED = [f for f in FEATURES if f.minimum is not None or f.maximum is not None]


def _of(suite: Any, kind: type, column: str | None = None) -> list[Any]:
    return [
        e
        for e in suite.expectations
        if isinstance(e, kind) and (column is None or getattr(e, "column", None) == column)
    ]


@pytest.fixture(scope="module", autouse=True)
def _in_memory_context() -> None:
    """GX 1.x creates suites only inside an active data context."""
    gx.get_context(mode="ephemeral")


@pytest.fixture(scope="module")
def features_suite() -> Any:
    return build_suite()


def test_features_suite_expects_exactly_the_contract_columns_and_keys(features_suite: Any) -> None:
    [columns] = _of(features_suite, gxe.ExpectTableColumnsToMatchSet)
    assert set(columns.column_set) == {*KEY_COLUMNS, *(f.name for f in FEATURES)}
    assert columns.exact_match is True
    assert _of(features_suite, gxe.ExpectColumnValuesToBeUnique, "application_id")


@pytest.mark.parametrize("feature", BOUNDED, ids=lambda f: f.name)
def test_every_bounded_feature_has_its_contract_range(
    features_suite: Any, feature: Feature
) -> None:
    [between] = _of(features_suite, gxe.ExpectColumnValuesToBeBetween, feature.name)
    assert (between.min_value, between.max_value) == (feature.minimum, feature.maximum)


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_not_null_exactly_for_non_nullable_features(features_suite: Any, feature: Feature) -> None:
    checks = _of(features_suite, gxe.ExpectColumnValuesToNotBeNull, feature.name)
    assert len(checks) == (0 if feature.nullable else 1)


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_every_feature_has_a_type_check_for_its_dtype(
    features_suite: Any, feature: Feature
) -> None:
    [types] = _of(features_suite, gxe.ExpectColumnValuesToBeInTypeList, feature.name)
    assert types.type_list == TYPE_LISTS[feature.dtype]


def test_categories_and_tenures_are_sets_from_the_contract(features_suite: Any) -> None:
    for feature in (f for f in FEATURES if f.categories):
        [in_set] = _of(features_suite, gxe.ExpectColumnValuesToBeInSet, feature.name)
        assert set(in_set.value_set) == set(feature.categories)
    [tenures] = _of(features_suite, gxe.ExpectColumnValuesToBeInSet, "tenure_months")
    assert set(tenures.value_set) == set(TENURES_MONTHS)


def test_suite_follows_a_changed_contract() -> None:
    changed = [
        replace(f, maximum=10.0) if f.name == "dti" else replace(f, nullable=True)
        for f in FEATURES
        if f.name != "ltv"
    ]
    changed.append(Feature("new_ratio", "float", "application", "New", "New.", minimum=0))

    suite = build_suite(features=changed)

    [dti] = _of(suite, gxe.ExpectColumnValuesToBeBetween, "dti")
    assert dti.max_value == 10.0
    assert not _of(suite, gxe.ExpectColumnValuesToNotBeNull, "loan_amount")
    assert not _of(suite, gxe.ExpectColumnValuesToBeBetween, "ltv")
    [new] = _of(suite, gxe.ExpectColumnValuesToBeBetween, "new_ratio")
    assert (new.min_value, new.max_value) == (0, None)
    [columns] = _of(suite, gxe.ExpectTableColumnsToMatchSet)
    assert "new_ratio" in columns.column_set and "ltv" not in columns.column_set


def test_reference_means_become_relative_bands() -> None:
    suite = build_suite({"dti_mean": 0.4, "residual_income_mean": -100.0}, band=0.1)

    [dti] = _of(suite, gxe.ExpectColumnMeanToBeBetween, "dti")
    assert (dti.min_value, dti.max_value) == pytest.approx((0.36, 0.44))
    [residual] = _of(suite, gxe.ExpectColumnMeanToBeBetween, "residual_income")
    assert (residual.min_value, residual.max_value) == pytest.approx((-110.0, -90.0))
    assert not _of(build_suite(), gxe.ExpectColumnMeanToBeBetween)
    [default] = _of(build_suite({"dti_mean": 1.0}), gxe.ExpectColumnMeanToBeBetween)
    assert default.max_value == pytest.approx(1 + DEFAULT_MEAN_BAND)


@pytest.mark.parametrize(
    ("reference", "band", "message"),
    [
        ({"dti": 0.3}, 0.25, "'dti' is not '<column>_mean'"),
        ({"salary_mean": 1.0}, 0.25, "'salary_mean'"),
        ({"dti_mean": 0.3}, 1.5, "relative tolerance"),
    ],
)
def test_bad_reference_is_refused_with_a_reason(
    reference: dict[str, float], band: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_suite(reference, band=band)


@pytest.mark.parametrize("table", list(TABLES))
def test_every_raw_table_has_its_schema_and_key_checked(table: str) -> None:
    [target] = [t for t in targets("raw") if t.table == table]
    suite = build_suite_for(target, None, DEFAULT_MEAN_BAND)

    assert suite.name == f"raw.{table}"
    [columns] = _of(suite, gxe.ExpectTableColumnsToMatchSet)
    assert columns.column_set == [name for name, _ in TABLES[table]]
    key = PRIMARY_KEYS[table]
    assert _of(suite, gxe.ExpectColumnValuesToBeUnique, key)
    assert _of(suite, gxe.ExpectColumnValuesToNotBeNull, key)
    assert _of(suite, gxe.ExpectTableRowCountToBeBetween)


def test_raw_applications_checks_named_in_the_brief() -> None:
    [target] = [t for t in targets("raw") if t.table == "applications"]
    suite = build_suite_for(target, None, DEFAULT_MEAN_BAND)

    [amount] = _of(suite, gxe.ExpectColumnValuesToBeBetween, "loan_amount")
    assert (amount.min_value, amount.strict_min) == (0, True)
    assert _of(suite, gxe.ExpectColumnValuesToNotBeNull, "loan_amount")
    [rate] = _of(suite, gxe.ExpectColumnValuesToBeBetween, "interest_rate")
    assert (rate.min_value, rate.max_value) == (1, 40)
    [tenure] = _of(suite, gxe.ExpectColumnValuesToBeInSet, "tenure_months")
    assert set(tenure.value_set) == set(TENURES_MONTHS)


def test_targets_select_groups() -> None:
    assert [t.name for t in targets("features")] == ["marts.application_features"]
    assert len(targets("all")) == len(TABLES) + 1
    with pytest.raises(ValueError, match="raw, features or all"):
        targets("everything")  # type: ignore[arg-type]


def _result(kind: str, kwargs: dict[str, Any], result: dict[str, Any], **extra: Any) -> dict:
    return {
        "success": False,
        "expectation_config": {"type": kind, "kwargs": {"batch_id": "b", **kwargs}},
        "result": result,
        "exception_info": extra.get("exception_info", {"raised_exception": False}),
    }


def test_describe_names_column_observed_and_expected() -> None:
    nulls = _result(
        "expect_column_values_to_not_be_null",
        {"column": "monthly_income"},
        {"unexpected_count": 37},
    )
    assert describe(nulls) == ("monthly_income", "37 nulls", "no nulls")

    negative = _result(
        "expect_column_values_to_be_between",
        {"column": "loan_amount", "min_value": 0, "strict_min": True},
        {"unexpected_count": 2, "partial_unexpected_list": [-5.0, -5.0, -7.5]},
    )
    assert describe(negative) == (
        "loan_amount",
        "2 values out of range, e.g. -5, -7.5",
        "values > 0",
    )

    dropped = _result(
        "expect_table_columns_to_match_set",
        {"column_set": ["a", "b"]},
        {"details": {"mismatched": {"missing": ["b"]}}},
    )
    assert describe(dropped) == (None, "missing column(s) b", "exactly the 2 expected columns")

    broken = _result(
        "expect_column_mean_to_be_between",
        {"column": "dti", "min_value": 0.3, "max_value": 0.5},
        {},
        exception_info={"metric-id": {"raised_exception": True, "exception_message": "boom\nmore"}},
    )
    assert describe(broken) == ("dti", "could not be evaluated: boom", "mean in [0.3, 0.5]")


def test_error_message_lists_each_failure_and_what_to_do(tmp_path: Path) -> None:
    failures = [
        ExpectationFailure(
            "raw.employment",
            "raw.employment",
            "expect_column_values_to_not_be_null",
            "monthly_income",
            "37 nulls",
            "no nulls",
        ),
        ExpectationFailure(
            "raw.applications",
            "raw.applications",
            "expect_table_columns_to_match_set",
            None,
            "missing column(s) loan_amount",
            "exactly the 12 expected columns",
        ),
    ]
    summary = ValidationSummary(
        success=False,
        results=[SuiteResult("raw.employment", "raw.employment", False, 9, 8)],
        failures=failures,
        data_docs_index=tmp_path / "index.html",
        seconds=1.5,
    )

    with pytest.raises(DataValidationError) as raised:
        raise_for_failures(summary)

    lines = str(raised.value).splitlines()
    assert lines[1] == (
        "  raw.employment.monthly_income: expect_column_values_to_not_be_null — 37 nulls "
        "(expected no nulls)"
    )
    assert lines[2].startswith(
        "  raw.applications: expect_table_columns_to_match_set — missing column(s) loan_amount"
    )
    assert lines[-1] == NEXT_STEP
    written = json.loads(summary.write_json(tmp_path / "out" / "summary.json").read_text())
    assert written["failures"][0]["column"] == "monthly_income"
    assert written["results"][0]["failed"] == 1
    raise_for_failures(ValidationSummary(success=True))


def test_runner_module_does_not_import_great_expectations() -> None:
    """The CLI imports expectations.validate; GX's multi-second import must wait for a run."""
    code = "import sys, expectations.validate; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
