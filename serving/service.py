"""The scoring service: `bentoml serve serving.service:CreditRiskService`.

APIs (all POST, JSON): /score (one application), /score_batch ({"applications": [...]}, at most
MAX_BATCH), /explain (every feature's contribution), /model_info. BentoML adds /healthz, /livez,
/readyz, /metrics and the OpenAPI schema at /docs.json.

Configuration comes from the environment `credit-risk serve` exports (see credit_risk.settings):
the database DSN, the MLflow URI, CREDIT_MLFLOW__REGISTERED_MODEL, CREDIT_SERVING__API_KEY
(environment or .env; when set, every route but health, readiness and the docs needs
`Authorization: Bearer <key>`; when unset, only loopback clients are answered) and
CREDIT_SERVING__RELOAD_SECONDS (how often to check the champion alias; default 30) and
CREDIT_SERVING__WORKERS (worker processes, default 1; each holds its own champion, reload thread
and decision log writer).

Bad input is a 400 naming each field and problem, never echoing the submitted values, neither in
the response nor in the server log (serving.logs).

A request with a customer_id whose features cannot be read (database down, mart not built) is
a 503 with Retry-After, never scored as a stranger: a known customer's history or bureau report
would change the decision. Requests without a customer_id are scored meanwhile.

Concurrent /score requests are scored together (serving.microbatch): the requests that arrive
while one booster call runs share the next, with the same numbers each would get alone.
/metrics shows the batch sizes (credit_risk_score_micro_batch_size).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import bentoml

from serving.boundary import (
    PROTECTED_ROUTES,
    UNAVAILABLE_MESSAGE,
    ApiKeyMiddleware,
    BodyLimitsMiddleware,
    InFlightLimitMiddleware,
    UnavailableMiddleware,
    serving_settings,
)
from serving.logs import install as install_log_filter
from serving.schemas import (
    Application,
    BatchRequest,
    BatchResponse,
    Explanation,
    ModelInfo,
    ScoreResponse,
)

if TYPE_CHECKING:
    from prometheus_client import Histogram

    from serving.model import LoadedModel, Scored

__all__ = ["CreditRiskService", "serving_settings", "workers_from_env"]

log = logging.getLogger(__name__)

WORKERS_ENV = "CREDIT_SERVING__WORKERS"
BATCH_SIZE_METRIC = "credit_risk_score_micro_batch_size"


def batch_size_histogram() -> Histogram:
    """/score requests per micro-batch, on /metrics (create once per worker process)."""
    from prometheus_client import Histogram

    return Histogram(
        BATCH_SIZE_METRIC,
        "How many /score requests one booster call scored together",
        buckets=(1, 2, 4, 8, 16, 32, 64),
    )


def workers_from_env() -> int:
    """Worker processes (CREDIT_SERVING__WORKERS, default 1); each loads its own champion."""
    return serving_settings().workers


install_log_filter()


def access_log_from_env() -> bool:
    """BentoML's per-request access log line (CREDIT_SERVING__ACCESS_LOG, default on)."""
    return serving_settings().access_log


@bentoml.service(
    name="credit-risk",
    workers=workers_from_env(),
    traffic={"timeout": 30},
    logging={"access": {"enabled": access_log_from_env()}},
    # BentoML's OpenTelemetry middleware runs on every request even though no trace is sampled
    # unless tracing is configured, and costs about a third of /score's server time: the
    # scoring routes skip it. To trace them, override the list in BentoML's configuration, e.g.
    # BENTOML_CONFIG_OPTIONS='services."credit-risk".tracing.excluded_urls=/healthz'.
    tracing={"excluded_urls": sorted(PROTECTED_ROUTES)},
)
class CreditRiskService:
    """Scores loan applications with the registered champion; explains every decision."""

    def __init__(self) -> None:
        from credit_risk.environment import prepare_runtime
        from credit_risk.settings import Settings
        from serving.decision_log import DecisionLog
        from serving.features import CustomerFeatures
        from serving.microbatch import MicroBatcher
        from serving.model import ChampionModel, settle_heap

        install_log_filter()  # again, in case BentoML configured logging after the import
        settings = Settings()
        runtime = prepare_runtime(settings)
        self.model_name = settings.mlflow.registered_model
        self.champion = ChampionModel(self.model_name, settings.serving.reload_seconds)
        self.customers = CustomerFeatures(runtime.dsn)
        self.decision_log = DecisionLog(runtime.dsn, spool_dir=settings.decision_spool_dir)
        self.batcher = MicroBatcher(self._score_many, observe=batch_size_histogram().observe)
        self.champion.start()
        settle_heap()

    def _score(
        self, loaded: LoadedModel, apps: list[Application], source: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Scored]:
        from serving.features import feature_rows
        from serving.scorer import decide

        ids = [a.customer_id for a in apps if a.customer_id is not None]
        built = feature_rows(apps, self.customers.lookup(ids) if ids else None)
        rows = [row.values for row in built]
        app_ids = [a.application_id or str(uuid.uuid4()) for a in apps]
        results, scored = decide(loaded, rows, app_ids, sources=[row.sources for row in built])
        for app, result, features in zip(apps, results, rows, strict=True):
            self.decision_log.record(
                result,
                features=features,
                customer_id=app.customer_id,
                model_name=loaded.name,
                request_source=source,
            )
        return results, rows, scored

    def _score_many(self, apps: Sequence[Application]) -> list[dict[str, Any] | BaseException]:
        """One micro-batch of /score requests: one lookup, one booster call, one log append.

        When the customer lookup fails, the requests without a customer_id are still scored and
        each of the others gets the 503.
        """
        from serving.features import CustomerLookupError

        loaded = self.champion.current
        try:
            results, _, _ = self._score(loaded, list(apps), "score")
            return list(results)
        except CustomerLookupError:
            unavailable = _unavailable()
        strangers = [app for app in apps if app.customer_id is None]
        scored = iter(self._score(loaded, strangers, "score")[0] if strangers else ())
        return [unavailable if app.customer_id is not None else next(scored) for app in apps]

    def _score_or_503(
        self, loaded: LoadedModel, apps: list[Application], source: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Scored]:
        from serving.features import CustomerLookupError

        try:
            return self._score(loaded, apps, source)
        except CustomerLookupError as exc:
            raise _unavailable() from exc

    @bentoml.api(input_spec=Application)
    async def score(self, **application: Any) -> ScoreResponse:
        """Score one application: PD, credit score, band, decision and up to four reasons."""
        # Concurrent requests are scored together (serving.microbatch); a request's numbers do
        # not depend on which others share its batch.
        result = await self.batcher(Application.model_construct(**application))
        return ScoreResponse(**result)

    @bentoml.api(input_spec=BatchRequest)
    def score_batch(self, applications: list[Application]) -> BatchResponse:
        """Score up to 1000 applications in one call; results keep the request order."""
        results, _, _ = self._score_or_503(self.champion.current, applications, "score_batch")
        return BatchResponse(results=[ScoreResponse(**r) for r in results])

    @bentoml.api(input_spec=Application)
    def explain(self, **application: Any) -> Explanation:
        """Every feature's SHAP contribution for one application, most risk-raising first."""
        from serving.scorer import explain_row

        loaded = self.champion.current  # one version for the whole request
        app = Application.model_construct(**application)
        results, rows, scored = self._score_or_503(loaded, [app], "explain")
        return Explanation(
            application_id=results[0]["application_id"],
            model_version=loaded.version,
            probability=results[0]["probability"],
            **explain_row(loaded, rows[0], scored),
        )

    @bentoml.api
    def model_info(self) -> ModelInfo:
        """Which champion is serving: version, candidate, run metrics, threshold, scaling."""
        loaded = self.champion.current
        return ModelInfo(
            name=loaded.name,
            version=loaded.version,
            candidate=loaded.model.candidate,
            run_id=loaded.run_id,
            created_at=loaded.created_at,
            threshold=loaded.threshold,
            score_scaling=dict(loaded.model.scaling),
            metrics=loaded.metrics,
            features=list(loaded.model.features),
            loaded_at=loaded.loaded_at,
        )

    @bentoml.on_shutdown
    def shutdown(self) -> None:
        self.champion.stop()
        self.batcher.close()
        self.decision_log.close()
        self.customers.close()


def _unavailable() -> Exception:
    from bentoml.exceptions import ServiceUnavailable

    return ServiceUnavailable(UNAVAILABLE_MESSAGE)


CreditRiskService.add_asgi_middleware(ApiKeyMiddleware)
CreditRiskService.add_asgi_middleware(UnavailableMiddleware)
CreditRiskService.add_asgi_middleware(BodyLimitsMiddleware)
CreditRiskService.add_asgi_middleware(InFlightLimitMiddleware)
