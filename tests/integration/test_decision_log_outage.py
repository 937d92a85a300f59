"""On the served path: the decision log's database goes down for 30 s under load, the service
is stopped (SIGTERM) during the outage and started again after it. Every decision answered 200 is in
serving.scoring_log exactly once, under the decision_id the client was given."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from credit_risk.database import EmbeddedPostgres, ensure_database, with_database
from serving.decision_log import ensure_table
from tests.integration.applications import RISKY, SAFE
from tests.integration.champion import Champion
from tests.integration.outage import copy_scoring_inputs, stop_hard
from tests.integration.service import (
    API_KEY,
    bentoml_serve,
    logged_decisions,
    service_env,
    service_role_uri,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLIENTS = 4
LOAD_BEFORE_OUTAGE_SECONDS = 3
OUTAGE_SECONDS = 30
AFTER = 10
REPLAY_TIMEOUT_SECONDS = 60


def _request(marker: str, client: int, i: int) -> dict[str, Any]:
    return {**(SAFE if i % 2 else RISKY), "application_id": f"{marker}-{client}-{i:05d}"}


class Load:
    """CLIENTS threads posting /score back to back until stopped; keeps every 200 answer."""

    def __init__(self, base: str, marker: str) -> None:
        self.base, self.marker = base, marker
        self.answers: list[dict[str, Any]] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(client,), daemon=True)
            for client in range(CLIENTS)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _run(self, client: int) -> None:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=30) as http:
            i = 0
            while not self._stop.is_set():
                try:
                    response = http.post("/score", json=_request(self.marker, client, i))
                except httpx.HTTPError as exc:  # the service going down under SIGTERM
                    self.failures.append(type(exc).__name__)
                    time.sleep(0.05)
                else:
                    if response.status_code == 200:
                        self.answers.append(response.json())
                    else:
                        self.failures.append(f"{response.status_code}: {response.text[:200]}")
                i += 1


def _score(base: str, marker: str, count: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    answers = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for i in range(count):
            response = client.post("/score", json=_request(marker, CLIENTS, i))
            assert response.status_code == 200, response.text
            answers.append(response.json())
    return answers


def _wait_for_rows(dsn: str, marker: str, expected: int) -> list[tuple[str, str]]:
    deadline = time.monotonic() + REPLAY_TIMEOUT_SECONDS
    logged = logged_decisions(dsn, marker)
    while len(logged) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        logged = logged_decisions(dsn, marker)
    return logged


def test_an_outage_and_a_restart_lose_no_decision_and_duplicate_none(
    champion: Champion,
    data_server: EmbeddedPostgres,
    pg_server: str,
    mlflow_tracking_uri: str,
    tmp_path: Path,
) -> None:
    dsn = with_database(data_server.start(), "served_outage")
    ensure_database(dsn)
    copy_scoring_inputs(champion.dsn, dsn)
    ensure_table(dsn)  # the service creates it on its first write; the test reads it earlier
    _, uri = service_role_uri(pg_server, mlflow_tracking_uri)
    env = service_env(dsn=dsn, tracking_uri=uri, model_name=champion.model_name, work=tmp_path)
    spool = tmp_path / "state" / "decision-spool"
    marker = uuid.uuid4().hex[:8]

    with bentoml_serve(env, tmp_path / "serve.log") as service:
        load = Load(service.base, marker)
        load.start()
        time.sleep(LOAD_BEFORE_OUTAGE_SECONDS)
        stop_hard(data_server)
        time.sleep(OUTAGE_SECONDS)
    # leaving the block stopped the service with SIGTERM, under load, the database still down
    load.stop()
    answers = load.answers
    assert len(answers) > CLIENTS * OUTAGE_SECONDS, "the outage must be under load"
    assert all(f.endswith("Error") for f in load.failures), load.failures[:5]
    assert list(spool.glob("*.jsonl")), "decisions made during the outage must be on disk"
    assert "rows spooled to" in (tmp_path / "serve.log").read_text()

    data_server.start()
    with bentoml_serve(env, tmp_path / "serve.log") as service:
        answers += _score(service.base, marker, AFTER)
        logged = _wait_for_rows(dsn, marker, len(answers))

    given = sorted((a["application_id"], a["decision_id"]) for a in answers)
    assert len({decision for _, decision in given}) == len(answers)
    assert logged == given
    assert list(spool.glob("*.jsonl")) == []
