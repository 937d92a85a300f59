"""A service for any registered model: `bentoml serve serving.profiled_service:ProfiledModelService`.

`credit-risk serve --model NAME` starts it for a model whose features are not the contract's
(one trained on a flat file with `credit-risk train --dataset`). The request schema is built
when the service starts, from the champion's recorded feature profile, so /docs.json shows that
model's fields; the model is CREDIT_MLFLOW__REGISTERED_MODEL.

APIs (POST, JSON): /score (one application), /score_batch ({"applications": [...]}, at most
MAX_BATCH), /model_info. The same boundary as the contract's service: API key, body limits,
in-flight limit, 400s naming each field without echoing values, a decision log row per decision
in serving.scoring_log, and hot reload when the champion alias moves. A new champion whose
features differ needs a new request schema: it is refused with a warning until the service
restarts, and the version in service keeps answering.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
import anyio.to_thread
import bentoml
from pydantic import BaseModel

from credit_risk.artifact.feature_profile import FeatureProfile
from serving.boundary import (
    PROTECTED_ROUTES,
    add_boundary,
    serving_settings,
)
from serving.champion import LoadedModel, load_profiled
from serving.log_redaction import install as install_log_filter
from serving.openapi import document_models
from serving.profiled_schemas import (
    ProfiledBatchResponse,
    ProfiledModelInfo,
    ProfiledScoreResponse,
    batch_request_model,
    field_names,
    request_model,
)

__all__ = ["ProfiledModelService"]

log = logging.getLogger(__name__)


def _served_model() -> tuple[str, FeatureProfile]:
    """The model this process serves and its champion's profile (read once, at import)."""
    from credit_risk.artifact.feature_profile import read_profile
    from credit_risk.environment import prepare_runtime
    from credit_risk.settings import Settings

    settings = Settings()
    prepare_runtime(settings)
    name = settings.mlflow.registered_model
    return name, read_profile(f"models:/{name}@champion")


install_log_filter()
MODEL_NAME, PROFILE = _served_model()
ATTRIBUTES = field_names(PROFILE)
Application = request_model(PROFILE, "Application")
BatchRequest = batch_request_model(Application, "BatchRequest")
document_models(Application, BatchRequest, ProfiledScoreResponse, ProfiledBatchResponse)


def _same_schema(loaded: LoadedModel) -> None:
    if loaded.profile != PROFILE:
        raise ValueError(
            f"{loaded.name} version {loaded.version} takes other features or ranges than the "
            "request schema this service was started with; restart the service to serve it"
        )


def _load(name: str, version: int | None) -> LoadedModel:
    loaded = load_profiled(name, version)
    if version is not None:  # a reload: the first load defines the schema
        _same_schema(loaded)
    return loaded


def _row(application: dict[str, Any]) -> dict[str, Any]:
    """Request fields (by attribute) → the model's feature row (by column name)."""
    return {column: application.get(attribute) for attribute, column in ATTRIBUTES.items()}


@bentoml.service(
    name="credit-risk-model",
    workers=serving_settings().workers,
    traffic={"timeout": 30},
    logging={"access": {"enabled": serving_settings().access_log}},
    tracing={"excluded_urls": sorted(PROTECTED_ROUTES)},
)
class ProfiledModelService:
    """Scores applications with the champion of one registered model, by its own features."""

    def __init__(self) -> None:
        from credit_risk.environment import prepare_runtime
        from credit_risk.settings import Settings
        from serving.champion import ChampionModel, settle_heap
        from serving.decision_log import DecisionLog

        install_log_filter()
        settings = Settings()
        runtime = prepare_runtime(settings)
        self.champion = ChampionModel(MODEL_NAME, settings.serving.reload_seconds, loader=_load)
        self.decision_log = DecisionLog(runtime.dsn, spool_dir=settings.decision_spool_dir)
        self._work_limiter = anyio.CapacityLimiter(1)
        self.champion.start()
        settle_heap()

    async def _decide(
        self, applications: list[dict[str, Any]], source: str
    ) -> list[dict[str, Any]]:
        from serving.profiled_scorer import decide_profiled

        loaded = self.champion.current
        rows = [_row(a) for a in applications]
        ids = [a.get("application_id") for a in applications]
        results = await anyio.to_thread.run_sync(
            lambda: decide_profiled(loaded, rows, ids), limiter=self._work_limiter
        )
        for result, features in zip(results, rows, strict=True):
            self.decision_log.record(
                result,
                features=features,
                customer_id=None,
                model_name=MODEL_NAME,
                request_source=source,
            )
        return results

    @bentoml.api(input_spec=Application)
    async def score(self, **application: Any) -> ProfiledScoreResponse:
        """Score one application: PD, credit score, band, decision and up to four reasons."""
        (result,) = await self._decide([application], "score")
        return ProfiledScoreResponse(**result)

    @bentoml.api(input_spec=BatchRequest)
    async def score_batch(self, applications: list[BaseModel]) -> ProfiledBatchResponse:
        """Score up to 1000 applications in one call; results keep the request order."""
        results = await self._decide([dict(a) for a in applications], "score_batch")
        return ProfiledBatchResponse(results=[ProfiledScoreResponse(**r) for r in results])

    @bentoml.api
    def model_info(self) -> ProfiledModelInfo:
        """Which version is serving, its metrics, threshold and the features it takes."""
        loaded = self.champion.current
        profile = loaded.profile or PROFILE
        return ProfiledModelInfo(
            **loaded.version_info(), features=[f.to_dict() for f in profile.fields]
        )

    @bentoml.on_shutdown
    def shutdown(self) -> None:
        self.champion.stop()
        self.decision_log.close()


add_boundary(ProfiledModelService)
