"""train_model on a local Dask cluster of 2 workers: same MLflow layout, same choice as locally."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SMALL_BOOK_GATES
from tests.integration.champion import Champion

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# The benchmark asked for by name, so it is selectable and the run trains exactly these two.
CANDIDATES = ["scorecard", "lightgbm"]


@pytest.fixture
def training_env(
    monkeypatch: pytest.MonkeyPatch, mlflow_tracking_uri: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    import mlflow

    env = {
        "CREDIT_MLFLOW__TRACKING_URI": mlflow_tracking_uri,
        "CREDIT_MLFLOW__EXPERIMENT": f"dask-{uuid.uuid4().hex[:8]}",
        "CREDIT_MLFLOW__REGISTERED_MODEL": f"credit-risk-dask-{uuid.uuid4().hex[:6]}",
        "CREDIT_MLFLOW__ARTIFACT_LOCATION": str(tmp_path / "artifacts"),
        "CREDIT_PATHS__STATE_DIR": str(tmp_path / "state"),
        "CREDIT_TRAINING__SEARCH_TRIALS": "1",
        "CREDIT_TRAINING__SEARCH_TIMEOUT_SECONDS": "20",
        "CREDIT_RUNNER__DASK_WORKERS": "2",
        **SMALL_BOOK_GATES,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield env
    experiment = mlflow.get_experiment_by_name(env["CREDIT_MLFLOW__EXPERIMENT"])
    if experiment is not None:
        mlflow.delete_experiment(experiment.experiment_id)


def _run(dsn: str, runner: str, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], Any]:
    """One train_model run on the named task runner; its summary and its Prefect flow run id."""
    from flows.train import train_model

    monkeypatch.setenv("CREDIT_RUNNER__TASK_RUNNER", runner)
    state = train_model(dsn, candidates=CANDIDATES, return_state=True)
    assert state.is_completed(), state.message
    flow_run_id = state.state_details.flow_run_id
    assert _flow_run_name(flow_run_id).startswith(f"train-{'+'.join(CANDIDATES)}-")
    return state.result(), flow_run_id


def _flow_run_name(flow_run_id: Any) -> str:
    from prefect import get_client

    with get_client(sync_client=True) as client:
        return str(client.read_flow_run(flow_run_id).name)


def _candidate_task_runs(flow_run_id: Any) -> dict[str, Any]:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return {r.name: r for r in runs if r.name.startswith("train-candidate-")}


def _overlap(runs: dict[str, Any]) -> bool:
    first, second = sorted(runs.values(), key=lambda r: r.start_time)
    return bool(second.start_time < first.end_time)


def _nested_runs(parent_run_id: str) -> dict[str, Any]:
    import mlflow

    parent = mlflow.get_run(parent_run_id)
    runs = mlflow.search_runs(
        experiment_ids=[parent.info.experiment_id],
        filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'",
        output_format="list",
    )
    return {r.info.run_name: r for r in runs}


def test_dask_trains_candidates_in_parallel_and_chooses_as_locally(
    champion: Champion,
    training_env: dict[str, str],
    prefect_harness: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlflow

    from training.choose_best import best_candidate

    on_dask, dask_flow_run = _run(champion.dsn, "dask", monkeypatch)

    nested = _nested_runs(on_dask["parent_run_id"])
    assert sorted(nested) == sorted(CANDIDATES)
    assert {r.info.status for r in nested.values()} == {"FINISHED"}
    parent = mlflow.get_run(on_dask["parent_run_id"])
    assert parent.info.status == "FINISHED"
    assert parent.data.params["candidates"] == ",".join(CANDIDATES)
    metrics = {name: run.data.metrics for name, run in nested.items()}
    assert on_dask["best_candidate"] == parent.data.tags["best_candidate"]
    # The highest validation AUC, or the scorecard when that one does not beat it beyond noise.
    assert on_dask["best_candidate"] in {best_candidate(metrics), "scorecard"}
    assert parent.data.tags["best_run_id"] == nested[on_dask["best_candidate"]].info.run_id
    cards = list(Path(training_env["CREDIT_MLFLOW__ARTIFACT_LOCATION"]).rglob("model_card.md"))
    assert len(cards) == len(CANDIDATES)
    assert on_dask["challenger_version"] == 1 and on_dask["promoted"] is True

    tasks = _candidate_task_runs(dask_flow_run)
    assert sorted(tasks) == sorted(f"train-candidate-{n}" for n in CANDIDATES)
    assert {t.state.name for t in tasks.values()} == {"Completed"}
    assert _overlap(tasks), "two Dask workers should train the two candidates at the same time"

    locally, local_flow_run = _run(champion.dsn, "local", monkeypatch)

    assert not _overlap(_candidate_task_runs(local_flow_run))
    assert locally["best_candidate"] == on_dask["best_candidate"]
    local_nested = _nested_runs(locally["parent_run_id"])
    for name in CANDIDATES:
        assert local_nested[name].data.metrics["val_auc"] == pytest.approx(
            metrics[name]["val_auc"], abs=1e-9
        ), f"{name}: the same data and seed should train the same model on either runner"
