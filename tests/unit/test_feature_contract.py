"""The dbt feature mart and its YAML agree with credit_risk.contract, checked without a database."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from credit_risk.contract import FEATURES, KEY_COLUMNS, age_band, by_name
from credit_risk.finance import application_ratios

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
MARTS = DBT_PROJECT / "models" / "marts"


def _model(path: Path, name: str) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    models = {m["name"]: m for m in document.get("models", [])}
    assert name in models, f"{path} declares no model {name}"
    return models[name]


def _unit_tests(path: Path) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in yaml.safe_load(path.read_text()).get("unit_tests", [])}


@pytest.fixture(scope="module")
def features_model() -> dict[str, Any]:
    return _model(MARTS / "application_features.yml", "application_features")


@pytest.fixture(scope="module")
def columns(features_model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in features_model["columns"]}


def _tests(column: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A column's data tests by name, with their arguments ({} for a bare name)."""
    found: dict[str, dict[str, Any]] = {}
    for test in column.get("data_tests", []):
        if isinstance(test, str):
            found[test] = {}
        else:
            ((name, config),) = test.items()
            found[name] = dict((config or {}).get("arguments", {}))
    return found


def test_contract_is_enforced(features_model: dict[str, Any]) -> None:
    assert features_model["config"]["contract"]["enforced"] is True


def test_columns_and_types_are_the_contract(columns: dict[str, dict[str, Any]]) -> None:
    expected = dict(KEY_COLUMNS) | {f.name: f.sql_type for f in FEATURES}
    declared = {name: column.get("data_type") for name, column in columns.items()}
    assert declared == expected


def test_not_null_exactly_where_the_contract_forbids_nulls(
    columns: dict[str, dict[str, Any]],
) -> None:
    required = set(KEY_COLUMNS) | {f.name for f in FEATURES if not f.nullable}
    tested = {name for name, column in columns.items() if "not_null" in _tests(column)}
    assert tested == required, (
        f"not_null missing on {sorted(required - tested)}, "
        f"extra on nullable {sorted(tested - required)}"
    )


def test_range_tests_carry_the_contract_bounds(columns: dict[str, dict[str, Any]]) -> None:
    for feature in FEATURES:
        ranges = _tests(columns[feature.name]).get("value_between")
        if feature.minimum is None and feature.maximum is None:
            assert ranges is None, f"{feature.name}: the contract has no bounds"
            continue
        assert ranges is not None, f"{feature.name}: no value_between test"
        assert (ranges.get("min_value"), ranges.get("max_value")) == (
            feature.minimum,
            feature.maximum,
        ), feature.name


def test_categories_are_the_contract_categories(columns: dict[str, dict[str, Any]]) -> None:
    for feature in FEATURES:
        accepted = _tests(columns[feature.name]).get("accepted_values")
        if feature.dtype != "category":
            assert accepted is None, feature.name
            continue
        assert accepted is not None, f"{feature.name}: no accepted_values test"
        assert tuple(accepted["values"]) == feature.categories, feature.name


def test_keys_are_unique_and_related(columns: dict[str, dict[str, Any]]) -> None:
    assert "unique" in _tests(columns["application_id"])
    assert "relationships" in _tests(columns["customer_id"])


def test_sql_selects_every_contract_column() -> None:
    """The final select names each column once, so a typo fails here before dbt runs."""
    sql = (MARTS / "application_features.sql").read_text()
    final = sql[sql.index("final as (") :]
    select_list = final[final.index("select") : final.index("\n    from ")]
    for name in [*KEY_COLUMNS, *by_name()]:
        pattern = rf"(\bas {name}|\.{name}),?\n"
        assert len(re.findall(pattern, select_list)) == 1, f"{name} is not selected exactly once"


def test_age_band_macro_matches_the_contract() -> None:
    macro = (DBT_PROJECT / "macros" / "age_band.sql").read_text()
    edges = [(int(age), band) for age, band in re.findall(r"<= (\d+) then '([^']+)'", macro)]
    (last_band,) = re.findall(r"else '([^']+)'", macro)

    def sql_band(age: int) -> str:
        return next((band for edge, band in edges if age <= edge), last_band)

    assert [sql_band(age) for age in range(18, 101)] == [age_band(age) for age in range(18, 101)]


def test_emi_unit_test_expectations_come_from_the_finance_module() -> None:
    """The dbt unit test's expected rows must be what credit_risk.finance computes."""
    path = DBT_PROJECT / "models" / "intermediate" / "int_applications_affordability_computed.yml"
    unit = _unit_tests(path)["test_emi_and_ratios_match_finance_module"]
    given = {g["input"]: g["rows"] for g in unit["given"]}
    income = {r["customer_id"]: r["monthly_income"] for r in given["ref('stg_raw__employment')"]}
    collateral = {
        r["application_id"]: r["collateral_value"]
        for r in given["ref('int_collateral_aggregated_to_applications')"]
    }
    expected = {row["application_id"]: row for row in unit["expect"]["rows"]}
    applications = given["ref('stg_raw__applications')"]
    assert set(expected) == {a["application_id"] for a in applications}
    for app in applications:
        ratios = application_ratios(
            loan_amount=app["loan_amount"],
            interest_rate=app["interest_rate"],
            tenure_months=app["tenure_months"],
            monthly_income=income[app["customer_id"]],
            existing_monthly_debt=app["existing_monthly_debt"],
            monthly_rent=app["monthly_rent"],
            collateral_value=collateral.get(app["application_id"]),
        )
        row = expected[app["application_id"]]
        for name in ("emi", "dti", "emi_to_income", "lti", "foir", "residual_income"):
            assert math.isclose(row[name], getattr(ratios, name), rel_tol=0, abs_tol=0), name
        assert row["ltv"] == ratios.ltv
