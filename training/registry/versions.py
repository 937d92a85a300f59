"""The registered model's versions and aliases: register challengers, find versions, tag them.

The alias moves only through training.registry.promotion (the gate) and training.registry.manual
(by hand), each writing `governance.promotion_log` under the promotion lock, so the log and the
registry agree. The names and the champion lookup are credit_risk.model_registry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from credit_risk.model_registry import (
    CHALLENGER,
    DEFAULT_MODEL,
    PREVIOUS_CHAMPION,
    is_missing,
)
from training.registry import promotion_log
from training.registry.version_metrics import KEY_METRICS, numeric_params

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run
    from mlflow.entities.model_registry import ModelVersion

    from training.registry.gate import GateCheck

__all__ = [
    "aliases",
    "decision_sentence",
    "get_version",
    "list_versions",
    "register_challenger",
    "sync_previous_alias",
    "tag_decision",
    "tag_gates",
]

log = logging.getLogger(__name__)


def aliases(client: MlflowClient, model_name: str) -> dict[str, int]:
    """Each alias of the model and the version it points to; a clear error if unregistered."""
    from mlflow.exceptions import MlflowException

    try:
        model = client.get_registered_model(model_name)
    except MlflowException as exc:
        if is_missing(exc):
            raise ValueError(
                f"model {model_name} is not registered yet; train and register a challenger first"
            ) from exc
        raise
    return {alias: int(version) for alias, version in model.aliases.items()}


def list_versions(model_name: str = DEFAULT_MODEL) -> list[tuple[ModelVersion, list[str]]]:
    """Every version, newest first, with the aliases it holds."""
    from mlflow import MlflowClient

    client = MlflowClient()
    held = aliases(client, model_name)
    versions = client.search_model_versions(f"name = '{model_name}'")
    rows = sorted(versions, key=lambda mv: int(mv.version), reverse=True)
    return [(mv, sorted(a for a, v in held.items() if v == int(mv.version))) for mv in rows]


def get_version(client: MlflowClient, model_name: str, version: int | str) -> ModelVersion:
    """The version, or a ValueError that lists the versions that do exist."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(model_name, str(version))
    except MlflowException as exc:
        if not is_missing(exc):
            raise
    aliases(client, model_name)  # a clearer error when the model itself is missing
    existing = sorted(
        int(mv.version) for mv in client.search_model_versions(f"name = '{model_name}'")
    )
    listed = ", ".join(map(str, existing)) or "none"
    raise ValueError(f"model {model_name} has no version {version}; versions: {listed}")


def register_challenger(
    run_id: str,
    *,
    model_name: str = DEFAULT_MODEL,
    artifact_path: str = "model",
    description: str | None = None,
) -> ModelVersion:
    """Register the run's model as a new version holding the `challenger` alias."""
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.get_run(run_id)
    values = {**numeric_params(run.data.params), **run.data.metrics}
    tags = {key: str(values[key]) for key in KEY_METRICS if key in values}
    version = mlflow.register_model(
        _model_source(client, run, artifact_path), model_name, tags=tags
    )
    if description:
        client.update_model_version(model_name, version.version, description=description)
    client.set_registered_model_alias(model_name, CHALLENGER, version.version)
    log.info(
        "registered %s version %s from run %s as challenger", model_name, version.version, run_id
    )
    return client.get_model_version(model_name, version.version)


def _model_source(client: MlflowClient, run: Run, artifact_path: str) -> str:
    """The run's logged model as `models:/<id>`; MLflow 3 keeps it outside the run's artifacts."""
    found = client.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}' AND name = '{artifact_path}'",
        max_results=1,
    )
    return found[0].model_uri if found else f"runs:/{run.info.run_id}/{artifact_path}"


def tag_decision(
    client: MlflowClient,
    model_name: str,
    version: int | str,
    *,
    action: str,
    reason: str,
    actor: str,
    promoted: bool,
) -> None:
    """Record a champion decision on the version, so the registry UI shows who decided and why."""
    decided_at = datetime.now(UTC).isoformat(timespec="seconds")
    tags = {
        "promotion_decision": action,
        "promotion_reason": reason,
        "promotion_decided_at": decided_at,
        "promotion_decided_by": actor,
    }
    if promoted:
        tags |= {"promoted_at": decided_at, "promoted_by": actor}
    for key, value in tags.items():
        # MLflow caps tag values; the full text is in the promotion log.
        client.set_model_version_tag(model_name, str(version), key, value[:4900])
    description = decision_sentence(action, reason, actor, decided_at[:10])
    client.update_model_version(model_name, str(version), description=description)


# What the registry UI shows under each version: the latest decision on it, in one sentence.
DECISION_SENTENCES = {
    "promote": "Champion since {day}: passed every promotion gate ({actor}).",
    "keep": "Not promoted on {day}: {first}.",
    "awaiting_approval": (
        "Passed every promotion gate on {day} and waits for a person's approval "
        "(credit-risk model approve)."
    ),
    "approve": "Champion since {day}: passed every gate and approved by {actor} ({reason}).",
    "manual_promote": "Champion since {day} by hand, not by the gate: {actor}: {reason}.",
    "rollback": "Champion again since {day}, by rollback: {actor}: {reason}.",
    "reject": "Rejected by {actor} on {day}: {reason}.",
}


def decision_sentence(action: str, reason: str, actor: str, day: str) -> str:
    """One sentence for the version's description; the gate's figures are in its gate.* tags."""
    template = DECISION_SENTENCES.get(action, "{action} on {day} by {actor}: {reason}.")
    first = reason.split("; ")[0].rstrip(".")
    text = template.format(
        action=action, day=day, actor=actor, reason=reason.rstrip("."), first=first
    )
    return text[:4900]


def tag_gates(
    client: MlflowClient, model_name: str, version: int | str, checks: Sequence[GateCheck]
) -> None:
    """One tag per gate on the version: `gate.<name>` = "pass|fail <figure> (bound <bar>)"."""

    def number(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.4f}"

    for check in checks:
        verdict = "pass" if check.passed else "fail"
        client.set_model_version_tag(
            model_name,
            str(version),
            f"gate.{check.check.replace(':', '.')}",
            f"{verdict} {number(check.value)} (bound {number(check.bound)})",
        )


def sync_previous_alias(client: MlflowClient, model_name: str, dsn: str) -> None:
    """Point `previous-champion` where the next rollback would go, or drop it."""
    entry = promotion_log.rollback_target(promotion_log.history(dsn, model_name, limit=None))
    target = None if entry is None else entry["previous_champion_version"]
    if target is not None:
        client.set_registered_model_alias(model_name, PREVIOUS_CHAMPION, str(target))
    elif PREVIOUS_CHAMPION in aliases(client, model_name):
        client.delete_registered_model_alias(model_name, PREVIOUS_CHAMPION)
