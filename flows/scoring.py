"""`score_batch`: score every pending application with the champion into serving.scores."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.retry import RETRY_DELAYS, explain_database_outage, is_transient, retrying

DEFAULT_CHUNK_SIZE = 50_000


@task(
    retries=3,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,
)
def load_champion(model_name: str) -> Any:
    """The registered champion with its explainer, loaded once for the whole run."""
    from serving.model import load_version

    return load_version(model_name)


@task(retries=3, retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=is_transient)
def prepare_table(dsn: str) -> None:
    """Create serving.scores if missing."""
    from serving.batch import ensure_scores_table

    ensure_scores_table(dsn)


@task(
    retries=3,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=is_transient,
    cache_policy=NO_CACHE,
)
def score_chunk(dsn: str, loaded: Any, after_id: int, chunk_size: int) -> Any:
    """Score and store the next chunk of pending applications."""
    from serving.batch import score_pending_chunk

    return score_pending_chunk(dsn, loaded, after_id, chunk_size)


@flow(name="score-batch", flow_run_name="score-batch")
def score_batch(
    dsn: str | None = None,
    model_name: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> dict[str, Any]:
    """Score pending applications not yet scored by the champion version, chunk by chunk."""
    from credit_risk.environment import prepare_runtime
    from credit_risk.settings import Settings

    logger = get_run_logger()
    settings = Settings()
    if dsn is None:
        dsn = prepare_runtime(settings).dsn
    name = model_name or settings.mlflow.registered_model
    delays = settings.runner.retry_delays
    with explain_database_outage(dsn, len(delays), "chunks already scored are kept"):
        retrying(prepare_table, delays)(dsn)
    loaded = retrying(load_champion, delays)(name)
    score_next = retrying(score_chunk, delays)
    scored = written = chunks = 0
    after = 0
    with explain_database_outage(dsn, len(delays), "chunks already scored are kept"):
        while True:
            chunk = score_next(dsn, loaded, after, chunk_size)
            if chunk.last_id is None:
                break
            scored, written, chunks = scored + chunk.scored, written + chunk.written, chunks + 1
            after = chunk.last_id
    logger.info(
        "%s version %s: scored %d pending applications in %d chunks, %d new rows",
        name,
        loaded.version,
        scored,
        chunks,
        written,
    )
    return {
        "model_name": name,
        "model_version": loaded.version,
        "scored": scored,
        "written": written,
        "chunks": chunks,
    }
