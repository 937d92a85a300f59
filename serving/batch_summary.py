"""What one model version's batch scores look like: counts, approval rate and PD by risk band."""

from __future__ import annotations

from dataclasses import dataclass

from credit_risk.database import connect

BAND_ORDER = ("very_low", "low", "medium", "high", "very_high")

SUMMARY_QUERY = """
with

scores as (

    select * from serving.scores
    where model_version = %(version)s

),

final as (

    select
        risk_band,
        count(*) as applications,
        count(*) filter (where decision = 'approve') as approved,
        avg(probability) as mean_probability,
        min(credit_score) as min_score,
        max(credit_score) as max_score
    from scores
    group by risk_band

)

select * from final
"""


@dataclass(frozen=True)
class BandSummary:
    risk_band: str
    applications: int
    approved: int
    mean_probability: float
    min_score: int
    max_score: int

    @property
    def approval_rate(self) -> float:
        return self.approved / self.applications if self.applications else 0.0


def summarise_scores(dsn: str, model_version: int) -> list[BandSummary]:
    """One row per risk band present in serving.scores for this version, safest band first."""
    with connect(dsn) as conn:
        rows = conn.execute(SUMMARY_QUERY, {"version": model_version}).fetchall()
    bands = [
        BandSummary(r[0], int(r[1]), int(r[2]), float(r[3]), int(r[4]), int(r[5])) for r in rows
    ]
    rank = {band: i for i, band in enumerate(BAND_ORDER)}
    return sorted(bands, key=lambda b: rank.get(b.risk_band, len(rank)))
