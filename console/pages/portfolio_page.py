"""Portfolio: the book's health from the dbt marts, against the NPA and default-rate limits."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from console.book_queries import BookUnavailableError, book_frames
from console.charts import rate_bars, rate_line
from console.context import page_context


@st.cache_data(ttl=60, show_spinner="Reading the marts")
def _frames(dsn: str) -> dict[str, pd.DataFrame]:
    return book_frames(dsn)


def _against_limit(column: Any, label: str, value: float, limit: float, help: str) -> None:
    """A rate, and whether it is above its limit (red) or within it."""
    above = value > limit
    column.metric(
        label,
        f"{value:.2%}",
        delta=f"{'above' if above else 'within'} the {limit:.0%} limit",
        delta_color="inverse" if above else "off",
        help=help,
    )


context = page_context()
st.title("Portfolio")
try:
    frames = _frames(context.dsn)
except BookUnavailableError as exc:
    st.warning(str(exc))
    st.stop()

summary = frames["summary"].iloc[0]
npa_limit, default_limit = context.npa_ratio_limit, context.default_rate_limit
st.caption(f"The book on its extract date, {summary['snapshot_on']}, from the dbt marts.")
row = st.columns(4)
row[0].metric("Loans", f"{int(summary['loans']):,}")
row[1].metric("Disbursed", f"{float(summary['disbursed_amount']):,.0f}")
row[2].metric("Outstanding principal", f"{float(summary['outstanding_principal']):,.0f}")
row[3].metric("Approval rate", f"{float(summary['approval_rate']):.1%}")
health = st.columns(3)
npa, default = float(summary["npa_ratio"]), float(summary["default_rate"])
_against_limit(
    health[0],
    "NPA ratio",
    npa,
    npa_limit,
    "NPA principal / outstanding principal (RBI: over 90 days past due)",
)
_against_limit(
    health[1], "Default rate", default, default_limit, "Defaulted or written-off loans / all loans"
)
health[2].metric("On-time EMI share", f"{float(summary['on_time_emi_share']):.1%}")

left, right = st.columns(2)
with left:
    st.subheader("Live book by asset class")
    classes = frames["npa_classes"]
    st.altair_chart(
        rate_bars(
            classes, "asset_class", "outstanding_share", npa_limit, f"NPA limit {npa_limit:.0%}"
        ),
        use_container_width=True,
    )
with right:
    st.subheader("Default rate by origination month")
    cohorts = frames["cohorts"]
    st.altair_chart(
        rate_line(
            cohorts,
            "origination_month",
            "default_rate",
            default_limit,
            f"limit {default_limit:.0%}",
        ),
        use_container_width=True,
    )

st.subheader("Concentration")
concentration = frames["concentration"]
left, right = st.columns(2)
for column, dimension, title in (
    (left, "loan_purpose", "By purpose"),
    (right, "region", "By region"),
):
    part = concentration[concentration["dimension"] == dimension].rename(
        columns={"segment": dimension}
    )
    with column:
        st.markdown(
            f"**{title}**: share of the live book, and default rate against the {default_limit:.0%} limit"
        )
        st.altair_chart(
            rate_bars(part, dimension, "default_rate", default_limit, f"limit {default_limit:.0%}"),
            use_container_width=True,
        )
        st.dataframe(
            part[
                [dimension, "loans", "outstanding_principal", "outstanding_share", "default_rate"]
            ],
            hide_index=True,
            column_config={
                "outstanding_share": st.column_config.NumberColumn(format="percent"),
                "default_rate": st.column_config.NumberColumn(format="percent"),
                "outstanding_principal": st.column_config.NumberColumn(format="localized"),
            },
        )

late = frames["late_loans"]
st.subheader(f"Loans late on their last three instalments ({len(late):,})")
st.caption("Contact these borrowers before they reach 90 days past due.")
st.dataframe(late, hide_index=True)
