"""What every page needs: where the service, the database, MLflow and Evidently are."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from credit_risk.settings import Settings

__all__ = ["ConsoleContext", "context_from", "page_context"]


@dataclass(frozen=True)
class ConsoleContext:
    dsn: str
    service_url: str
    api_key: str | None
    model_name: str
    mlflow_url: str
    evidently_url: str
    npa_ratio_limit: float
    default_rate_limit: float


def context_from(settings: Settings, dsn: str) -> ConsoleContext:
    """The console's addresses from the settings (CREDIT_CONSOLE__* override the defaults)."""
    from credit_risk.addresses import is_loopback

    host = settings.serving.host
    reachable = host if is_loopback(host) or host not in ("0.0.0.0", "::") else "127.0.0.1"
    key = settings.serving.api_key
    return ConsoleContext(
        dsn=dsn,
        service_url=(
            settings.console.service_url or f"http://{reachable}:{settings.serving.port}"
        ).rstrip("/"),
        api_key=key.get_secret_value() if key else None,
        model_name=settings.mlflow.registered_model,
        mlflow_url=(
            settings.console.mlflow_url or f"http://127.0.0.1:{settings.orchestration.mlflow_port}"
        ).rstrip("/"),
        evidently_url=(
            settings.console.evidently_url
            or f"http://127.0.0.1:{settings.orchestration.evidently_port}"
        ).rstrip("/"),
        npa_ratio_limit=settings.monitoring.npa_ratio_max,
        default_rate_limit=settings.monitoring.default_rate_max,
    )


@st.cache_resource(show_spinner=False)
def page_context() -> ConsoleContext:
    """The context for a page, made once per console process (the database is resolved, and
    the embedded one started when nothing is configured, as every entry point does)."""
    from credit_risk.environment import prepare_runtime

    settings = Settings()
    return context_from(settings, prepare_runtime(settings).dsn)
