"""The champion as the service holds it: loaded once, checked for a new champion in the background.

`ChampionModel.current` is an immutable `LoadedModel`; a reload builds the next one completely
(model, explainer, metadata, self-check) before a single reference assignment swaps it in, so
requests in flight finish on the version they started with and none are dropped. When MLflow is
unreachable the check logs a warning and the current version keeps serving.

The check interval is settings.serving.reload_seconds (CREDIT_SERVING__RELOAD_SECONDS; 0 = off).
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from credit_risk import contract
from credit_risk.artifact.feature_profile import FeatureProfile, read_profile
from credit_risk.artifact.feature_spec import FeatureSpec
from credit_risk.artifact.loading import load_model
from credit_risk.artifact.scaling import ScoreScaling
from credit_risk.errors import first_line
from credit_risk.model_registry import require_champion
from serving.encoding import Encoder, fast_encoder
from serving.reasons import Explainer, ReasonReference
from serving.request_features import feature_rows, rows_frame

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

    from credit_risk.artifact.scoring_model import CreditRiskModel

__all__ = [
    "ChampionModel",
    "LoadedModel",
    "load_profiled",
    "load_version",
    "settle_heap",
    "uses_contract_features",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scored:
    """Model outputs for a batch of model-input rows."""

    probability: npt.NDArray[np.float64]
    contributions: npt.NDArray[np.float64]  # rows × explainer.features
    base: npt.NDArray[np.float64]

    @property
    def margin(self) -> npt.NDArray[np.float64]:
        return np.asarray(self.contributions.sum(axis=1) + self.base, dtype=np.float64)


@dataclass(frozen=True)
class LoadedModel:
    """One registered version with everything scoring needs."""

    name: str
    version: int
    run_id: str
    created_at: datetime | None
    model: CreditRiskModel
    explainer: Explainer
    metrics: dict[str, float]
    # What adverse-action reasons are measured against (see reason_reference).
    reference: ReasonReference
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Set after the load-time check: the numpy encoder reproduces the pipeline's preprocessing.
    encoder: Encoder | None = None
    # The estimator method whose output the calibrators read (RESPONSES), called on the encoded
    # rows; None = call calibrated.predict_proba on the frame (the exact, slower path).
    response: str | None = None
    # A model of features outside the contract (trained on a flat file): its input columns and
    # what training saw of them. None for the contract's models.
    spec: FeatureSpec | None = None
    profile: FeatureProfile | None = None

    @property
    def threshold(self) -> float:
        return self.model.threshold

    @property
    def scaling(self) -> ScoreScaling:
        return ScoreScaling.from_dict(self.model.scaling)

    def version_info(self) -> dict[str, Any]:
        """The fields of /model_info that any model has (serving.schemas.VersionInfo)."""
        return {
            "name": self.name,
            "version": self.version,
            "candidate": self.model.candidate,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "threshold": self.threshold,
            "score_scaling": dict(self.model.scaling),
            "metrics": self.metrics,
            "loaded_at": self.loaded_at,
        }

    def score(self, rows: Sequence[Mapping[str, Any]], threads: int = 1) -> Scored:
        """Calibrated PD and raw-margin contributions for feature rows (see serving.request_features).

        One booster call for all rows; `threads` > 1 only pays off for batches.
        """
        frame = None
        if self.encoder is not None:
            encoded = self.encoder.encode(rows)
        else:
            frame = self.frame(rows)
            encoded = self.explainer.encode(frame)
        contributions, base = self.explainer.contributions(encoded, threads)
        if self.response is not None:
            probability = _calibrated(self.model, encoded, self.response)
        else:
            frame = self.frame(rows) if frame is None else frame
            probability = self.model.predict_proba(frame)[:, 1]
        return Scored(np.asarray(probability, dtype=np.float64), contributions, base)

    def frame(self, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """Feature rows as the model's input frame, typed as its logged signature."""
        if self.spec is None:
            return rows_frame(rows)
        return self.spec.model_input(
            pd.DataFrame.from_records(list(rows), columns=self.spec.columns)
        )


# What CalibratedClassifierCV feeds its calibrators: the estimator's decision_function or,
# without one, its predict_proba.
RESPONSES = ("decision_function", "predict_proba")


def _calibrated(
    model: CreditRiskModel, encoded: npt.NDArray[np.float64], response: str
) -> npt.NDArray[np.float64]:
    """calibrated.predict_proba[:, 1] from the encoded rows, without re-running the preprocessing.

    The same method of the same fitted estimator on the matrix the preprocessing gives, then the
    same calibrators: the exact path's probabilities, bit for bit (checked when a version loads).
    """
    values = np.asarray(getattr(model.pipeline[-1], response)(encoded))
    if response == "predict_proba":
        values = values[:, 1]
    parts = [
        np.clip(calibrated.calibrators[0].predict(values), 0.0, 1.0)
        for calibrated in model.calibrated.calibrated_classifiers_
    ]
    return np.asarray(np.mean(parts, axis=0), dtype=np.float64)


def _with_fast_paths(loaded: LoadedModel, spec: FeatureSpec) -> LoadedModel:
    """Turn on each fast path that reproduces the exact pipeline on probe rows, bit for bit."""
    rows = _probe_rows()
    linear = loaded.explainer.kind == "linear"
    encoder = (
        fast_encoder(loaded.model.pipeline, spec, rows, linear)
        if spec.categories is not None
        else None
    )
    frame = rows_frame(rows)
    exact = loaded.model.predict_proba(frame)[:, 1]
    encoded = loaded.explainer.encode(frame)
    estimator = loaded.model.pipeline[-1]
    response = next((name for name in RESPONSES if hasattr(estimator, name)), None)
    try:
        same = response is not None and np.array_equal(
            _calibrated(loaded.model, encoded, response), exact
        )
    except Exception as exc:  # an unexpected calibrator layout: keep the exact path
        log.warning("fast probability path unavailable: %s", exc)
        same = False
    if response is not None and not same:
        log.warning("fast probability path differs from the pipeline's; the exact path is used")
    return replace(loaded, encoder=encoder, response=response if same else None)


def load_version(name: str, version: int | None = None) -> LoadedModel:
    """Load `name` at `version` (default: the champion) with its run metrics and explainer."""
    from mlflow import MlflowClient

    client = MlflowClient()
    mv = _model_version(client, name, version)
    model = load_model(f"models:/{name}/{mv.version}")
    spec = FeatureSpec.from_contract()
    explainer = Explainer.for_pipeline(model.pipeline, spec.numeric, spec.categorical)
    means = {
        key.removeprefix("reference_").removesuffix("_mean"): float(value)
        for key, value in mv.tags.items()
        if key.startswith("reference_") and key.endswith("_mean")
    }
    loaded = _with_fast_paths(
        LoadedModel(
            **_version_facts(client, name, mv),
            model=model,
            explainer=explainer,
            reference=reason_reference(model, explainer, means),
        ),
        spec,
    )
    log.info(
        "loaded %s version %s (%s; fast encoder %s, calibrator input %s)",
        name,
        mv.version,
        model.candidate,
        loaded.encoder is not None,
        loaded.response or "exact pipeline",
    )
    return loaded


def load_profiled(name: str, version: int | None = None) -> LoadedModel:
    """Load a model of any features (one trained on a flat file) by its recorded feature profile.

    It scores on the exact pipeline (no contract fast paths); its reasons are its own features.
    """
    from mlflow import MlflowClient

    client = MlflowClient()
    mv = _model_version(client, name, version)
    uri = f"models:/{name}/{mv.version}"
    profile = read_profile(uri)
    model = load_model(uri)
    spec = FeatureSpec(numeric=profile.numeric, categorical=profile.categorical)
    explainer = Explainer.for_pipeline(model.pipeline, spec.numeric, spec.categorical)
    loaded = LoadedModel(
        **_version_facts(client, name, mv),
        model=model,
        explainer=explainer,
        reference=reason_reference(model, explainer, {}),
        spec=spec,
        profile=profile,
    )
    log.info(
        "loaded %s version %s (%s, %d features)",
        name,
        mv.version,
        model.candidate,
        len(spec.columns),
    )
    return loaded


def uses_contract_features(model_uri: str) -> bool:
    """Whether the model takes the contract's features (else it is served by its profile)."""
    from mlflow.models import get_model_info

    features = (get_model_info(model_uri).metadata or {}).get("features")
    return features is None or set(features) <= set(contract.by_name())


def _model_version(client: MlflowClient, name: str, version: int | None) -> ModelVersion:
    if version is None:
        return require_champion(client, name)
    return client.get_model_version(name, str(version))


def _version_facts(client: MlflowClient, name: str, mv: ModelVersion) -> dict[str, Any]:
    """The LoadedModel fields that come from the registry: name, version, run, metrics."""
    metrics: dict[str, float] = {}
    if mv.run_id:
        metrics = dict(client.get_run(mv.run_id).data.metrics)
    created = (
        datetime.fromtimestamp(mv.creation_timestamp / 1000, UTC) if mv.creation_timestamp else None
    )
    return {
        "name": name,
        "version": int(mv.version),
        "run_id": mv.run_id or "",
        "created_at": created,
        "metrics": metrics,
    }


def reason_reference(
    model: CreditRiskModel, explainer: Explainer, means: Mapping[str, float]
) -> ReasonReference:
    """The applicants at the cut-off the model was trained with (CreditRiskModel.reason_reference):
    their mean contribution per feature and median values. Older models: the average applicant.
    """
    frame = getattr(model, "reason_reference", None)
    if frame is None or len(frame) == 0:
        return ReasonReference.average(explainer.features, means)
    contributions, _ = explainer.contributions(explainer.encode(frame))
    medians = {
        name: float(frame[name].astype("float64").median())
        for name in explainer.features
        if name in frame and frame[name].dtype.kind in "biuf"
    }
    return ReasonReference(
        contributions.mean(axis=0),
        medians,
        f"the {len(frame)} validation applicants with the highest PD below the threshold",
    )


def _probe_rows() -> list[dict[str, Any]]:
    """Varied applications (known and missing values, every category) for the load-time checks."""
    from serving.schemas import Application

    apps = [
        Application(
            loan_amount=amount,
            tenure_months=36,
            interest_rate=rate,
            loan_purpose=purpose,  # type: ignore[arg-type]
            monthly_income=income,
            existing_monthly_debt=debt,
            employment_type=employment,  # type: ignore[arg-type]
            age_years=35,
            years_employed=years,
            dependents=dependents,
            collateral_value=collateral,
        )
        for (amount, rate, income, debt, years, dependents, collateral), purpose, employment in zip(
            [
                (5_000, 8.0, 9_000, 0, 10.0, 2, 20_000),
                (40_000, 14.0, 4_000, 1_500, None, None, None),
                (250_000, 24.0, 2_500, 2_000, 1.5, 0, None),
            ]
            * 3,
            contract.LOAN_PURPOSES,
            contract.EMPLOYMENT_TYPES * 2,
            strict=False,
        )
    ]
    rows = [row.values for row in feature_rows(apps)]
    rows[0] = {**rows[0], "is_thin_file": False, "bureau_score": 700, "prior_loans": 2}
    return rows


def settle_heap() -> None:
    """Collect once, then leave every object alive now out of later garbage collections.

    A full collection walks every tracked object: with MLflow, BentoML and a champion loaded
    that is ~350k objects and 250-650 ms with the GIL held, a pause every request in flight
    waited through (it alone made /score's p99 at concurrency 32). Frozen objects are still
    freed by reference counting; cyclic garbage among them waits for the next call.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class ChampionModel:
    """Holds the current champion and swaps in a new one when the alias moves."""

    def __init__(
        self,
        name: str,
        reload_seconds: float,
        loader: Callable[[str, int | None], LoadedModel] = load_version,
    ) -> None:
        self.name = name
        self.reload_seconds = reload_seconds
        self._load = loader
        self.current: LoadedModel = loader(name, None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin the background alias check (no-op when reloading is off)."""
        if self.reload_seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._watch, name="champion-reload", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _watch(self) -> None:
        while not self._stop.wait(self.reload_seconds):
            self.refresh()

    def refresh(self) -> bool:
        """Load and swap in the champion if the alias moved; True when it did."""
        from mlflow import MlflowClient

        try:
            mv = require_champion(MlflowClient(), self.name)
            if int(mv.version) == self.current.version:
                return False
            loaded = self._load(self.name, int(mv.version))
        except Exception as exc:
            log.warning(
                "champion check failed; still serving %s version %s: %s",
                self.name,
                self.current.version,
                first_line(exc),
            )
            return False
        previous, self.current = self.current.version, loaded
        log.info("champion of %s moved: version %s → %s", self.name, previous, loaded.version)
        settle_heap()  # one pause per promotion, so the new version's objects are not walked
        return True
