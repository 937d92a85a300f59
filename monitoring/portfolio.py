"""Portfolio health from the dbt portfolio marts: NPA ratio, default rate, early warnings."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from monitoring.frames import read_frame, relation_exists

__all__ = ["PortfolioHealth", "portfolio_health"]

log = logging.getLogger(__name__)

EARLY_WARNING_LIST = 20


@dataclass(frozen=True)
class PortfolioHealth:
    """The book on its extract date, as the marts in `schema` describe it."""

    schema: str
    available: bool
    reason: str = ""
    snapshot_on: str | None = None
    loans: int = 0
    live_loans: int = 0
    npa_ratio: float | None = None
    default_rate: float | None = None
    early_warning_loans: int = 0
    asset_classes: list[dict[str, Any]] = field(default_factory=list)
    early_warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def early_warning_share(self) -> float:
        return self.early_warning_loans / self.live_loans if self.live_loans else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"early_warning_share": self.early_warning_share}


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def portfolio_health(dsn: str, schema: str = "marts") -> PortfolioHealth:
    """Read portfolio_summary, npa_class_shares and loans_with_consecutive_late_payments."""
    if not relation_exists(dsn, f"{schema}.portfolio_summary"):
        return PortfolioHealth(
            schema, False, f"{schema}.portfolio_summary does not exist; build the features first"
        )
    summary = read_frame(dsn, f"select * from {schema}.portfolio_summary")
    if summary.empty:
        return PortfolioHealth(schema, False, f"{schema}.portfolio_summary is empty")
    row = summary.iloc[0]
    classes = read_frame(
        dsn,
        f"select asset_class, is_npa, loans, outstanding_principal, loan_share, "
        f"outstanding_share from {schema}.npa_class_shares order by asset_class",
    )
    warnings = read_frame(
        dsn,
        f"select loan_id, customer_id, loan_status, last_due_on, unpaid_installments, "
        f"days_past_due, outstanding_principal from {schema}.loans_with_consecutive_late_payments "
        "order by days_past_due desc, outstanding_principal desc",
    )
    live = int(classes["loans"].sum()) if not classes.empty else 0
    health = PortfolioHealth(
        schema=schema,
        available=True,
        snapshot_on=None if row["snapshot_on"] is None else str(row["snapshot_on"]),
        loans=int(row["loans"]),
        live_loans=live,
        npa_ratio=_number(row["npa_ratio"]),
        default_rate=_number(row["default_rate"]),
        early_warning_loans=len(warnings),
        asset_classes=_records(classes),
        early_warnings=_records(warnings.head(EARLY_WARNING_LIST)),
    )
    log.info(
        "portfolio %s on %s: %d loans, NPA ratio %.3f, default rate %.3f, %d early warnings",
        schema,
        health.snapshot_on,
        health.loans,
        health.npa_ratio or 0.0,
        health.default_rate or 0.0,
        health.early_warning_loans,
    )
    return health


def _plain(value: Any) -> Any:
    """JSON-ready: Decimal and numpy numbers as float or int, dates as ISO strings."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):
        return _plain(value.item())
    return float(value)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): _plain(v) for k, v in row.items()} for row in rows]
