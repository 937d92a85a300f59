"""Models: the champion and challenger with their metrics and gates, the promotion log, MLflow."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console.context import page_context
from console.registry_view import VersionView, model_versions, promotion_history


@st.cache_data(ttl=30, show_spinner="Reading the registry")
def _versions(model_name: str) -> list[VersionView]:
    return model_versions(model_name)


@st.cache_data(ttl=30, show_spinner=False)
def _log(dsn: str, model_name: str) -> pd.DataFrame:
    return promotion_history(dsn, model_name)


context = page_context()
st.title("Models")
st.caption(
    f"Registered model **{context.model_name}** · [open in MLflow]({context.mlflow_url}/#/models/{context.model_name})"
)
versions = _versions(context.model_name)
if not versions:
    st.info("No champion yet: train one with 'credit-risk run pipeline' (or 'make demo').")
for view in versions:
    st.subheader(
        f"{view.alias.capitalize()}: version {view.version} ({view.candidate or 'unknown candidate'})"
    )
    if view.description:
        st.markdown(view.description)
    metrics = st.columns(max(len(view.metrics), 1))
    for column, (name, value) in zip(metrics, view.metrics.items(), strict=False):
        column.metric(name.replace("test_", "test ").replace("_", " "), f"{value:.4f}")
    if view.gates:
        st.dataframe(
            pd.DataFrame([{"gate": k, "result": v} for k, v in sorted(view.gates.items())]),
            hide_index=True,
            use_container_width=True,
        )
    st.markdown(
        f"[Version {view.version} in MLflow]({context.mlflow_url}/#/models/{context.model_name}/versions/{view.version})"
        f" · [its training run]({context.mlflow_url}/#/experiments/{view.experiment_id}/runs/{view.run_id})"
    )

st.subheader("Promotion log")
log = _log(context.dsn, context.model_name)
if log.empty:
    st.caption("No promotion decision recorded yet.")
else:
    st.dataframe(log, hide_index=True, use_container_width=True)
