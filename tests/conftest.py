"""Shared fixtures: one embedded PostgreSQL per test session, a throwaway database per user."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from credit_risk.database import EmbeddedPostgres, connect, ensure_database, with_database
from tests.books import BookTemplates


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Admin DSN of an embedded PostgreSQL that lives for the test session."""
    external = os.environ.get("CREDIT_TEST_DSN")
    if external:
        yield external
        return
    root = Path(tmp_path_factory.mktemp("pg"))
    server = EmbeddedPostgres(root / "pgdata")
    admin = server.start()
    try:
        yield admin
    finally:
        server.stop()


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
def books(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BookTemplates]:
    """The generated books of tests/books.py, each built once per test process."""
    templates = BookTemplates(pg_server, tmp_path_factory.mktemp("books"))
    yield templates
    templates.drop_all()


@pytest.fixture
def pg_dsn(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    dsn = make_database(pg_server, "test")
    yield dsn
    drop_database(pg_server, dsn)


@pytest.fixture(scope="session")
def mlflow_tracking_uri(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL-backed MLflow tracking store and registry for the test session."""
    import mlflow

    from credit_risk.database import sqlalchemy_url

    dsn = make_database(pg_server, "mlflow")
    uri = sqlalchemy_url(dsn, driver="psycopg2")
    artifacts = tmp_path_factory.mktemp("mlflow-artifacts")
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
    """One temporary Prefect API for the whole session (starting one costs ~20 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=300):
        yield
