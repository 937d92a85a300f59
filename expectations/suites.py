"""Which suite validates which table, built on demand (suite modules import Great Expectations)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from credit_risk.raw_contract import TABLES

if TYPE_CHECKING:
    import great_expectations as gx

Group = Literal["raw", "features"]
# Relative tolerance of the features' mean checks against the reference batch.
DEFAULT_MEAN_BAND = 0.25
Selection = Literal["raw", "features", "all"]

# Raw tables with checks beyond the column set and key; the rest get only those.
RAW_MODULES = {
    "applications": "expectations.raw_applications",
    "employment": "expectations.raw_employment",
    "customers": "expectations.raw_customers",
    "loans": "expectations.raw_loans",
    "disbursements": "expectations.raw_disbursements",
    "repayments": "expectations.raw_repayments",
    "npa_tracking": "expectations.raw_npa_tracking",
    "credit_bureau_reports": "expectations.raw_credit_bureau_reports",
}


@dataclass(frozen=True)
class SuiteTarget:
    """A suite and the table it validates."""

    schema: str
    table: str
    group: Group

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


def targets(selection: Selection) -> list[SuiteTarget]:
    if selection not in ("raw", "features", "all"):
        raise ValueError(f"tables must be raw, features or all, got {selection!r}")
    chosen = []
    if selection in ("raw", "all"):
        chosen += [SuiteTarget("raw", table, "raw") for table in TABLES]
    if selection in ("features", "all"):
        chosen.append(SuiteTarget("marts", "application_features", "features"))
    return chosen


def build_suite_for(
    target: SuiteTarget, reference: Mapping[str, float] | None, band: float
) -> gx.ExpectationSuite:
    if target.group == "features":
        from expectations.application_features import build_suite as build_features_suite

        return build_features_suite(reference, band=band)
    if target.table in RAW_MODULES:
        module = importlib.import_module(RAW_MODULES[target.table])
        suite: gx.ExpectationSuite = module.build_suite()
        return suite
    from expectations.common import raw_table_suite

    return raw_table_suite(target.table)
