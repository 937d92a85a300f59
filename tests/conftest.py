"""Shared fixtures: one embedded PostgreSQL, MLflow store and Prefect API per test run (shared by
the xdist workers, see tests/shared.py), a throwaway database per user."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from credit_risk.database import connect, ensure_database, with_database
from tests.books import BookTemplates
from tests.shared import (
    close_run_folder,
    once,
    open_run_folder,
    run_folder,
    shared_postgres,
    shared_prefect_api,
)

RUN_FOLDER = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """The process that starts the run (not an xdist worker) makes the folder workers share."""
    if not hasattr(config, "workerinput"):
        folder = open_run_folder()
        if folder is not None:
            config.stash[RUN_FOLDER] = folder


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """--dist loadfile, with the served champion's files on one worker (tests/scheduling.py)."""
    if config.getoption("dist") != "loadfile":
        return None
    from tests.scheduling import FilesAndServedChampion

    return FilesAndServedChampion(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(RUN_FOLDER, None)
    if folder is not None:
        close_run_folder(folder)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """Admin DSN of the run's embedded PostgreSQL (or of CREDIT_TEST_DSN's server)."""
    return os.environ.get("CREDIT_TEST_DSN") or shared_postgres()


def make_database(admin_dsn: str, prefix: str) -> str:
    """Create a uniquely named database and return its DSN."""
    dsn = with_database(admin_dsn, f"{prefix}_{uuid.uuid4().hex[:8]}")
    ensure_database(dsn)
    return dsn


def drop_database(admin_dsn: str, dsn: str) -> None:
    from credit_risk.database import parse_dsn

    name = parse_dsn(dsn).dbname
    with connect(with_database(admin_dsn, "postgres"), autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


# A test-sized book holds a few hundred test rows: too few for the absolute ECE and four-fifths
# gates to tell a model from noise (tests/unit/test_promotion_gate.py tests them on their own),
# so flow tests set them where their seeded books pass.
SMALL_BOOK_GATES = {
    "CREDIT_TRAINING__ECE_LIMIT": "0.2",
    "CREDIT_TRAINING__FAIRNESS_MIN_RATIO": "0.5",
}


def project_environment(root: Path, dsn: str, mlflow_uri: str, prefix: str) -> dict[str, str]:
    """Settings for one test module's own database, experiment, model, artifacts and reports."""
    return {
        "CREDIT_DATABASE__DSN": dsn,
        "CREDIT_MLFLOW__TRACKING_URI": mlflow_uri,
        "CREDIT_MLFLOW__EXPERIMENT": f"{prefix}-{uuid.uuid4().hex[:6]}",
        "CREDIT_MLFLOW__REGISTERED_MODEL": f"credit-risk-{prefix}-{uuid.uuid4().hex[:6]}",
        "CREDIT_MLFLOW__ARTIFACT_LOCATION": str(root / "artifacts"),
        "CREDIT_PATHS__STATE_DIR": str(root / "state"),
        "CREDIT_PATHS__REPORTS_DIR": str(root / "reports"),
        "CREDIT_TRAINING__SEARCH_TRIALS": "1",
    }


@contextmanager
def environment(values: dict[str, str]) -> Iterator[dict[str, str]]:
    """Set environment variables for a block, then put back what was there before."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield values
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def books(pg_server: str) -> BookTemplates:
    """The generated books of tests/books.py, each built once per test run."""
    return BookTemplates(pg_server, run_folder() / "books")


@pytest.fixture
def pg_dsn(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    dsn = make_database(pg_server, "test")
    yield dsn
    drop_database(pg_server, dsn)


def _mlflow_store(pg_server: str) -> tuple[str, Path]:
    """A new MLflow store, its tables made before any other process can race to make them."""
    from mlflow.tracking import MlflowClient

    from credit_risk.database import sqlalchemy_url

    uri = sqlalchemy_url(make_database(pg_server, "mlflow"), driver="psycopg2")
    MlflowClient(tracking_uri=uri, registry_uri=uri).search_registered_models()
    artifacts = run_folder() / "mlflow-artifacts"
    artifacts.mkdir()
    return uri, artifacts


@pytest.fixture(scope="session")
def mlflow_tracking_uri(pg_server: str) -> Iterator[str]:
    """A real PostgreSQL-backed MLflow tracking store and registry for the test run."""
    import mlflow

    uri, artifacts = once("mlflow", lambda: _mlflow_store(pg_server))
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ["MLFLOW_REGISTRY_URI"] = uri
    os.environ["CREDIT_TEST_ARTIFACT_ROOT"] = str(artifacts)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    yield uri
    if previous is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = previous


@pytest.fixture
def mlflow_experiment(mlflow_tracking_uri: str) -> Iterator[str]:
    """A uniquely named experiment (artifacts in a temp folder), deleted afterwards."""
    import mlflow

    name = f"test-{uuid.uuid4().hex[:8]}"
    root = Path(os.environ["CREDIT_TEST_ARTIFACT_ROOT"]) / name
    experiment_id = mlflow.create_experiment(name, artifact_location=root.as_uri())
    yield name
    mlflow.delete_experiment(experiment_id)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """The run's Prefect API (starting one costs ~20 s), with its logs and events sent before
    the process ends."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: shared_prefect_api()}):
        yield
        APILogWorker.drain_all()
        EventsWorker.drain_all()
