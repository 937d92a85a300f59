"""Deployment definitions: names, cron schedules, parameters, schedule toggles, CLI parameters."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from credit_risk.settings import Settings
from flows.deployments import (
    DeploymentSpec,
    build_deployments,
    check_parameters,
    deployment_specs,
    find_spec,
    load_flow,
    parse_parameter,
    required_parameters,
    validate_parameters,
)


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for key, value in env.items():
        monkeypatch.setenv(f"CREDIT_ORCHESTRATION__{key.upper()}", value)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_default_schedules_daily_score_daily_drift_monthly_retrain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    specs = {s.name: s for s in deployment_specs(_settings(monkeypatch))}
    assert specs["daily-score"].cron == "0 6 * * *"
    assert specs["daily-drift-check"].cron == "30 6 * * *"
    assert specs["monthly-retrain"].cron == "0 3 1 * *"
    assert specs["retrain-on-drift"].cron is None
    assert specs["pipeline"].cron is None and specs["train"].cron is None
    assert specs["monthly-retrain"].flow_path == "flows.pipeline:run_pipeline"
    assert specs["monthly-retrain"].parameters == {"generate": False}
    assert specs["daily-drift-check"].flow_path == "flows.drift:check_drift"
    assert specs["retrain-on-drift"].flow_path == "flows.drift:retrain_on_drift"


def test_schedules_come_from_settings_and_off_turns_one_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(
        monkeypatch,
        score_batch_cron="15 2 * * 1-5",
        retrain_cron="off",
        drift_check_cron="",
        retrain_on_drift_cron="0 4 * * 0",
    )
    specs = {s.name: s for s in deployment_specs(settings)}
    assert specs["daily-score"].cron == "15 2 * * 1-5"
    assert specs["monthly-retrain"].cron is None
    assert specs["daily-drift-check"].cron is None
    assert specs["retrain-on-drift"].cron == "0 4 * * 0"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("score_batch_cron", "61 * * * *", "not a cron expression"),
        ("retrain_cron", "every month", "not a cron expression"),
        ("timezone", "Mars/Olympus", "not an IANA time zone"),
    ],
)
def test_bad_schedule_settings_name_the_field(
    monkeypatch: pytest.MonkeyPatch, field: str, value: str, problem: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        _settings(monkeypatch, **{field: value})
    text = str(caught.value)
    assert f"orchestration.{field}" in text and problem in text


def test_pipeline_defaults_follow_the_data_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDIT_DATA__APPLICATIONS", "5000")
    monkeypatch.setenv("CREDIT_DATA__SEED", "7")
    spec = find_spec(deployment_specs(_settings(monkeypatch)), "pipeline")
    assert spec.parameters == {"applications": 5000, "seed": 7}


def test_built_deployments_carry_schedules_parameters_and_module_entrypoints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(monkeypatch, timezone="Europe/Berlin", score_batch_cron="off")
    built = {d.name: d for d in build_deployments(settings)}
    expected = {"pipeline", "monthly-retrain", "train", "daily-score"}
    assert expected <= set(built)
    retrain = built["monthly-retrain"]
    assert retrain.flow_name == "run-pipeline"
    assert [s.schedule.cron for s in retrain.schedules] == ["0 3 1 * *"]  # type: ignore[union-attr]
    assert retrain.schedules[0].schedule.timezone == "Europe/Berlin"  # type: ignore[union-attr]
    assert retrain.parameters == {"generate": False}
    assert not built["daily-score"].schedules  # turned off, still deployed for manual runs
    assert built["train"].parameters == {}  # no connection details are stored in Prefect
    # A module path, so runs import flows as a package, as the CLI does.
    assert built["pipeline"].entrypoint == "flows.pipeline.run_pipeline"
    assert all(d.paused is not True for d in built.values())


def test_a_flow_with_a_required_parameter_and_no_value_is_skipped_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    spec = DeploymentSpec("build", "credit_risk.feature_build:build_features", "build")
    flow = SimpleNamespace(fn=build_features_signature)
    with caplog.at_level(logging.WARNING):
        assert check_parameters(spec, flow) is False  # type: ignore[arg-type]
    assert "dsn" in caplog.text and "build" in caplog.text
    given = DeploymentSpec("build", "x:y", "build", parameters={"dsn": "postgresql:///x"})
    assert check_parameters(given, flow) is True  # type: ignore[arg-type]


def test_no_deployed_flow_needs_connection_details_as_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for spec in deployment_specs(_settings(monkeypatch)):
        flow = load_flow(spec)
        if flow is not None:
            assert "dsn" not in required_parameters(flow), spec.name


def build_features_signature(dsn: str, verbose: bool = False) -> None:
    """A flow function shape with a required parameter."""


def test_a_flow_module_that_does_not_exist_yet_is_skipped_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    missing_module = DeploymentSpec("later", "flows.not_written_yet:check", "later")
    missing_flow = DeploymentSpec("typo", "flows.scoring:no_such_flow", "typo")
    with caplog.at_level(logging.WARNING):
        assert load_flow(missing_module) is None
        assert load_flow(missing_flow) is None
    assert "flows.not_written_yet does not exist yet" in caplog.text
    assert "no flow named no_such_flow" in caplog.text


def test_find_spec_by_short_or_full_name(monkeypatch: pytest.MonkeyPatch) -> None:
    specs = deployment_specs(_settings(monkeypatch))
    assert find_spec(specs, "daily-score").flow_path == "flows.scoring:score_batch"
    assert find_spec(specs, "run-pipeline/monthly-retrain").name == "monthly-retrain"
    with pytest.raises(ValueError, match="'nightly' is not defined; known deployments: pipeline"):
        find_spec(specs, "nightly")


def test_parameters_from_the_command_line_parse_as_json_or_text() -> None:
    assert parse_parameter("applications=3000") == ("applications", 3000)
    assert parse_parameter("generate=false") == ("generate", False)
    assert parse_parameter('candidates=["lightgbm"]') == ("candidates", ["lightgbm"])
    assert parse_parameter("scenario=recession") == ("scenario", "recession")
    assert parse_parameter("note=a=b") == ("note", "a=b")
    with pytest.raises(ValueError, match="must look like name=value"):
        parse_parameter("applications")


def test_parameters_are_checked_against_the_flow_and_errors_name_them() -> None:
    flow = load_flow(DeploymentSpec("pipeline", "flows.pipeline:run_pipeline", "p"))
    assert flow is not None
    ok = validate_parameters(flow, {"applications": 3000, "candidates": ["lightgbm"]})
    assert ok == {"applications": 3000, "candidates": ["lightgbm"]}
    with pytest.raises(ValueError, match=r"parameter 'applications': .*integer.*'many'"):
        validate_parameters(flow, {"applications": "many"})
    with pytest.raises(ValueError, match=r"parameter 'scenario': .*'baseline' or 'recession'"):
        validate_parameters(flow, {"scenario": "boom"})
    with pytest.raises(ValueError, match="parameter 'rows' is not a parameter of run-pipeline"):
        validate_parameters(flow, {"rows": 10})
