"""The one settings object: environment variables with the CREDIT_ prefix, nested with '__'."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, NonNegativeFloat, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from credit_risk.model_registry import DEFAULT_MODEL

MIN_API_KEY_LENGTH = 16


class DatabaseSettings(BaseModel):
    dsn: str | None = Field(
        default=None,
        description="PostgreSQL DSN for the data. Unset: an embedded server under the state folder.",
    )
    name: str = Field(default="credit_risk", description="Database name on the embedded server.")


class MlflowSettings(BaseModel):
    tracking_uri: str | None = Field(
        default=None,
        description="MLflow tracking URI. Unset: the 'mlflow' database on the same PostgreSQL.",
    )
    artifact_location: Path | None = Field(
        default=None,
        description="Artifact root for new experiments. Unset: <state>/mlflow-artifacts.",
    )
    experiment: str = Field(default="credit-risk", description="Experiment name for training runs.")
    registered_model: str = Field(default=DEFAULT_MODEL, description="Registered model name.")


class PathSettings(BaseModel):
    state_dir: Path = Field(
        default=Path(".credit-risk"), description="Git-ignored folder for servers, logs, caches."
    )
    reports_dir: Path = Field(
        default=Path("reports"), description="Data Docs, drift reports and summaries."
    )
    data_dir: Path = Field(default=Path("data"), description="Input and exported data files.")


class DataSettings(BaseModel):
    applications: int = Field(default=20_000, gt=0, description="Default generated applications.")
    seed: int = Field(default=42, ge=0, description="Default generator seed.")
    bad_rate: float = Field(default=0.15, gt=0, lt=1, description="Target portfolio bad rate.")


class ServingSettings(BaseModel):
    host: str = Field(default="127.0.0.1", description="Address the scoring service binds.")
    port: int = Field(default=3000, ge=1, le=65535, description="Port the scoring service binds.")
    api_key: SecretStr | None = Field(
        default=None,
        description="Bearer token every route but health, readiness and the docs needs; at "
        "least 16 characters. Unset: the service answers loopback clients only.",
    )
    reload_seconds: float = Field(
        default=30,
        ge=0,
        description="How often a running service checks the champion alias; 0 turns it off.",
    )
    workers: int = Field(
        default=1, ge=1, description="Service worker processes; each loads its own champion."
    )
    access_log: bool = Field(default=True, description="BentoML's per-request access log line.")
    max_in_flight: int = Field(
        default=256,
        ge=1,
        description="API requests one worker holds at once; more get 503 with Retry-After.",
    )

    @field_validator("api_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_API_KEY_LENGTH:
            raise ValueError(
                f"must be at least {MIN_API_KEY_LENGTH} characters (e.g. `openssl rand -hex 24`)"
            )
        return value


class TrainingSettings(BaseModel):
    cost_false_negative: float = Field(
        default=100_000, gt=0, description="Cost of a missed defaulter."
    )
    cost_false_positive: float = Field(
        default=10_000, gt=0, description="Cost of a rejected good customer."
    )
    test_months: int = Field(default=3, ge=1, description="Latest mature months held out as test.")
    validation_months: int = Field(
        default=3, ge=1, description="Months before test for validation."
    )
    search_trials: int = Field(default=8, ge=1, description="Hyperparameter trials per candidate.")
    search_timeout_seconds: float = Field(
        default=60, gt=0, description="Search time budget per candidate."
    )
    search_sample_rows: int = Field(
        default=50_000,
        ge=1000,
        description="Rows the search cross-validates on; the final fit uses every row.",
    )
    promotion_auc_margin: float = Field(
        default=0.0,
        ge=0,
        description=(
            "The lower confidence bound of the AUC gain over the champion (or, for the first "
            "model, the scorecard benchmark) must be above this."
        ),
    )
    promotion_confidence: float = Field(
        default=0.95,
        ge=0.5,
        lt=1,
        description="One-sided confidence of that bound (DeLong's test on the same test rows).",
    )
    stress_applications: int = Field(
        default=5000,
        ge=0,
        description=(
            "Applications in the recession book the pipeline builds for the stress test in "
            "every model card; 0 leaves the stress test out."
        ),
    )
    fairness_min_ratio: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description=(
            "Lowest approval-rate ratio of any protected group to the most approved one that a "
            "champion may have: 0.8 is the four-fifths rule."
        ),
    )
    ece_limit: float = Field(
        default=0.05, gt=0, le=1, description="Largest test ECE any champion may have."
    )
    calibration_tolerance: float = Field(
        default=0.01, ge=0, description="ECE a challenger may lose against the champion."
    )
    fairness_tolerance: float = Field(
        default=0.05, ge=0, description="Disparate-impact ratio a challenger may lose."
    )


SCHEDULE_OFF = ("", "off")


class GovernanceSettings(BaseModel):
    approval: Literal["automatic", "required"] = Field(
        default="automatic",
        description=(
            "automatic: a challenger that passes every gate becomes champion. required: it "
            "waits as awaiting-approval until `credit-risk model approve` (or `reject`)."
        ),
    )


class OrchestrationSettings(BaseModel):
    score_batch_cron: str = Field(
        default="0 6 * * *", description="Daily batch score; '' or 'off' turns it off."
    )
    drift_check_cron: str = Field(
        default="30 6 * * *", description="Daily drift check, after the batch score."
    )
    retrain_cron: str = Field(
        default="0 3 1 * *", description="Monthly retrain: the pipeline on the current raw data."
    )
    retrain_on_drift_cron: str = Field(
        default="off", description="retrain_on_drift on a schedule; off by default."
    )
    timezone: str = Field(default="UTC", description="IANA time zone the cron schedules run in.")
    prefect_port: int = Field(default=4200, ge=1, le=65535, description="Local stack: Prefect.")
    mlflow_port: int = Field(default=5000, ge=1, le=65535, description="Local stack: MLflow.")
    evidently_port: int = Field(
        default=8000, ge=1, le=65535, description="Local stack: Evidently UI (drift history)."
    )
    champion_poll_seconds: float = Field(
        default=10, gt=0, description="Local stack: how often to look for a champion to serve."
    )

    @field_validator(
        "score_batch_cron", "drift_check_cron", "retrain_cron", "retrain_on_drift_cron"
    )
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from datetime import datetime

        from cronsim import CronSim, CronSimError

        value = value.strip()
        if value.lower() in SCHEDULE_OFF:
            return "off"
        try:
            CronSim(value, datetime(2026, 1, 1))
        except CronSimError as exc:
            raise ValueError(
                f"{value!r} is not a cron expression ({exc}); use 'off' to turn it off"
            ) from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone such as 'Europe/Berlin'") from exc
        return value


class RunnerSettings(BaseModel):
    task_runner: Literal["local", "dask"] = Field(
        default="local",
        description="Where candidates train: 'local' one after another, 'dask' in parallel.",
    )
    dask_address: str | None = Field(
        default=None,
        description="Scheduler of an existing Dask cluster. Unset: a local cluster for the flow.",
    )
    dask_workers: int = Field(
        default=2, ge=1, description="Worker processes of the local Dask cluster (1 thread each)."
    )
    retry_delays: list[NonNegativeFloat] = Field(
        default=[2, 5, 15],
        min_length=1,
        max_length=50,
        description="Seconds before each retry of a task that lost its database or MLflow.",
    )


class MonitoringSettings(BaseModel):
    window: str = Field(
        default="7d", description="scoring_log window a run checks when none is given (24h, 7d)."
    )
    sample_rows: int = Field(
        default=10_000,
        ge=1000,
        description="Rows sampled from the reference and from the current window for drift.",
    )
    numeric_stattest: str = Field(
        default="decile_psi",
        description="Evidently drift test for numeric features: decile_psi (PSI on the "
        "reference's deciles), or any Evidently test (psi, wasserstein, ks, ...).",
    )
    categorical_stattest: str = Field(
        default="decile_psi", description="Evidently drift test for categorical and flag features."
    )
    per_feature_stattest: dict[str, str] = Field(
        default_factory=dict, description="Drift test per feature, overriding the two above."
    )
    feature_drift_threshold: float = Field(
        default=0.25, gt=0, description="A feature drifted when its PSI (or test) reaches this."
    )
    drifted_share_max: float = Field(
        default=0.3, gt=0, le=1, description="Alert when this share of features drifted."
    )
    score_psi_max: float = Field(
        default=0.25, gt=0, description="Alert when the score PSI reaches this (0.10 is watch)."
    )
    mean_shift_max: float = Field(
        default=0.10, gt=0, description="Alert when a key factor's mean moves by this share."
    )
    missing_share_increase_max: float = Field(
        default=0.05, ge=0, description="Alert when a feature's missing share rises by this."
    )
    new_category_share_max: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="Alert when more rows than this hold unseen categories.",
    )
    auc_drop_max: float = Field(
        default=0.05, ge=0, description="Alert when AUC on mature labels falls this far below test."
    )
    ks_drop_max: float = Field(
        default=0.08, ge=0, description="Alert when KS on mature labels falls this far below test."
    )
    min_labelled_rows: int = Field(
        default=200, ge=20, description="Mature labels needed before quality is measured."
    )
    npa_ratio_max: float = Field(
        default=0.05, gt=0, lt=1, description="Alert when NPA outstanding / outstanding exceeds."
    )
    default_rate_max: float = Field(
        default=0.10, gt=0, lt=1, description="Alert when defaulted loans / loans exceeds."
    )
    early_warning_share_max: float = Field(
        default=0.03,
        ge=0,
        lt=1,
        description="Alert when this share of live loans missed 3 instalments in a row.",
    )
    fail_on_alert: bool = Field(
        default=True, description="An alert fails the flow run; false ends it as a warning."
    )
    webhook_url: str | None = Field(
        default=None, description="POST each run's alerts as JSON here when set."
    )
    webhook_timeout_seconds: float = Field(
        default=5, gt=0, description="How long the webhook may take to answer."
    )
    retrain_on_drift: bool = Field(
        default=False, description="Run training when drift alerts fire; the gate still decides."
    )


class ConsoleSettings(BaseModel):
    port: int = Field(default=8501, ge=1, le=65535, description="Port the console binds.")
    service_url: str | None = Field(
        default=None,
        description="Scoring service the console calls; default: serving.host and serving.port "
        "on this machine.",
    )
    mlflow_url: str | None = Field(
        default=None,
        description="MLflow UI the console links to; default: the local stack's "
        "(orchestration.mlflow_port).",
    )
    evidently_url: str | None = Field(
        default=None,
        description="Evidently UI (drift history) the console links to; default: the local "
        "stack's (orchestration.evidently_port).",
    )


class Settings(BaseSettings):
    """All configuration; build it once in an entry point with Settings()."""

    model_config = SettingsConfigDict(
        env_prefix="CREDIT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database: DatabaseSettings = DatabaseSettings()
    mlflow: MlflowSettings = MlflowSettings()
    paths: PathSettings = PathSettings()
    data: DataSettings = DataSettings()
    serving: ServingSettings = ServingSettings()
    training: TrainingSettings = TrainingSettings()
    governance: GovernanceSettings = GovernanceSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    runner: RunnerSettings = RunnerSettings()
    orchestration: OrchestrationSettings = OrchestrationSettings()
    console: ConsoleSettings = ConsoleSettings()

    @property
    def state_dir(self) -> Path:
        return self.paths.state_dir.resolve()

    @property
    def decision_spool_dir(self) -> Path:
        """Decisions the database could not take yet (serving.decision_spool)."""
        return self.state_dir / "decision-spool"

    @property
    def pgdata_dir(self) -> Path:
        return self.state_dir / "pgdata"

    @property
    def artifact_dir(self) -> Path:
        return (self.mlflow.artifact_location or self.state_dir / "mlflow-artifacts").resolve()

    @property
    def reports_dir(self) -> Path:
        return self.paths.reports_dir.resolve()
