"""Request and response models for a model served by its recorded feature profile.

The request model is built when the service starts, from the champion's feature profile
(credit_risk.artifact.feature_profile): one field per feature, numbers bounded by the range
training saw, categories limited to the levels training saw, and only features that training
saw missing may be left out. It is as strict as the contract's Application: `extra="forbid"`
answers a field the model never saw with a 400 naming it, and "1.5" is not a number.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from credit_risk.artifact.feature_profile import FeatureProfile, FieldProfile
from serving.schemas import MAX_BATCH, Decided, VersionInfo

__all__ = [
    "ProfiledBatchResponse",
    "ProfiledModelInfo",
    "ProfiledScoreResponse",
    "batch_request_model",
    "field_names",
    "request_model",
]

APPLICATION_ID = "application_id"
_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def field_names(profile: FeatureProfile) -> dict[str, str]:
    """Python attribute name → feature (column) name; a column that is not an identifier, or
    that clashes with application_id, gets a safe attribute name and keeps its column name as
    the JSON key."""
    names: dict[str, str] = {}
    for index, spec in enumerate(profile.fields):
        safe = spec.name.isidentifier() and not spec.name.startswith("_")
        attribute = spec.name if safe and spec.name != APPLICATION_ID else f"feature_{index}"
        names[attribute] = spec.name
    return names


def _annotation(spec: FieldProfile) -> Any:
    if spec.kind == "category":
        if spec.categories:
            return Literal[spec.categories]
        return Annotated[str, Field(min_length=1, max_length=200)]
    return float


def _field(spec: FieldProfile, attribute: str) -> tuple[Any, Any]:
    if spec.kind == "category":
        seen = (
            f"one of the {len(spec.categories)} levels seen in training"
            if spec.categories
            else "text"
        )
        description = f"{spec.name}: {seen}."
        bounds: dict[str, Any] = {}
    else:
        description = (
            f"{spec.name}: a number from {spec.minimum:g} to {spec.maximum:g}, the range seen in "
            "training."
            if spec.minimum is not None and spec.maximum is not None
            else f"{spec.name}: a number."
        )
        bounds = {"ge": spec.minimum, "le": spec.maximum}
    alias = spec.name if attribute != spec.name else None
    annotation = _annotation(spec)
    if spec.nullable:
        description += " May be null or left out: training saw it missing."
        return annotation | None, Field(
            default=None, description=description, alias=alias, **bounds
        )
    return annotation, Field(description=description, alias=alias, **bounds)


def request_model(profile: FeatureProfile, title: str) -> type[BaseModel]:
    """One application to the model: its features, as strict as training saw them."""
    fields: dict[str, Any] = {
        attribute: _field(spec, attribute)
        for attribute, spec in zip(field_names(profile), profile.fields, strict=True)
    }
    fields[APPLICATION_ID] = (
        str | None,
        Field(default=None, max_length=100, description="Your id for the application."),
    )
    model: type[BaseModel] = create_model(title, __config__=_STRICT, **fields)
    return model


def batch_request_model(application: type[BaseModel], title: str) -> type[BaseModel]:
    """Up to MAX_BATCH applications in one call."""
    applications: Any = Annotated[
        list[application],  # type: ignore[valid-type]
        Field(min_length=1, max_length=MAX_BATCH),
    ]
    model: type[BaseModel] = create_model(
        title, __config__=_STRICT, applications=(applications, ...)
    )
    return model


class ProfiledScoreResponse(Decided):
    scored_at: datetime = Field(description="When the score was computed (UTC).")


class ProfiledBatchResponse(BaseModel):
    results: list[ProfiledScoreResponse] = Field(description="One result per application.")


class ProfiledModelInfo(VersionInfo):
    features: list[dict[str, Any]] = Field(
        description="Each feature as training saw it: kind, range, categories, nullable."
    )
    loaded_at: datetime = Field(description="When this service loaded the version.")
