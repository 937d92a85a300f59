"""The scoring service over real HTTP: `bentoml serve` on a loopback port, a real champion.

The champion and the running service are fixtures in this folder's conftest.py, shared with
the fuzz, batch-scoring, parity, Dask and outage tests.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from credit_risk.database import connect
from serving.decision_log import ensure_table
from serving.schemas import ScoreResponse
from tests.integration.applications import RISKY, SAFE
from tests.integration.champion import Champion
from tests.integration.service import API_KEY, RELOAD_SECONDS, logged_decisions

pytestmark = pytest.mark.integration


@pytest.fixture
def client(server: dict[str, Any]) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=server["base"], headers=headers, timeout=30) as c:
        yield c


def _check_reasons(body: dict[str, Any]) -> None:
    impacts = [r["impact"] for r in body["reasons"]]
    assert len(impacts) <= 4
    assert impacts == sorted(impacts, reverse=True)
    assert all(i > 0 for i in impacts)
    assert all(r["text"] for r in body["reasons"])


def test_a_safe_applicant_is_approved_and_a_risky_one_rejected(client: httpx.Client) -> None:
    safe = client.post("/score", json={**SAFE, "application_id": "safe-1"})
    risky = client.post("/score", json=RISKY)
    assert safe.status_code == 200 and risky.status_code == 200, (safe.text, risky.text)
    safe_body, risky_body = safe.json(), risky.json()
    assert safe_body["application_id"] == "safe-1" and safe_body["decision"] == "approve"
    assert risky_body["decision"] == "reject" and uuid.UUID(risky_body["application_id"])
    assert safe_body["credit_score"] > risky_body["credit_score"]
    assert risky_body["reasons"], "a rejection must say why"
    for body in (safe_body, risky_body):
        _check_reasons(body)
        assert set(body["key_factors"]) == {"dti", "lti", "emi", "monthly_income"}


def test_score_never_rises_with_debt_to_income(client: httpx.Client) -> None:
    scores = []
    for debt in (0, 500, 1_000, 2_000, 3_000, 4_500, 6_000):
        response = client.post("/score", json={**SAFE, "existing_monthly_debt": float(debt)})
        assert response.status_code == 200, response.text
        scores.append(response.json()["credit_score"])
    assert scores == sorted(scores, reverse=True), scores


def test_batch_and_explain_agree_with_score(client: httpx.Client) -> None:
    one = client.post("/score", json=RISKY).json()
    batch = client.post("/score_batch", json={"applications": [SAFE, RISKY]})
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert [r["decision"] for r in results] == ["approve", "reject"]
    assert results[1]["probability"] == pytest.approx(one["probability"])
    explained = client.post("/explain", json=RISKY).json()
    impacts = [c["impact"] for c in explained["contributions"]]
    assert impacts == sorted(impacts, reverse=True)
    assert explained["margin"] == pytest.approx(explained["base_value"] + sum(impacts))


@pytest.mark.parametrize(
    ("body", "field", "error"),
    [
        ({**SAFE, "age_years": 12}, "age_years", "greater_than_equal"),
        ({k: v for k, v in SAFE.items() if k != "monthly_income"}, "monthly_income", "missing"),
        ({**SAFE, "salary": 10}, "salary", "extra_forbidden"),
        ({**SAFE, "loan_amount": "2000"}, "loan_amount", "float_type"),
        ({**SAFE, "loan_purpose": "yacht-xyz"}, "loan_purpose", "literal_error"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_without_echoing_values(
    client: httpx.Client, body: dict[str, Any], field: str, error: str
) -> None:
    response = client.post("/score", json=body)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert [(d["loc"][-1], d["type"]) for d in detail] == [(field, error)]
    assert "yacht-xyz" not in response.text and "2000" not in response.text


def test_score_answers_as_bentomls_own_routes_do(client: httpx.Client) -> None:
    """/score is answered without BentoML's request handling (serving.direct_route): its
    answers must be the ones BentoML gives on /explain, which takes the same request."""
    bad = {**SAFE, "age_years": 12, "salary": 10}
    score, explain = client.post("/score", json=bad), client.post("/explain", json=bad)
    assert score.status_code == explain.status_code == 400
    assert score.content == explain.content
    good = client.post("/score", json={**SAFE, "application_id": "same-bytes"})
    assert good.status_code == 200, good.text
    assert good.headers["content-type"] == explain.headers["content-type"] == "application/json"
    assert good.headers["server"] == explain.headers["server"]
    model = ScoreResponse.model_validate_json(good.content)
    assert good.content == model.model_dump_json().encode()
    empty = client.post("/score", content=b"", headers={"content-type": "application/json"})
    assert (
        empty.status_code == 400
        and empty.content
        == client.post(
            "/explain", content=b"", headers={"content-type": "application/json"}
        ).content
    )


def test_the_server_log_names_the_field_but_never_the_submitted_value(
    client: httpx.Client, server: dict[str, Any]
) -> None:
    secret = "SECRET-12345"
    response = client.post("/score", json={**SAFE, "monthly_income": secret})
    assert response.status_code == 400, response.text
    assert secret not in response.text
    batch = client.post("/score_batch", json={"applications": [{**SAFE, "dependents": secret}]})
    assert batch.status_code == 400, batch.text
    log: Path = server["log"]
    deadline = time.monotonic() + 10
    while "dependents" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    text = log.read_text()
    assert secret not in text
    assert "monthly_income: float_" in text  # the field and the error type only
    assert "dependents" in text


def test_a_batch_beyond_the_maximum_is_a_400(client: httpx.Client) -> None:
    from serving.schemas import MAX_BATCH

    response = client.post("/score_batch", json={"applications": [SAFE] * (MAX_BATCH + 1)})
    assert response.status_code == 400
    assert response.json()["detail"][0]["loc"] == ["applications"]


def test_every_route_needs_the_api_key_but_health_and_docs(server: dict[str, Any]) -> None:
    base = server["base"]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}):
        for route in ("/score", "/score_batch", "/explain", "/model_info"):
            response = httpx.post(base + route, json=SAFE, headers=headers)
            assert response.status_code == 401, (route, headers)
            assert "API key" in response.json()["error"]
        assert httpx.get(f"{base}/metrics", headers=headers).status_code == 401
    assert "bureau_score" not in httpx.post(f"{base}/explain", json=SAFE).text
    assert httpx.get(f"{base}/healthz").status_code == 200
    assert httpx.get(f"{base}/docs.json").status_code == 200


def test_other_content_types_are_a_415_and_oversized_bodies_a_413(client: httpx.Client) -> None:
    for route in ("/score", "/score_batch", "/explain", "/model_info"):
        response = client.post(route, files={"file": ("a.txt", b"loan_amount=1")})
        assert response.status_code == 415, (route, response.text)
        assert "application/json" in response.json()["error"]
    huge = {"applications": [{**SAFE, "application_id": "x" * 60}] * 20_000}
    response = client.post("/score_batch", json=huge)
    assert response.status_code == 413, response.text[:500]
    assert client.post("/score", json=SAFE).status_code == 200


def test_model_info_matches_the_registry(client: httpx.Client, champion: Champion) -> None:
    info = client.post("/model_info", json={}).json()
    assert info["name"] == champion.model_name
    assert info["version"] == champion.version
    assert info["run_id"] == champion.run_id
    assert info["candidate"] == "lightgbm"
    assert info["threshold"] == pytest.approx(champion.threshold)
    assert 0.5 < info["metrics"]["test_auc"] <= 1


def test_openapi_documents_the_request_model(client: httpx.Client) -> None:
    schema = client.get("/docs.json").json()
    assert {"/score", "/score_batch", "/explain", "/model_info"} <= set(schema["paths"])
    body = schema["paths"]["/score"]["post"]["requestBody"]["content"]["application/json"]
    assert "loan_amount" in str(body) or "Application" in str(body)
    report = schema["components"]["schemas"]["BureauReport"]["properties"]
    assert report["bureau_score"]["anyOf"][0]["maximum"] == 900
    assert report["max_dpd"]["anyOf"][0]["minimum"] == 0
    assert all(field.get("description") for field in report.values())
    assert {"applied_on", "date_of_birth", "bureau"} <= set(
        schema["components"]["schemas"]["Application"]["properties"]
    )


def test_decisions_are_logged_in_the_background(client: httpx.Client, champion: Champion) -> None:
    marker = f"logged-{uuid.uuid4().hex[:8]}"
    assert client.post("/score", json={**SAFE, "application_id": marker}).status_code == 200
    deadline = time.monotonic() + 10
    row = None
    while row is None and time.monotonic() < deadline:
        time.sleep(0.3)
        with connect(champion.dsn) as conn:
            row = conn.execute(
                "select model_version, decision, request_source, features ->> 'dti', reasons, "
                "feature_sources from serving.scoring_log where application_id = %s",
                (marker,),
            ).fetchone()
    assert row is not None, "no scoring_log row within 10 s"
    assert row[0] == champion.version and row[1] == "approve" and row[2] == "score"
    assert float(row[3]) >= 0 and isinstance(row[4], list)
    assert row[5] == {"bureau": "none", "history": "none"}


def _logged_ids(dsn: str, marker: str) -> set[str]:
    return {application_id for application_id, _ in logged_decisions(dsn, marker)}


def _send_and_hang_up(base: str, route: str, body: dict[str, Any]) -> None:
    """A whole request on a raw socket, closed at once: a client that gave up."""
    url = httpx.URL(base)
    payload = json.dumps(body).encode()
    head = (
        f"POST {route} HTTP/1.1\r\nHost: {url.host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {API_KEY}\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    with socket.create_connection((url.host, url.port)) as raw:
        # Corked, the request's last bytes leave with the FIN when the socket closes, so the
        # server never sees a whole request from a client still connected (even under load).
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        raw.sendall(head.encode() + payload)


def test_a_request_whose_client_hung_up_is_not_logged(
    client: httpx.Client, server: dict[str, Any], champion: Champion
) -> None:
    ensure_table(champion.dsn)  # when this test runs alone, before any decision was logged
    marker = f"gone-{uuid.uuid4().hex[:8]}"
    for i in range(5):
        for route in ("/score", "/explain"):
            body = {**RISKY, "application_id": f"{marker}-{route[1:]}-{i}"}
            _send_and_hang_up(server["base"], route, body)
        batch = [{**SAFE, "application_id": f"{marker}-batch-{i}-{j}"} for j in range(3)]
        _send_and_hang_up(server["base"], "/score_batch", {"applications": batch})
    control = f"{marker}-control"
    assert client.post("/score", json={**SAFE, "application_id": control}).status_code == 200
    deadline = time.monotonic() + 10
    while control not in _logged_ids(champion.dsn, marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)  # a hung-up request still being scored would be logged by now
    assert _logged_ids(champion.dsn, marker) == {control}


def _micro_batches(base: str) -> tuple[float, float]:
    """(requests, batches) so far from the service's micro-batch histogram on /metrics."""
    from serving.service import BATCH_SIZE_METRIC

    values = {}
    metrics = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {API_KEY}"})
    for line in metrics.text.splitlines():
        name, _, value = line.partition(" ")
        if name in (f"{BATCH_SIZE_METRIC}_sum", f"{BATCH_SIZE_METRIC}_count"):
            values[name.rsplit("_", 1)[1]] = float(value)
    return values["sum"], values["count"]


def test_concurrent_requests_get_exactly_the_answers_they_get_alone(
    client: httpx.Client, server: dict[str, Any]
) -> None:
    bodies = [
        {**(SAFE if i % 2 else RISKY), "existing_monthly_debt": 50.0 * i, "application_id": f"c{i}"}
        for i in range(48)
    ]

    def answer(response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 200, response.text
        return {k: v for k, v in response.json().items() if k not in ("scored_at", "decision_id")}

    alone = [answer(client.post("/score", json=body)) for body in bodies]

    async def together() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=server["base"], headers=client.headers, timeout=30
        ) as concurrent:
            return list(await asyncio.gather(*(concurrent.post("/score", json=b) for b in bodies)))

    requests_before, batches_before = _micro_batches(server["base"])
    responses = asyncio.run(together())
    requests_after, batches_after = _micro_batches(server["base"])
    assert [answer(r) for r in responses] == alone
    assert requests_after - requests_before == len(bodies)
    assert batches_after - batches_before < len(bodies), "no request shared a micro-batch"


def test_a_new_champion_is_picked_up_while_requests_keep_succeeding(
    client: httpx.Client, champion: Champion
) -> None:
    from training.registry.manual import promote_version
    from training.registry.versions import register_challenger

    second = register_challenger(champion.run_id, model_name=champion.model_name)
    promote_version(
        second.version,
        actor="test",
        reason="reload",
        dsn=champion.dsn,
        model_name=champion.model_name,
    )
    deadline = time.monotonic() + RELOAD_SECONDS * 10 + 20
    seen = set()
    while time.monotonic() < deadline:
        response = client.post("/score", json=SAFE)
        assert response.status_code == 200, response.text
        seen.add(response.json()["model_version"])
        if int(second.version) in seen:
            break
        time.sleep(0.1)
    assert int(second.version) in seen, f"still serving {seen} after the alias moved"
    assert client.post("/model_info", json={}).json()["version"] == int(second.version)


def test_scoring_goes_on_when_mlflow_is_unreachable(
    client: httpx.Client, server: dict[str, Any], pg_server: str
) -> None:
    role = server["role"]
    with connect(pg_server, autocommit=True) as conn:
        conn.execute(f'alter role "{role}" nologin')
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where usename = %s", (role,)
        )
    try:
        time.sleep(RELOAD_SECONDS * 2 + 1)  # at least one failed champion check
        for _ in range(5):
            assert client.post("/score", json=RISKY).status_code == 200
        assert client.post("/model_info", json={}).status_code == 200
        assert "champion check failed" in server["log"].read_text()
    finally:  # the service is shared with later modules
        with connect(pg_server, autocommit=True) as conn:
            conn.execute(f'alter role "{role}" login')


def test_a_known_customer_is_scored_with_their_history(
    client: httpx.Client, champion: Champion
) -> None:
    with connect(champion.dsn) as conn:
        row = conn.execute(
            "select customer_id, bureau_score, prior_loans from marts.customer_features "
            "where not is_thin_file and prior_loans > 0 order by customer_id limit 1"
        ).fetchone()
    assert row is not None
    customer_id, bureau_score, prior_loans = row

    def values(body: dict[str, Any]) -> dict[str, Any]:
        return {c["feature"]: c["value"] for c in body["contributions"]}

    known = client.post("/explain", json={**SAFE, "customer_id": customer_id})
    unknown = client.post("/explain", json={**SAFE, "customer_id": 10**12})
    scored = client.post("/score", json={**SAFE, "customer_id": customer_id})
    assert known.status_code == unknown.status_code == scored.status_code == 200, known.text
    assert values(known.json())["is_thin_file"] is False
    assert values(known.json())["bureau_score"] == bureau_score
    assert values(known.json())["prior_loans"] == prior_loans
    assert values(unknown.json())["is_thin_file"] is True
    assert values(unknown.json())["bureau_score"] is None
    assert scored.json()["probability"] == pytest.approx(known.json()["probability"])
    assert scored.json()["feature_sources"] == {
        "bureau": "customer_features",
        "history": "customer_features",
    }
    assert scored.json()["bureau_score"] == bureau_score
    report = {"pulled_on": "2024-01-02", "bureau_score": 810, "total_credit_limit": 9000.0}
    body = {**SAFE, "customer_id": customer_id, "applied_on": "2024-02-01", "bureau": report}
    with_report = client.post("/explain", json=body)
    assert with_report.status_code == 200, with_report.text
    assert values(with_report.json())["bureau_score"] == 810  # the request's report wins
    assert values(with_report.json())["prior_loans"] == prior_loans  # history from the mart


def test_a_failed_customer_lookup_is_a_503_never_a_thin_file(
    client: httpx.Client, champion: Champion
) -> None:
    with connect(champion.dsn, autocommit=True) as conn:
        customer_id = conn.execute(
            "select min(customer_id) from marts.customer_features"
        ).fetchone()
        conn.execute("alter table marts.customer_features rename to customer_features_away")
    try:
        known = {**SAFE, "customer_id": customer_id[0]}
        for route, body in (
            ("/score", known),
            ("/explain", known),
            ("/score_batch", {"applications": [SAFE, known]}),
        ):
            response = client.post(route, json=body)
            assert response.status_code == 503, (route, response.text)
            assert response.headers["retry-after"] == "5"
            assert "customer features are unavailable" in response.text
        assert client.post("/score", json=SAFE).status_code == 200  # new applicants go on
    finally:
        with connect(champion.dsn, autocommit=True) as conn:
            conn.execute("alter table marts.customer_features_away rename to customer_features")
    assert client.post("/score", json=known).status_code == 200
