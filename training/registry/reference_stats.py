"""The champion's reference statistics, kept as version tags, for later batches to be checked against."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlflow import MlflowClient

REFERENCE_TAG_PREFIX = "reference_"


def tag_reference(model_name: str, version: int | str, reference: dict[str, float]) -> None:
    """Store {"dti_mean": 0.36, ...} on the model version as reference_<name> tags."""
    from mlflow import MlflowClient

    client = MlflowClient()
    for key, value in reference.items():
        client.set_model_version_tag(
            model_name, str(version), REFERENCE_TAG_PREFIX + key, repr(value)
        )


def champion_reference(
    model_name: str, client: MlflowClient | None = None
) -> dict[str, float] | None:
    """The reference statistics of the current champion, or None without a champion or tags."""
    from mlflow import MlflowClient

    from credit_risk.model_registry import champion_version

    client = client or MlflowClient()
    version = champion_version(client, model_name)
    if version is None:
        return None
    reference = {
        key.removeprefix(REFERENCE_TAG_PREFIX): float(value)
        for key, value in version.tags.items()
        if key.startswith(REFERENCE_TAG_PREFIX)
    }
    return reference or None
