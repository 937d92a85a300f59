"""Whether the registry has a champion, asked over the MLflow server's REST API.

One cheap HTTP call per poll: MlflowClient (credit_risk.model_registry.champion_version) retries
a server that is still starting for minutes before it answers.
"""

from __future__ import annotations

import logging
import time

import httpx

from credit_risk.model_registry import CHAMPION

log = logging.getLogger(__name__)


def champion_version(mlflow_url: str, model_name: str) -> int | None:
    """The champion's version number, or None when no version holds the alias yet."""
    response = httpx.get(
        f"{mlflow_url}/api/2.0/mlflow/registered-models/alias",
        params={"name": model_name, "alias": CHAMPION},
        timeout=10,
    )
    if response.status_code == 404 or (
        response.status_code == 400 and "RESOURCE_DOES_NOT_EXIST" in response.text
    ):
        return None
    response.raise_for_status()
    return int(response.json()["model_version"]["version"])


def wait_for_champion(mlflow_url: str, model_name: str, poll_seconds: float) -> int:
    """Block until the registry has a champion (the MLflow server may still be starting)."""
    announced = False
    while True:
        try:
            version = champion_version(mlflow_url, model_name)
        except httpx.HTTPError as exc:
            log.info("MLflow at %s not answering yet (%s)", mlflow_url, type(exc).__name__)
            version = None
        else:
            if version is None and not announced:
                log.info(
                    "no %s@%s yet; the service starts once one is promoted, e.g. by "
                    "`credit-risk flows run pipeline`",
                    model_name,
                    CHAMPION,
                )
                announced = True
        if version is not None:
            log.info("%s@%s is version %d: starting the service", model_name, CHAMPION, version)
            return version
        time.sleep(poll_seconds)
