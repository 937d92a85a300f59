"""Export the resolved settings as the environment that dbt, MLflow and Prefect read."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from credit_risk.database import parse_dsn, resolve_dsn, resolve_mlflow_uri

if TYPE_CHECKING:
    from credit_risk.settings import Settings


PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout: dbt_project/, the packages


@dataclass(frozen=True)
class Runtime:
    """Where everything lives once the settings are resolved and the database is up."""

    settings: Settings
    dsn: str
    mlflow_uri: str

    @property
    def dbt_project_dir(self) -> str:
        return str(PROJECT_ROOT / "dbt_project")


def database_environment(dsn: str) -> dict[str, str]:
    """The variables dbt's profiles.yml reads (no credentials are written to files)."""
    parts = parse_dsn(dsn)
    return {
        "CREDIT_PG_HOST": parts.host,
        "CREDIT_PG_PORT": str(parts.port),
        "CREDIT_PG_USER": parts.user,
        "CREDIT_PG_PASSWORD": parts.password,
        "CREDIT_PG_DATABASE": parts.dbname,
    }


def export_base_environment(settings: Settings) -> None:
    """Variables that must be set before Prefect or MLflow are imported; needs no database."""
    state = settings.state_dir
    defaults = {
        "PREFECT_HOME": str(state / "prefect"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_TELEMETRY_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "GX_ANALYTICS_ENABLED": "false",
        "BENTOML_DO_NOT_TRACK": "true",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    # Prefect opens its database under PREFECT_HOME as soon as it starts; the folder must exist.
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


def prepare_runtime(settings: Settings) -> Runtime:
    """Start or reach the database, then export the environment every component reads."""
    dsn = resolve_dsn(settings)
    mlflow_uri = resolve_mlflow_uri(settings, dsn)
    state = settings.state_dir
    state.mkdir(parents=True, exist_ok=True)
    env = database_environment(dsn)
    env.update(
        {
            "MLFLOW_TRACKING_URI": mlflow_uri,
            "MLFLOW_REGISTRY_URI": mlflow_uri,
            "DBT_PROFILES_DIR": str(PROJECT_ROOT / "dbt_project"),
            "DBT_LOG_PATH": str(state / "dbt-logs"),
            "DBT_TARGET_PATH": str(state / "dbt-target"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    export_base_environment(settings)
    os.environ.update(env)
    return Runtime(settings=settings, dsn=dsn, mlflow_uri=mlflow_uri)
