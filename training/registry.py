"""The model registry: register challengers, gate them against the champion, promote and roll back.

The champion is whatever version holds the `champion` alias of the registered model; serving loads
`models:/credit-risk@champion`. Every change of that alias goes through this module and is written
to `governance.promotion_log` in the same transaction, so the log and the registry agree.
"""

from __future__ import annotations

import getpass
import importlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from credit_risk.database import connect
from training import promotion_log
from training.promotion_gate import PromotionDecision, decide_promotion

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Run
    from mlflow.entities.model_registry import ModelVersion

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "KEY_METRICS",
    "PREVIOUS_CHAMPION",
    "ChampionChange",
    "PromotionDecision",
    "cli_actor",
    "decide_promotion",
    "evaluate_on",
    "list_versions",
    "promote_if_better",
    "promote_version",
    "recorded_metrics",
    "register_challenger",
    "rollback",
]

log = logging.getLogger(__name__)

DEFAULT_MODEL = "credit-risk"
CHAMPION = "champion"
CHALLENGER = "challenger"
# Where `rollback` would go next; kept in step with the promotion log after every change.
PREVIOUS_CHAMPION = "previous-champion"
THRESHOLD = "threshold"
# Copied from the run to version tags, so the registry UI shows them without opening the run.
KEY_METRICS = (
    "test_auc",
    "test_ks",
    "test_gini",
    "test_brier",
    "test_ece",
    "test_di_gender_min_ratio",
    "test_di_age_band_min_ratio",
    "val_auc",
    THRESHOLD,
)
# Used only when a version carries no threshold at all; it affects approval-based metrics only.
FALLBACK_THRESHOLD = 0.5


@dataclass(frozen=True)
class ChampionChange:
    """A manual promotion or a rollback, as written to the promotion log."""

    model_name: str
    action: str
    previous_champion_version: int | None
    new_champion_version: int
    reason: str
    log_id: int


def cli_actor() -> str:
    """The actor recorded for a person at the command line."""
    return f"cli:{getpass.getuser()}"


def _client() -> MlflowClient:
    from mlflow import MlflowClient

    return MlflowClient()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _missing(exc: Exception) -> bool:
    return getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST"


def _aliases(client: MlflowClient, model_name: str) -> dict[str, int]:
    from mlflow.exceptions import MlflowException

    try:
        model = client.get_registered_model(model_name)
    except MlflowException as exc:
        if _missing(exc):
            raise ValueError(
                f"model {model_name} is not registered yet; train and register a challenger first"
            ) from exc
        raise
    return {alias: int(version) for alias, version in model.aliases.items()}


def list_versions(model_name: str = DEFAULT_MODEL) -> list[tuple[ModelVersion, list[str]]]:
    """Every version, newest first, with the aliases it holds."""
    client = _client()
    aliases = _aliases(client, model_name)
    versions = client.search_model_versions(f"name = '{model_name}'")
    rows = sorted(versions, key=lambda mv: int(mv.version), reverse=True)
    return [(mv, sorted(a for a, v in aliases.items() if v == int(mv.version))) for mv in rows]


def _get_version(client: MlflowClient, model_name: str, version: int | str) -> ModelVersion:
    """The version, or a ValueError that lists the versions that do exist."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(model_name, str(version))
    except MlflowException as exc:
        if not _missing(exc):
            raise
    _aliases(client, model_name)  # a clearer error when the model itself is missing
    existing = sorted(
        int(mv.version) for mv in client.search_model_versions(f"name = '{model_name}'")
    )
    listed = ", ".join(map(str, existing)) or "none"
    raise ValueError(f"model {model_name} has no version {version}; versions: {listed}")


def _champion(client: MlflowClient, model_name: str) -> ModelVersion | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, CHAMPION)
    except MlflowException as exc:
        if _missing(exc) or "alias" in str(exc).lower():
            return None
        raise


def register_challenger(
    run_id: str,
    *,
    model_name: str = DEFAULT_MODEL,
    artifact_path: str = "model",
    description: str | None = None,
) -> ModelVersion:
    """Register the run's model as a new version holding the `challenger` alias."""
    import mlflow

    client = _client()
    run = client.get_run(run_id)
    values = {**_numeric_params(run.data.params), **run.data.metrics}
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


def _numeric_params(params: Mapping[str, str]) -> dict[str, float]:
    numeric: dict[str, float] = {}
    for key, raw in params.items():
        try:
            numeric[key] = float(raw)
        except ValueError:
            continue
    return numeric


def recorded_metrics(client: MlflowClient, version: ModelVersion) -> dict[str, float]:
    """The key metrics as recorded at training time: version tags, else the run."""
    metrics = {k: float(v) for k, v in _numeric_params(version.tags).items() if k in KEY_METRICS}
    if version.run_id:
        try:
            run = client.get_run(version.run_id)
        except Exception:  # a deleted run leaves the version's tags as the only record
            log.warning("run %s of version %s is gone", version.run_id, version.version)
        else:
            run_values = {**_numeric_params(run.data.params), **run.data.metrics}
            for key in KEY_METRICS:
                if key in run_values:
                    metrics.setdefault(key, float(run_values[key]))
    return metrics


def _threshold(client: MlflowClient, version: ModelVersion) -> float:
    threshold = recorded_metrics(client, version).get(THRESHOLD)
    if threshold is None:
        log.warning(
            "version %s has no %r tag, run metric or param; using %s",
            version.version,
            THRESHOLD,
            FALLBACK_THRESHOLD,
        )
        return FALLBACK_THRESHOLD
    return threshold


def _risk_scorer(model_uri: str) -> Callable[[pd.DataFrame], np.ndarray]:
    """A function from features to the probability of default (class 1)."""
    import mlflow

    flavors = mlflow.models.get_model_info(model_uri).flavors
    for flavor in ("sklearn", "xgboost", "lightgbm"):
        if flavor in flavors:
            model = importlib.import_module(f"mlflow.{flavor}").load_model(model_uri)
            if hasattr(model, "predict_proba"):
                return lambda X: np.asarray(model.predict_proba(X))[:, 1]
    pyfunc = mlflow.pyfunc.load_model(model_uri)

    def predict(X: pd.DataFrame) -> np.ndarray:
        out = np.asarray(pyfunc.predict(X), dtype=float)
        return out[:, -1] if out.ndim == 2 else out

    return predict


def evaluate_on(
    model_uri: str,
    X_test: pd.DataFrame,
    y_test: Any,
    threshold: float,
    groups: pd.DataFrame | Mapping[str, Any] | None = None,
) -> dict[str, float]:
    """Test metrics of one model on the given test set, named as training logs them (test_*)."""
    from training.fairness import disparate_impact
    from training.metrics import classification_metrics

    y_prob = _risk_scorer(model_uri)(X_test)
    metrics = {f"test_{k}": v for k, v in classification_metrics(y_test, y_prob, threshold).items()}
    metrics[THRESHOLD] = float(threshold)
    approved = (y_prob < threshold).astype(int)
    columns: Iterable[str] = [] if groups is None else list(groups.keys())
    for column in columns:
        assert groups is not None
        try:
            result = disparate_impact(approved, np.asarray(groups[column], dtype=object))
        except ValueError as exc:  # e.g. nobody approved: the gate reports the missing metric
            log.warning("%s: no disparate impact for %s: %s", model_uri, column, exc)
            continue
        metrics.update(result.to_dict(prefix=f"test_di_{column}_"))
    return metrics


def _version_tags(client: MlflowClient, model_name: str, version: int | str, **tags: str) -> None:
    for key, value in tags.items():
        # MLflow caps tag values; the full text is in the promotion log.
        client.set_model_version_tag(model_name, str(version), key, value[:4900])


def _sync_previous_alias(client: MlflowClient, model_name: str, dsn: str) -> None:
    """Point `previous-champion` where the next rollback would go, or drop it."""
    entry = promotion_log.rollback_target(promotion_log.history(dsn, model_name, limit=None))
    target = None if entry is None else entry["previous_champion_version"]
    if target is not None:
        client.set_registered_model_alias(model_name, PREVIOUS_CHAMPION, str(target))
    elif PREVIOUS_CHAMPION in _aliases(client, model_name):
        client.delete_registered_model_alias(model_name, PREVIOUS_CHAMPION)


def _defaults(**given: float | None) -> dict[str, float]:
    from credit_risk.settings import TrainingSettings

    training = TrainingSettings()
    fallback = {
        "auc_margin": training.promotion_auc_margin,
        "calibration_tolerance": training.calibration_tolerance,
        "fairness_tolerance": training.fairness_tolerance,
    }
    return {k: fallback[k] if v is None else float(v) for k, v in given.items()}


def _protected_columns() -> list[str]:
    from credit_risk.contract import protected_features

    return [f.name for f in protected_features()]


def promote_if_better(
    challenger_version: int | str,
    *,
    test_frame: pd.DataFrame,
    target: str,
    feature_columns: Sequence[str],
    dsn: str,
    model_name: str = DEFAULT_MODEL,
    auc_margin: float | None = None,
    calibration_tolerance: float | None = None,
    fairness_tolerance: float | None = None,
    protected_columns: Sequence[str] | None = None,
    actor: str = "pipeline",
) -> PromotionDecision:
    """Score challenger and champion on the same test set, decide, and move `champion` if it wins.

    Tolerances left as None come from `TrainingSettings`. The decision is always logged and tagged.
    """
    client = _client()
    challenger = _get_version(client, model_name, challenger_version)
    champion = _champion(client, model_name)
    if champion is not None and champion.version == challenger.version:
        raise ValueError(f"version {challenger.version} is already the champion of {model_name}")
    missing = [c for c in [target, *feature_columns] if c not in test_frame.columns]
    if missing:
        raise ValueError(f"test_frame: missing columns {', '.join(missing)}")
    protected = [c for c in (protected_columns or _protected_columns()) if c in test_frame.columns]
    X, y, groups = test_frame[list(feature_columns)], test_frame[target], test_frame[protected]

    def evaluate(version: ModelVersion) -> dict[str, float]:
        uri = f"models:/{model_name}/{version.version}"
        return evaluate_on(uri, X, y, _threshold(client, version), groups)

    challenger_metrics = evaluate(challenger)
    champion_metrics = None if champion is None else evaluate(champion)
    decision = decide_promotion(
        challenger_metrics,
        champion_metrics,
        fairness_metrics={c.replace("_", " "): f"test_di_{c}_min_ratio" for c in protected},
        **_defaults(
            auc_margin=auc_margin,
            calibration_tolerance=calibration_tolerance,
            fairness_tolerance=fairness_tolerance,
        ),
    )
    old = None if champion is None else int(champion.version)
    new = int(challenger.version) if decision.promote else old
    with connect(dsn) as conn:
        promotion_log.insert(
            conn,
            model_name=model_name,
            action=decision.action,
            actor=actor,
            reason=decision.summary,
            challenger_version=challenger.version,
            previous_champion_version=old,
            new_champion_version=new,
            challenger_metrics=challenger_metrics,
            champion_metrics=champion_metrics,
        )
        if decision.promote:
            client.set_registered_model_alias(model_name, CHAMPION, challenger.version)
    decided_at = _now()
    tags = {
        "promotion_decision": decision.action,
        "promotion_reason": decision.summary,
        "promotion_decided_at": decided_at,
        "promotion_decided_by": actor,
    }
    if decision.promote:
        tags |= {"promoted_at": decided_at, "promoted_by": actor}
        _sync_previous_alias(client, model_name, dsn)
    _version_tags(client, model_name, challenger.version, **tags)
    log.info("%s version %s: %s", decision.action, challenger.version, decision.summary)
    return decision


def _change_champion(
    client: MlflowClient,
    *,
    model_name: str,
    action: promotion_log.Action,
    version: ModelVersion,
    actor: str,
    reason: str,
    dsn: str,
) -> ChampionChange:
    """Move `champion` to `version` and log it in one transaction, then tag and sync aliases."""
    champion = _champion(client, model_name)
    with connect(dsn) as conn:
        log_id = promotion_log.insert(
            conn,
            model_name=model_name,
            action=action,
            actor=actor,
            reason=reason,
            challenger_version=version.version,
            previous_champion_version=None if champion is None else champion.version,
            new_champion_version=version.version,
            challenger_metrics=recorded_metrics(client, version),
            champion_metrics=None if champion is None else recorded_metrics(client, champion),
        )
        client.set_registered_model_alias(model_name, CHAMPION, version.version)
    now = _now()
    _version_tags(
        client,
        model_name,
        version.version,
        promotion_decision=action,
        promotion_reason=reason,
        promotion_decided_at=now,
        promotion_decided_by=actor,
        promoted_at=now,
        promoted_by=actor,
    )
    _sync_previous_alias(client, model_name, dsn)
    log.info("%s: %s version %s is champion (%s)", actor, model_name, version.version, action)
    return ChampionChange(
        model_name=model_name,
        action=action,
        previous_champion_version=None if champion is None else int(champion.version),
        new_champion_version=int(version.version),
        reason=reason,
        log_id=log_id,
    )


def promote_version(
    version: int | str, *, actor: str, reason: str, dsn: str, model_name: str = DEFAULT_MODEL
) -> ChampionChange:
    """Make a version the champion by hand, bypassing the gate; logged as 'manual_promote'."""
    client = _client()
    chosen = _get_version(client, model_name, version)
    champion = _champion(client, model_name)
    if champion is not None and champion.version == chosen.version:
        raise ValueError(f"version {chosen.version} is already the champion of {model_name}")
    return _change_champion(
        client,
        model_name=model_name,
        action="manual_promote",
        version=chosen,
        actor=actor,
        reason=reason,
        dsn=dsn,
    )


def rollback(
    *, actor: str, dsn: str, model_name: str = DEFAULT_MODEL, reason: str | None = None
) -> ChampionChange:
    """Undo the latest promotion not yet undone: the champion before it becomes champion again."""
    client = _client()
    entry = promotion_log.rollback_target(promotion_log.history(dsn, model_name, limit=None))
    if entry is None:
        raise ValueError(
            f"model {model_name} has no promotion in governance.promotion_log to roll back; "
            "promote a version first with 'credit-risk model promote'"
        )
    undone, target = entry["new_champion_version"], entry["previous_champion_version"]
    if target is None:
        raise ValueError(
            f"version {undone} was the first champion of {model_name}; there is no earlier "
            "champion to roll back to (use 'credit-risk model promote --version N' instead)"
        )
    champion = _champion(client, model_name)
    if champion is None or int(champion.version) != undone:
        log.warning(
            "the champion alias (%s) was moved outside the promotion log, which names version %s",
            None if champion is None else champion.version,
            undone,
        )
    restored = _get_version(client, model_name, target)
    why = f"rollback of the promotion of version {undone} (log entry {entry['id']})"
    return _change_champion(
        client,
        model_name=model_name,
        action="rollback",
        version=restored,
        actor=actor,
        reason=f"{why}: {reason}" if reason else why,
        dsn=dsn,
    )
