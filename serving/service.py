"""The scoring service: `bentoml serve serving.service:CreditRiskService`.

APIs (all POST, JSON): /score (one application), /score_batch ({"applications": [...]}, at most
MAX_BATCH), /explain (every feature's contribution), /model_info. BentoML adds /healthz, /livez,
/readyz, /metrics and the OpenAPI schema at /docs.json (completed by serving.openapi: every
error response with its body).

Configuration comes from the environment `credit-risk serve` exports (see credit_risk.settings):
the database DSN, the MLflow URI, CREDIT_MLFLOW__REGISTERED_MODEL, CREDIT_SERVING__API_KEY
(environment or .env; when set, every route but health, readiness and the docs needs
`Authorization: Bearer <key>`; when unset, only loopback clients are answered) and
CREDIT_SERVING__RELOAD_SECONDS (how often to check the champion alias; default 30) and
CREDIT_SERVING__WORKERS (worker processes, default 1; each holds its own champion, reload thread
and decision log writer).

Bad input is a 400 naming each field and problem, never echoing the submitted values, neither in
the response nor in the server log (serving.log_redaction).

A request with a customer_id whose features cannot be read (database down, mart not built) is
a 503 with Retry-After, never scored as a stranger: a known customer's history or bureau report
would change the decision. Requests without a customer_id are scored meanwhile.

/score, the hot route, is answered by serving.direct_route inside the same boundary, without
BentoML's per-request machinery, with the same request model, errors and response bytes.

Concurrent /score requests are scored together (serving.microbatch): the requests that arrive
while one booster call runs share the next, with the same numbers each would get alone.
/metrics shows the batch sizes (credit_risk_score_micro_batch_size).

A request whose client has gone (hung up, or timed out after traffic.timeout) is not scored, or
if it already was, not logged: the decision log holds only decisions someone received. Such a
request shows as 499 in the access log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import anyio
import anyio.to_thread
import bentoml
from bentoml.exceptions import ServiceUnavailable

from serving.boundary import (
    PROTECTED_ROUTES,
    UNAVAILABLE_MESSAGE,
    add_boundary,
    serving_settings,
)
from serving.direct_route import (
    CLIENT_CLOSED_REQUEST,
    UnavailableError,
    answer_directly,
)
from serving.log_redaction import install as install_log_filter
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

    from serving.champion import LoadedModel, Scored

__all__ = ["CreditRiskService", "serving_settings", "workers_from_env"]

log = logging.getLogger(__name__)

WORKERS_ENV = "CREDIT_SERVING__WORKERS"
# A micro-batch this large shares two threads for its contributions; below it, starting the
# second thread costs more than it saves.
TWO_THREADS_FROM = 8
Result = TypeVar("Result")


class Decided(NamedTuple):
    """One /score request's decision and its feature row."""

    result: dict[str, Any]
    features: dict[str, Any]


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
        from serving.champion import ChampionModel, settle_heap
        from serving.decision_log import DecisionLog
        from serving.microbatch import MicroBatcher
        from serving.request_features import CustomerFeatures

        install_log_filter()  # again, in case BentoML configured logging after the import
        settings = Settings()
        runtime = prepare_runtime(settings)
        self.model_name = settings.mlflow.registered_model
        self.champion = ChampionModel(self.model_name, settings.serving.reload_seconds)
        self.customers = CustomerFeatures(runtime.dsn)
        self.decision_log = DecisionLog(runtime.dsn, spool_dir=settings.decision_spool_dir)
        self.batcher = MicroBatcher(self._score_many, observe=batch_size_histogram().observe)
        self._work_limiter = anyio.CapacityLimiter(1)
        self.champion.start()
        settle_heap()
        SCORE_ROUTE.bind(self._score_direct)

    def _score(
        self, loaded: LoadedModel, apps: list[Application]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Scored]:
        """Decisions and their feature rows; nothing is logged until the caller is known to wait."""
        from serving.request_features import feature_rows
        from serving.scorer import decide

        ids = [a.customer_id for a in apps if a.customer_id is not None]
        built = feature_rows(apps, self.customers.lookup(ids) if ids else None)
        rows = [row.values for row in built]
        app_ids = [a.application_id or str(uuid.uuid4()) for a in apps]
        threads = 2 if len(rows) >= TWO_THREADS_FROM else 1
        results, scored = decide(
            loaded, rows, app_ids, threads, sources=[row.sources for row in built]
        )
        return results, rows, scored

    def _log(
        self,
        apps: Sequence[Application],
        results: Sequence[dict[str, Any]],
        rows: Sequence[dict[str, Any]],
        source: str,
    ) -> None:
        for app, result, features in zip(apps, results, rows, strict=True):
            self.decision_log.record(
                result,
                features=features,
                customer_id=app.customer_id,
                model_name=self.model_name,
                request_source=source,
            )

    def _score_many(self, apps: Sequence[Application]) -> list[Decided | BaseException]:
        """One micro-batch of /score requests: one lookup, one booster call.

        When the customer lookup fails, the requests without a customer_id are still scored and
        each of the others gets the 503.
        """
        from serving.request_features import CustomerLookupError

        loaded = self.champion.current
        try:
            results, rows, _ = self._score(loaded, list(apps))
            return [Decided(r, f) for r, f in zip(results, rows, strict=True)]
        except CustomerLookupError:
            unavailable = _unavailable()
        strangers = [app for app in apps if app.customer_id is None]
        results, rows, _ = self._score(loaded, strangers) if strangers else ([], [], None)
        decided = iter(Decided(r, f) for r, f in zip(results, rows, strict=True))
        return [unavailable if app.customer_id is not None else next(decided) for app in apps]

    def _score_or_503(
        self, loaded: LoadedModel, apps: list[Application]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Scored]:
        from serving.request_features import CustomerLookupError

        try:
            return self._score(loaded, apps)
        except CustomerLookupError as exc:
            raise _unavailable() from exc

    async def _in_thread(self, work: Callable[[], Result]) -> Result:
        """CPU work off the event loop, one request at a time, as BentoML runs a sync API."""
        return await anyio.to_thread.run_sync(work, limiter=self._work_limiter)

    async def _score_direct(
        self, app: Application, client_gone: Callable[[], Awaitable[bool]]
    ) -> bytes | None:
        """/score as serving.direct_route answers it: the response body, None if nobody waits."""
        try:
            # Concurrent requests are scored together (serving.microbatch); a request's numbers
            # do not depend on which others share its batch.
            decided = await self.batcher(app)
        except ServiceUnavailable as exc:
            raise UnavailableError(str(exc)) from exc
        if await client_gone():
            return None
        self._log([app], [decided.result], [decided.features], "score")
        return ScoreResponse(**decided.result).model_dump_json().encode()

    @bentoml.api(input_spec=Application)
    async def score(self, ctx: bentoml.Context, **application: Any) -> ScoreResponse:
        """Score one application: PD, credit score, band, decision and up to four reasons."""
        # Answered by serving.direct_route once the service has started; this is the route
        # BentoML documents, and answers only before then, with the same handler.
        from starlette.responses import Response

        try:
            body = await self._score_direct(
                Application.model_construct(**application), ctx.request.is_disconnected
            )
        except UnavailableError as exc:
            raise _unavailable() from exc
        if body is None:
            return _client_gone(ctx)
        return Response(body, media_type="application/json")  # type: ignore[return-value]

    @bentoml.api(input_spec=BatchRequest)
    async def score_batch(
        self, ctx: bentoml.Context, applications: list[Application]
    ) -> BatchResponse:
        """Score up to 1000 applications in one call; results keep the request order."""
        if await ctx.request.is_disconnected():
            return _client_gone(ctx)
        loaded = self.champion.current
        results, rows, _ = await self._in_thread(lambda: self._score_or_503(loaded, applications))
        if await ctx.request.is_disconnected():
            return _client_gone(ctx)
        self._log(applications, results, rows, "score_batch")
        return BatchResponse(results=[ScoreResponse(**r) for r in results])

    @bentoml.api(input_spec=Application)
    async def explain(self, ctx: bentoml.Context, **application: Any) -> Explanation:
        """Every feature's SHAP contribution for one application, most risk-raising first."""
        from serving.scorer import explain_row

        if await ctx.request.is_disconnected():
            return _client_gone(ctx)
        loaded = self.champion.current  # one version for the whole request
        app = Application.model_construct(**application)

        def work() -> tuple[Explanation, list[dict[str, Any]], list[dict[str, Any]]]:
            results, rows, scored = self._score_or_503(loaded, [app])
            explanation = Explanation(
                application_id=results[0]["application_id"],
                model_version=loaded.version,
                probability=results[0]["probability"],
                **explain_row(loaded, rows[0], scored),
            )
            return explanation, results, rows

        explanation, results, rows = await self._in_thread(work)
        if await ctx.request.is_disconnected():
            return _client_gone(ctx)
        self._log([app], results, rows, "explain")
        return explanation

    @bentoml.api
    def model_info(self) -> ModelInfo:
        """Which champion is serving: version, candidate, run metrics, threshold, scaling."""
        loaded = self.champion.current
        return ModelInfo(**loaded.version_info(), features=list(loaded.model.features))

    @bentoml.on_shutdown
    def shutdown(self) -> None:
        self.champion.stop()
        self.batcher.close()
        self.decision_log.close()
        self.customers.close()


def _client_gone(ctx: bentoml.Context) -> Any:
    """The caller hung up (or timed out): the decision is neither made nor logged.

    499 is the status proxies use for a request the client closed; nobody receives it, but the
    access log shows it.
    """
    from starlette.responses import Response

    ctx.response.status_code = CLIENT_CLOSED_REQUEST
    return Response(status_code=CLIENT_CLOSED_REQUEST)


def _unavailable() -> Exception:
    return ServiceUnavailable(UNAVAILABLE_MESSAGE)


add_boundary(CreditRiskService)
SCORE_ROUTE = answer_directly(CreditRiskService, "score")
