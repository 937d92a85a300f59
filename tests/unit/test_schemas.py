"""Schema and batch names: the platform's own schemas are refused everywhere a name is taken."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from credit_risk.schema_names import (
    MAX_BATCH_NAME,
    MAX_SCHEMA_NAME,
    PLATFORM_SCHEMAS,
    check_batch_name,
    check_schema_name,
)

PROTECTED = [
    "governance",
    "serving",
    "monitoring",
    "marts",
    "staging",
    "intermediate",
    "analytics",
    "byo",
    "public",
    "information_schema",
    "pg_catalog",
    "pg_toast",
    "pg_temp_1",
    "recession_batch_staging",
    "recession_batch_intermediate",
    "recession_batch_marts",
    "raw__loading",
]
NOT_IDENTIFIERS = [
    "",
    "Governance",
    "RAW",
    "raw-2026",
    "raw;drop schema governance cascade",
    "1raw",
    "_raw",
    "raw 2026",
    "räw",
    "a" * (MAX_SCHEMA_NAME + 1),
]
ALLOWED = ["raw", "raw_2026q1", "recession_batch", "stable", "a" * MAX_SCHEMA_NAME]


def _protected(what: str, name: str) -> str:
    return rf"^{what}: '{name}' is one of the platform's own schemas \(.+\); choose another name"


@pytest.mark.parametrize("name", PROTECTED)
def test_platform_schemas_are_refused_naming_the_option(name: str) -> None:
    with pytest.raises(ValueError, match=_protected("--schema", name)):
        check_schema_name(name, what="--schema")
    with pytest.raises(ValueError, match=_protected("batch", name)):
        check_batch_name(name, what="batch")


def test_every_platform_schema_is_in_the_refused_list() -> None:
    assert set(PLATFORM_SCHEMAS) <= set(PROTECTED)
    assert {"governance", "serving", "monitoring", "marts", "byo", "public"} <= set(
        PLATFORM_SCHEMAS
    )


def test_the_message_says_what_the_schema_holds_and_what_to_use() -> None:
    with pytest.raises(ValueError) as refused:
        check_schema_name("governance", what="--schema")
    assert "promotion log" in str(refused.value)
    assert "e.g. raw_2026q1" in str(refused.value)
    with pytest.raises(ValueError, match="layer of batch recession_batch"):
        check_schema_name("recession_batch_marts", what="--schema")


@pytest.mark.parametrize("name", NOT_IDENTIFIERS)
def test_names_that_are_not_plain_lowercase_identifiers_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"^--schema: .* is not a schema name \(lower-case"):
        check_schema_name(name, what="--schema")


@pytest.mark.parametrize("name", ALLOWED)
def test_raw_and_ordinary_names_are_accepted(name: str) -> None:
    assert check_schema_name(name, what="--schema") == name


def test_a_batch_is_shorter_and_not_the_main_raw_schema() -> None:
    assert check_batch_name("recession_2026") == "recession_2026"
    assert check_batch_name("b" * MAX_BATCH_NAME) == "b" * MAX_BATCH_NAME
    with pytest.raises(ValueError, match=f"at most {MAX_BATCH_NAME} characters"):
        check_batch_name("b" * (MAX_BATCH_NAME + 1))
    with pytest.raises(ValueError, match=r"^batch: 'raw' is one of the platform's own schemas"):
        check_batch_name("raw")


def test_the_loader_refuses_before_generating_or_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from credit_risk import export_load, raw_replace
    from credit_risk.synthetic import loader
    from credit_risk.synthetic.config import GeneratorConfig

    touched: list[str] = []
    monkeypatch.setattr(loader, "generate", lambda *a, **k: touched.append("generate"))
    monkeypatch.setattr(raw_replace, "connect", lambda *a, **k: touched.append("connect"))
    monkeypatch.setattr(export_load, "read_export", lambda *a, **k: touched.append("read"))
    with pytest.raises(ValueError, match=_protected("schema", "governance")):
        loader.load_raw(
            "postgresql://nobody@127.0.0.1:1/none", GeneratorConfig(applications=100), "governance"
        )
    with pytest.raises(ValueError, match=_protected("--schema", "governance")):
        export_load.load_export(
            "postgresql://nobody@127.0.0.1:1/none", Path("exports"), schema="governance"
        )
    assert touched == []


def test_a_dbt_build_refuses_platform_raw_schemas_and_prefixes() -> None:
    from credit_risk.feature_build import build_features, check_build_vars

    check_build_vars({})
    check_build_vars({"raw_schema": "raw", "schema_prefix": ""})
    check_build_vars({"raw_schema": "recession_batch", "schema_prefix": "recession_batch"})
    with pytest.raises(ValueError, match=_protected("raw_schema", "serving")):
        build_features("postgresql://nobody@127.0.0.1:1/none", vars={"raw_schema": "serving"})
    with pytest.raises(ValueError, match=_protected("schema_prefix", "governance")):
        check_build_vars({"raw_schema": "recession_batch", "schema_prefix": "governance"})


def test_monitoring_selection_uses_the_same_rule() -> None:
    from monitoring.window import select

    assert select(batch="recession_2026").batch == "recession_2026"
    for name in ("governance", "byo", "other_batch_marts", "raw"):
        with pytest.raises(ValueError, match=_protected("batch", name)):
            select(batch=name)


@pytest.mark.parametrize("flow_name", ["check_drift", "retrain_on_drift"])
def test_drift_flows_refuse_a_platform_batch_before_anything_runs(
    flow_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import credit_risk.environment
    import flows.drift

    touched: list[str] = []
    monkeypatch.setattr(
        credit_risk.environment, "prepare_runtime", lambda *a: touched.append("runtime")
    )
    flow = getattr(flows.drift, flow_name)
    with pytest.raises(ValueError, match=_protected("batch", "governance")):
        flow.fn(batch="governance")
    assert touched == []


def test_flow_run_parameters_refuse_a_platform_batch() -> None:
    from flows.deployments import DeploymentSpec, load_flow, validate_parameters

    flow = load_flow(DeploymentSpec("daily-drift-check", "flows.drift:check_drift", "d"))
    assert flow is not None
    assert validate_parameters(flow, {"batch": "recession_2026"}) == {"batch": "recession_2026"}
    assert validate_parameters(flow, {"batch": None}) == {"batch": None}
    with pytest.raises(ValueError, match=_protected("parameter 'batch'", "monitoring")):
        validate_parameters(flow, {"batch": "monitoring"})


@pytest.fixture
def untouched(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[str]:
    """Records any attempt to reach the database, Prefect or the drift flow."""
    import cli.flows
    import credit_risk.database
    import credit_risk.environment
    from credit_risk.synthetic import loader

    touched: list[str] = []

    def record(what: str, returns: Any = None) -> Any:
        def called(*args: Any, **kwargs: Any) -> Any:
            touched.append(what)
            return returns

        return called

    runtime = types.SimpleNamespace(dsn="postgresql://nobody@127.0.0.1:1/none")
    report = types.SimpleNamespace(rows={}, total_rows=0, total_seconds=1.0)
    monkeypatch.setattr(
        credit_risk.environment, "prepare_runtime", record("prepare_runtime", runtime)
    )
    monkeypatch.setattr(credit_risk.database, "connect", record("connect"))
    monkeypatch.setattr(credit_risk.database, "resolve_dsn", record("resolve_dsn"))
    monkeypatch.setattr(loader, "load_raw", record("load_raw", report))
    monkeypatch.setattr(cli.flows, "use_prefect_server", record("prefect"))
    monkeypatch.setattr(cli.flows, "_create_run", record("flow run"))
    drift = types.ModuleType("flows.drift")
    drift.check_drift = record("check_drift")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "flows.drift", drift)
    monkeypatch.setenv("CREDIT_PATHS__STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("CREDIT_DATABASE__DSN", "postgresql://nobody@127.0.0.1:1/none")
    return touched


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "generate", "--applications", "1000", "--schema", "governance"], "--schema"),
        (["data", "generate", "--schema", "serving"], "--schema"),
        (["data", "generate", "--schema", "monitoring"], "--schema"),
        (["data", "generate", "--schema", "recession_batch_marts"], "--schema"),
        (["monitor", "--batch", "governance"], "batch"),
        (["monitor", "--batch", "marts"], "batch"),
    ],
)
def test_cli_refuses_a_platform_schema_without_touching_the_database(
    untouched: list[str], args: list[str], message: str
) -> None:
    name = args[-1]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert f"error: {message}: '{name}' is one of the platform's own schemas" in result.output
    assert untouched == []


def test_cli_refuses_an_uppercase_schema_that_postgres_would_fold_to_governance(
    untouched: list[str],
) -> None:
    result = CliRunner().invoke(app, ["data", "generate", "--schema", "GOVERNANCE"])
    assert result.exit_code == 2, result.output
    assert "--schema: 'GOVERNANCE' is not a schema name" in result.output
    assert untouched == []


@pytest.mark.parametrize("deployment", ["daily-drift-check", "retrain-on-drift"])
def test_cli_flows_run_refuses_a_platform_batch_before_creating_a_run(
    untouched: list[str], monkeypatch: pytest.MonkeyPatch, deployment: str
) -> None:
    monkeypatch.delitem(sys.modules, "flows.drift")  # the real flow, for its signature
    result = CliRunner().invoke(app, ["flows", "run", deployment, "-p", "batch=governance"])
    assert result.exit_code == 2, result.output
    assert "parameter 'batch': 'governance' is one of the platform's own schemas" in result.output
    assert untouched == []


def test_cli_accepts_raw_and_an_ordinary_schema(untouched: list[str]) -> None:
    for schema in ("raw", "raw_2026q1"):
        result = CliRunner().invoke(app, ["data", "generate", "--schema", schema])
        assert result.exit_code == 0, result.output
    assert untouched == ["prepare_runtime", "load_raw"] * 2
