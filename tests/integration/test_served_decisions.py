"""Decisions on the served path: a new applicant is scored on what the model learned from, and
every rejection carries reasons that hold up (12 CFR 1002.9; 1002.6(b)(2) for age).

Requests are built from the raw tables as a client builds them (tests/integration/
client_requests.py) and scored by a running `bentoml serve`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

from credit_risk import contract
from credit_risk.artifact.feature_spec import FeatureSpec
from credit_risk.database import connect
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.loader import load_raw
from serving.schemas import MAX_BATCH
from tests.conftest import drop_database, make_database
from tests.integration.champion import Champion
from tests.integration.client_requests import client_requests
from tests.integration.service import API_KEY

pytestmark = pytest.mark.integration
log = logging.getLogger(__name__)

REASON_APPLICATIONS = 10_000
PARITY_TOLERANCE = 1e-6
NEVER_A_REASON = {"age_years", "gender", "age_band"}
_FEATURES = contract.by_name()


@pytest.fixture(scope="module")
def client(server: dict[str, Any]) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=server["base"], headers=headers, timeout=120) as c:
        yield c


def _score_batch(client: httpx.Client, bodies: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for start in range(0, len(bodies), MAX_BATCH):
        chunk = list(bodies[start : start + MAX_BATCH])
        response = client.post("/score_batch", json={"applications": chunk})
        assert response.status_code == 200, response.text[:2000]
        results += response.json()["results"]
    return results


def _test_months(champion: Champion) -> tuple[date, date]:
    from mlflow import MlflowClient

    client = MlflowClient()
    parent = client.get_run(champion.run_id).data.tags["mlflow.parentRunId"]
    params = client.get_run(parent).data.params
    return date.fromisoformat(params["test_start"]), date.fromisoformat(params["test_end"])


def _offline(champion: Champion, application_ids: list[int]) -> tuple[pd.DataFrame, np.ndarray]:
    """marts.application_features rows and the champion's PD on them, as in training."""
    import mlflow

    with connect(champion.dsn) as conn:
        cur = conn.execute(
            "select * from marts.application_features where application_id = any(%s) "
            "order by application_id",
            (application_ids,),
        )
        names = [d.name for d in cur.description or ()]
        frame = pd.DataFrame(cur.fetchall(), columns=names)
    model = mlflow.sklearn.load_model(f"models:/{champion.model_name}/{champion.version}")
    columns = FeatureSpec.from_contract().columns
    return frame, np.asarray(model.predict_proba(frame[columns]))[:, 1]


def _differing_features(client: httpx.Client, body: dict[str, Any], row: pd.Series) -> list[str]:
    """The model features whose served value differs from the mart's, via /explain."""
    explained = client.post("/explain", json=body)
    assert explained.status_code == 200, explained.text
    out = []
    for item in explained.json()["contributions"]:
        served, offline = item["value"], row[item["feature"]]
        offline = (
            None
            if offline is None or (isinstance(offline, float) and math.isnan(offline))
            else offline
        )
        if served is None or offline is None:
            if served is not offline:
                out.append(f"{item['feature']}: served {served}, offline {offline}")
        elif isinstance(served, str | bool) or isinstance(offline, str | bool):
            if served != offline:
                out.append(f"{item['feature']}: served {served!r}, offline {offline!r}")
        elif not math.isclose(float(served), float(offline), rel_tol=1e-12, abs_tol=1e-12):
            out.append(f"{item['feature']}: served {served}, offline {offline}")
    return out


def test_a_first_time_applicant_is_scored_exactly_as_the_model_scores_them_offline(
    client: httpx.Client, champion: Champion
) -> None:
    start, end = _test_months(champion)
    first_time = [
        (row, body)
        for row, body in client_requests(champion.dsn)
        if start <= row["applied_on"] <= end and not row["has_earlier_application"]
    ]
    assert len(first_time) >= 50, len(first_time)
    bodies = [body for _, body in first_time]
    served = _score_batch(client, bodies)
    frame, offline = _offline(champion, [row["application_id"] for row, _ in first_time])
    assert frame["application_id"].tolist() == [row["application_id"] for row, _ in first_time]
    probability = np.array([r["probability"] for r in served])
    differences = np.abs(probability - offline)
    worst = int(np.argmax(differences))
    if differences[worst] > PARITY_TOLERANCE:
        named = _differing_features(client, bodies[worst], frame.iloc[worst])
        pytest.fail(
            f"{int((differences > PARITY_TOLERANCE).sum())} of {len(served)} applications differ; "
            f"application {first_time[worst][0]['application_id']}: served "
            f"{probability[worst]:.9f}, offline {offline[worst]:.9f}; features: {named}"
        )
    for (_, body), result in zip(first_time, served, strict=True):
        report = body.get("bureau")
        assert result["feature_sources"] == {
            "bureau": "request" if report else "none",
            "history": "none",
        }
        assert result["bureau_score"] == (report or {}).get("bureau_score")
    with_report = [i for i, (_, body) in enumerate(first_time) if "bureau" in body]
    assert 0 < len(with_report) < len(first_time)  # both the report and the thin-file path
    threshold = champion.threshold
    assert [r["decision"] == "reject" for r in served] == (offline >= threshold).tolist()
    # What the same applicants got before requests could carry a report and a date: a thin file.
    bare = [{k: v for k, v in body.items() if k != "bureau"} for body in bodies]
    as_thin_files = np.array([r["probability"] for r in _score_batch(client, bare)])
    log.info(
        "%d first-time applicants of %s to %s: mean |served - offline| %.2e (max %.2e); "
        "rejected %.1f%% served with their report, %.1f%% offline, %.1f%% as thin files "
        "(mean |thin file - offline| %.3f)",
        len(served),
        start,
        end,
        differences.mean(),
        differences.max(),
        100 * np.mean(probability >= threshold),
        100 * np.mean(offline >= threshold),
        100 * np.mean(as_thin_files >= threshold),
        np.abs(as_thin_files - offline).mean(),
    )


@pytest.fixture(scope="module")
def generated_requests(pg_server: str) -> Iterator[list[dict[str, Any]]]:
    """A separate generated book of REASON_APPLICATIONS applications, as client requests."""
    dsn = make_database(pg_server, "reasons")
    load_raw(dsn, GeneratorConfig(applications=REASON_APPLICATIONS, seed=33))
    yield [body for _, body in client_requests(dsn)]
    drop_database(pg_server, dsn)


def _favourable(feature: str, value: Any, medians: dict[str, float]) -> bool:
    """A fact in the applicant's favour (relative to the applicants at the cut-off)."""
    spec = _FEATURES[feature]
    side = spec.adverse_side
    if value is None:
        return feature == "months_since_last_delinquency"  # never delinquent
    if spec.unit == "flag":
        return side != 0 and bool(value) != (side > 0)
    if side == 0 or spec.dtype == "category" or feature not in medians:
        return False
    return float(value) <= medians[feature] if side > 0 else float(value) >= medians[feature]


def test_every_rejection_has_defensible_reasons(
    client: httpx.Client, champion: Champion, generated_requests: list[dict[str, Any]]
) -> None:
    from serving.champion import load_version

    assert len(generated_requests) >= REASON_APPLICATIONS
    reference = load_version(champion.model_name, champion.version).reference
    assert reference is not None and "validation applicants" in reference.description
    medians = dict(reference.medians)
    results = _score_batch(client, generated_requests)
    rejected = [r for r in results if r["decision"] == "reject"]
    assert len(rejected) > 500, len(rejected)
    problems = []
    for result in rejected:
        reasons = result["reasons"]
        groups = [r["group"] for r in reasons]
        if not 1 <= len(reasons) <= 4:
            problems.append((result["application_id"], f"{len(reasons)} reasons"))
        if len(set(groups)) != len(groups):
            problems.append((result["application_id"], f"repeated group {groups}"))
        for reason in reasons:
            feature, value = reason["feature"], reason["value"]
            if feature in NEVER_A_REASON or reason["group"] not in contract.REASON_GROUPS:
                problems.append((result["application_id"], f"{feature} is a reason"))
            elif _favourable(feature, value, medians):
                problems.append((result["application_id"], f"favourable {feature}={value}"))
            if reason["impact"] <= 0 or not reason["text"]:
                problems.append((result["application_id"], f"empty reason {reason}"))
    assert not problems, f"{len(problems)} problems in {len(rejected)} rejections: {problems[:10]}"
    counts = np.bincount([len(r["reasons"]) for r in rejected], minlength=5)
    groups = pd.Series([reason["group"] for r in rejected for reason in r["reasons"]])
    log.info(
        "%d applications, %d rejected; reasons per rejection %s; first-reason groups %s",
        len(results),
        len(rejected),
        dict(enumerate(counts.tolist())),
        pd.Series([r["reasons"][0]["group"] for r in rejected]).value_counts().to_dict(),
    )
    assert groups.nunique() > 3  # the reasons are not one group said every time
