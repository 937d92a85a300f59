"""Integration fixtures: the session's champion and a real `bentoml serve` on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credit_risk.database import EmbeddedPostgres, connect
from tests.books import BookTemplates
from tests.integration.champion import Champion, served_champion
from tests.integration.service import bentoml_serve, service_env, service_role_uri
from tests.shared import run_folder


@pytest.fixture(scope="session")
def champion(books: BookTemplates, mlflow_tracking_uri: str) -> Champion:
    return served_champion(books, run_folder() / "champion")


@pytest.fixture
def data_server(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL of its own for the data, so stopping it leaves MLflow's store up."""
    server = EmbeddedPostgres(tmp_path / "pgdata")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server(
    champion: Champion,
    pg_server: str,
    mlflow_tracking_uri: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Any]]:
    """One `bentoml serve` of the champion per test process, shared by the modules that only
    call it (starting one costs ~15 s); a test that changes what it serves puts it back."""
    role, uri = service_role_uri(pg_server, mlflow_tracking_uri)
    work = tmp_path_factory.mktemp("bentoml")
    env = service_env(dsn=champion.dsn, tracking_uri=uri, model_name=champion.model_name, work=work)
    try:
        with bentoml_serve(env, work / "serve.log") as service:
            yield {"base": service.base, "role": role, "log": service.log, "pid": service.pid}
    finally:
        with connect(pg_server, autocommit=True) as conn:
            conn.execute(f'alter role "{role}" login')
