"""The console's charts (Altair): the score gauge, and rates drawn against their limits."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from credit_risk.artifact.scaling import RISK_BANDS, risk_band

__all__ = ["band_strip", "rate_bars", "rate_line", "score_gauge"]

BAND_COLOURS = {
    "very_low": "#1e8449",
    "low": "#7dcea0",
    "medium": "#f1c40f",
    "high": "#e67e22",
    "very_high": "#c0392b",
}


def band_strip() -> pd.DataFrame:
    """The risk bands on the 300-850 scale: start, end, band, colour."""
    rows, end = [], 850
    for band, lowest in RISK_BANDS:  # safest first
        start = max(lowest, 300)
        rows.append({"start": start, "end": end, "band": band, "colour": BAND_COLOURS[band]})
        end = start
    return pd.DataFrame(rows)


def score_gauge(score: int, title: str = "Credit score") -> Any:
    """A 300-850 band with the applicant's score marked and labelled with its risk band."""
    bands = band_strip()
    scale = alt.Scale(domain=[300, 850])
    strip = (
        alt.Chart(bands)
        .mark_bar(height=28)
        .encode(
            x=alt.X("start:Q", scale=scale, title=None),
            x2="end:Q",
            color=alt.Color("colour:N", scale=None, legend=None),
        )
    )
    point = pd.DataFrame(
        {"score": [score], "text": [f"{score} · {risk_band(score).replace('_', ' ')}"]}
    )
    marker = (
        alt.Chart(point)
        .mark_tick(thickness=4, size=44, color="black")
        .encode(x=alt.X("score:Q", scale=scale))
    )
    label = (
        alt.Chart(point)
        .mark_text(dy=-26, fontSize=15, fontWeight="bold")
        .encode(x=alt.X("score:Q", scale=scale), text="text:N")
    )
    return (strip + marker + label).properties(height=70, title=title)


def _limit(limit: float, text: str) -> Any:
    line = pd.DataFrame({"limit": [limit], "text": [text]})
    rule = alt.Chart(line).mark_rule(color="#c0392b", strokeDash=[6, 4], size=2).encode(y="limit:Q")
    words = (
        alt.Chart(line)
        .mark_text(align="left", dx=4, dy=-6, color="#c0392b")
        .encode(y="limit:Q", text="text:N", x=alt.value(0))
    )
    return rule + words


def rate_bars(frame: pd.DataFrame, category: str, rate: str, limit: float, limit_text: str) -> Any:
    """A rate per category as bars, with the limit as a dashed red line."""
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{category}:N", sort="-y", title=category.replace("_", " ")),
            y=alt.Y(f"{rate}:Q", axis=alt.Axis(format="%"), title=rate.replace("_", " ")),
            tooltip=[category, alt.Tooltip(f"{rate}:Q", format=".1%")],
        )
    )
    return (bars + _limit(limit, limit_text)).properties(height=260)


def rate_line(frame: pd.DataFrame, when: str, rate: str, limit: float, limit_text: str) -> Any:
    """A rate over time, with the limit as a dashed red line."""
    line = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{when}:T", title=when.replace("_", " ")),
            y=alt.Y(f"{rate}:Q", axis=alt.Axis(format="%"), title=rate.replace("_", " ")),
            tooltip=[alt.Tooltip(f"{when}:T"), alt.Tooltip(f"{rate}:Q", format=".1%")],
        )
    )
    return (line + _limit(limit, limit_text)).properties(height=260)
