"""The registered model's names, and the one champion lookup every stage uses.

The champion is whatever version holds the `champion` alias of the registered model; serving
loads `models:/<name>@champion`. The alias moves only through training.registry (the gate, or a
change by hand), which writes `governance.promotion_log` under the same lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

__all__ = [
    "AWAITING_APPROVAL",
    "CHALLENGER",
    "CHAMPION",
    "DEFAULT_MODEL",
    "PREVIOUS_CHAMPION",
    "champion_version",
    "is_missing",
    "registered_names",
    "require_champion",
    "version_by_alias",
]

DEFAULT_MODEL = "credit-risk"
CHAMPION = "champion"
CHALLENGER = "challenger"
# Where a rollback would go next; kept in step with the promotion log after every change.
PREVIOUS_CHAMPION = "previous-champion"
# A challenger that passed every gate and waits for a person's approval (approval mode).
AWAITING_APPROVAL = "awaiting-approval"


def is_missing(exc: Exception) -> bool:
    """An MLflow error saying the model, version or alias does not exist."""
    return getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST"


def champion_version(client: MlflowClient, model_name: str) -> ModelVersion | None:
    """The version holding the `champion` alias, or None while there is none."""
    return version_by_alias(client, model_name, CHAMPION)


def version_by_alias(client: MlflowClient, model_name: str, alias: str) -> ModelVersion | None:
    """The version holding `alias`, or None while none does (or the model does not exist)."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(model_name, alias)
    except MlflowException as exc:
        if is_missing(exc) or "alias" in str(exc).lower():
            return None
        raise


def require_champion(client: MlflowClient, model_name: str) -> ModelVersion:
    """The champion version; a LookupError saying how to get one while there is none."""
    version = champion_version(client, model_name)
    if version is None:
        known = registered_names(client)
        if model_name not in known:
            raise LookupError(
                f"no registered model is named {model_name!r}; registered models: "
                f"{', '.join(known) or 'none yet'}. Train one with 'credit-risk run pipeline' "
                "or 'credit-risk train --dataset FILE --name NAME'"
            )
        raise LookupError(
            f"model {model_name} has no champion yet; train and promote one first "
            "(credit-risk run pipeline)"
        )
    return version


def registered_names(client: MlflowClient) -> list[str]:
    """Every registered model's name, sorted."""
    return sorted(m.name for m in client.search_registered_models(max_results=1000))
