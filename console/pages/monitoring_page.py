"""Monitoring: the latest alerts with what to do, and the history of every run."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from console.context import page_context
from console.monitoring_history import latest_alerts, run_history

PSI_WATCH, PSI_ACT = 0.10, 0.25


@st.cache_data(ttl=30, show_spinner="Reading the monitoring runs")
def _history(dsn: str, model_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return run_history(dsn, model_name), latest_alerts(dsn, model_name)


context = page_context()
st.title("Monitoring")
st.caption(
    f"Drift, quality and portfolio checks of **{context.model_name}** · drift history in the "
    f"[Evidently UI]({context.evidently_url})"
)
history, alerts = _history(context.dsn, context.model_name)
if history.empty:
    st.info("No monitoring run yet: run 'credit-risk monitor' (the local stack runs it daily).")
    st.stop()

latest = history.iloc[0]
if latest["status"] == "alert":
    st.error(
        f"Latest run ({latest['started_at']:%Y-%m-%d %H:%M} UTC, {latest['current_description']}): {int(latest['alert_count'])} alerts"
    )
else:
    st.success(
        f"Latest run ({latest['started_at']:%Y-%m-%d %H:%M} UTC, {latest['current_description']}): no threshold breached"
    )
for alert in alerts.itertuples():
    st.warning(f"**{alert.kind.replace('_', ' ')}** ({alert.subject}): {alert.message}")
if latest["report_path"]:
    st.markdown(f"Alerts page of this run: `{latest['report_path']}`")

st.subheader("Score PSI over time")
psi = history[["started_at", "score_psi"]].copy()
bands = pd.DataFrame({"limit": [PSI_WATCH, PSI_ACT], "text": ["watch 0.10", "act 0.25"]})
line = (
    alt.Chart(psi)
    .mark_line(point=True)
    .encode(x=alt.X("started_at:T", title="run"), y=alt.Y("score_psi:Q", title="score PSI"))
)
rules = alt.Chart(bands).mark_rule(strokeDash=[6, 4], color="#c0392b").encode(y="limit:Q")
st.altair_chart((line + rules).properties(height=240), use_container_width=True)

st.subheader("Runs")
st.dataframe(
    history.drop(columns=["id"]),
    hide_index=True,
    use_container_width=True,
    column_config={
        "drifted_share": st.column_config.NumberColumn(format="percent"),
        "npa_ratio": st.column_config.NumberColumn(format="percent"),
        "default_rate": st.column_config.NumberColumn(format="percent"),
    },
)
