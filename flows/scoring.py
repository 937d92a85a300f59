"""`score_batch`: score every pending application with the champion into serving.scores."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import SecretStr

from credit_risk.database import flow_dsn
from credit_risk.model_registry import CHAMPION
from flows.retry import TRANSIENT_RETRIES, explain_database_outage, retrying

if TYPE_CHECKING:
    # Types only: serving's modules load the model stack, which the tasks import when they run.
    from serving.batch import Chunk
    from serving.batch_summary import BandSummary
    from serving.champion import LoadedModel

DEFAULT_CHUNK_SIZE = 50_000


@task(
    **TRANSIENT_RETRIES,
)
def load_champion(model_name: str) -> LoadedModel:
    """The registered champion with its explainer, loaded once for the whole run."""
    from serving.champion import load_version

    return load_version(model_name)


@task(**TRANSIENT_RETRIES)
def prepare_table(dsn: str) -> None:
    """Create serving.scores if missing."""
    from serving.batch import ensure_scores_table

    ensure_scores_table(dsn)


@task(
    **TRANSIENT_RETRIES,
)
def score_chunk(dsn: str, loaded: LoadedModel, after_id: int, chunk_size: int) -> Chunk:
    """Score and store the next chunk of pending applications."""
    from serving.batch import score_pending_chunk

    return score_pending_chunk(dsn, loaded, after_id, chunk_size)


@task(**TRANSIENT_RETRIES)
def summarise(dsn: str, model_version: int) -> list[BandSummary]:
    """Counts, approvals and mean PD per risk band of this version's scores."""
    from serving.batch_summary import summarise_scores

    return summarise_scores(dsn, model_version)


def _run_name() -> str:
    from prefect.runtime import flow_run

    model = flow_run.parameters.get("model_name") or CHAMPION
    return f"score-batch-{model}-{flow_run.scheduled_start_time:%Y%m%d-%H%M}"


@flow(name="score-batch", flow_run_name=_run_name)
def score_batch(
    dsn: SecretStr | None = None,
    model_name: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> dict[str, Any]:
    """Score pending applications not yet scored by the champion version, chunk by chunk."""
    from credit_risk.environment import prepare_runtime
    from credit_risk.settings import Settings

    logger = get_run_logger()
    settings = Settings()
    database = flow_dsn(dsn) or prepare_runtime(settings).dsn
    name = model_name or settings.mlflow.registered_model
    delays = settings.runner.retry_delays
    with explain_database_outage(database, len(delays), "chunks already scored are kept"):
        retrying(prepare_table, delays)(database)
    loaded = retrying(load_champion, delays)(name)
    score_next = retrying(score_chunk, delays)
    scored = written = chunks = 0
    after = 0
    started = time.perf_counter()
    with explain_database_outage(database, len(delays), "chunks already scored are kept"):
        while True:
            chunk = score_next(database, loaded, after, chunk_size)
            if chunk.last_id is None:
                break
            scored, written, chunks = scored + chunk.scored, written + chunk.written, chunks + 1
            after = chunk.last_id
            elapsed = time.perf_counter() - started
            logger.info(
                "chunk %d: %d applications so far (%d new rows) in %.1f s, %.0f rows/s",
                chunks,
                scored,
                written,
                elapsed,
                scored / elapsed if elapsed else 0.0,
            )
        bands = retrying(summarise, delays)(database, loaded.version)
    seconds = round(time.perf_counter() - started, 1)
    logger.info(
        "%s version %s: scored %d pending applications in %d chunks, %d new rows, %.1f s",
        name,
        loaded.version,
        scored,
        chunks,
        written,
        seconds,
    )
    summary = {
        "model_name": name,
        "model_version": loaded.version,
        "scored": scored,
        "written": written,
        "chunks": chunks,
        "seconds": seconds,
    }
    _publish(summary, bands)
    return summary


def _publish(summary: dict[str, Any], bands: list[BandSummary]) -> None:
    """Prefect artifacts: a table by risk band and a Markdown summary of the run."""
    create_table_artifact(
        key="batch-scores-by-band",
        table=[
            {
                "risk_band": b.risk_band,
                "applications": b.applications,
                "approval_rate": round(b.approval_rate, 3),
                "mean_probability": round(b.mean_probability, 4),
                "scores": f"{b.min_score}-{b.max_score}",
            }
            for b in bands
        ],
        description=f"All scores of {summary['model_name']} v{summary['model_version']}",
    )
    total = sum(b.applications for b in bands)
    approved = sum(b.approved for b in bands)
    approval = f"{approved / total:.1%}" if total else "n/a"
    create_markdown_artifact(
        key="batch-scoring-summary",
        markdown=(
            f"# Batch scoring with `{summary['model_name']}` v{summary['model_version']}\n\n"
            f"- This run: {summary['scored']:,} pending applications in {summary['chunks']} "
            f"chunks, {summary['written']:,} new rows in `serving.scores`, "
            f"{summary['seconds']} s\n"
            f"- All scores of this version: {total:,}, approval rate {approval}\n"
            "- Query them: `select * from serving.scores where model_version = "
            f"{summary['model_version']}`\n"
        ),
    )


@task(**TRANSIENT_RETRIES)
def load_profiled_champion(model_name: str) -> LoadedModel:
    """The champion of a model served by its feature profile (trained on a flat file)."""
    from serving.champion import load_profiled

    return load_profiled(model_name)


def _table_run_name() -> str:
    from prefect.runtime import flow_run

    model = flow_run.parameters.get("model_name") or CHAMPION
    table = flow_run.parameters.get("table") or "table"
    return f"score-table-{model}-{table}-{flow_run.scheduled_start_time:%Y%m%d-%H%M}"


@flow(name="score-table", flow_run_name=_table_run_name)
def score_table(
    model_name: str,
    table: str,
    into: str | None = None,
    dsn: SecretStr | None = None,
) -> dict[str, Any]:
    """Score every row of SCHEMA.TABLE with the model's champion into SCHEMA.TABLE_scores."""
    from credit_risk.environment import prepare_runtime
    from credit_risk.settings import Settings
    from serving.table_scoring import parse_table
    from serving.table_scoring import score_table as score_rows

    logger = get_run_logger()
    parse_table(table)  # a malformed name is refused before anything is loaded
    settings = Settings()
    database = flow_dsn(dsn) or prepare_runtime(settings).dsn
    delays = settings.runner.retry_delays
    loaded = retrying(load_profiled_champion, delays)(model_name)
    result = score_rows(database, loaded, table, into)
    logger.info(
        "%s version %s: %d rows of %s, %d scored (%d approved), %d refused, into %s in %.1f s",
        result.model_name,
        result.model_version,
        result.rows,
        result.source,
        result.scored,
        result.approved,
        result.refused,
        result.target,
        result.seconds,
    )
    create_markdown_artifact(
        key="table-scoring-summary",
        markdown=(
            f"# `{result.source}` scored with `{result.model_name}` v{result.model_version}\n\n"
            f"- {result.rows:,} rows: {result.scored:,} scored ({result.approved:,} approved), "
            f"{result.refused:,} refused (see the `problem` column)\n"
            f"- Scores: `select * from {result.target}`\n"
        ),
    )
    return result.to_dict()
