"""Assemble the raw tables from the drawn population, applications and loan book."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from credit_risk.contract import EMPLOYMENT_TYPES, GENDERS, LOAN_PURPOSES
from credit_risk.synthetic import applications as apps_module
from credit_risk.synthetic import population
from credit_risk.synthetic.applications import Applications, draw_applications
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.population import Customers, draw_customers
from credit_risk.synthetic.repayments import LoanBook, loan_outcomes, repayment_chunks

GENERATOR_VERSION = "2"  # 2: last delinquency never before the oldest account


@dataclass
class RawData:
    """All raw tables but repayments, which stream in chunks from `repayments()`."""

    config: GeneratorConfig
    tables: dict[str, pa.Table]
    book: LoanBook

    def repayments(self) -> Iterator[pa.Table]:
        return repayment_chunks(self.book, np.datetime64(self.config.snapshot_on), self.config.seed)


def _labels(names: tuple[str, ...], codes: npt.NDArray[np.int64]) -> pa.Array:
    return pa.array(np.array(names, dtype=object)[codes])


def _dates(start: np.datetime64, days: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    return start + days.astype("timedelta64[D]")


def generate(config: GeneratorConfig) -> RawData:
    """Generate every raw table for the config; the same config gives identical tables."""
    intercept = None
    if config.scenario != "baseline":
        # Anchor the default rate on the same people in a baseline economy.
        base_config = replace(config, scenario="baseline")
        base_rng = np.random.default_rng(config.seed)
        base = draw_applications(base_config, base_rng, draw_customers(base_config, base_rng))
        intercept = base.intercept
    rng = np.random.default_rng(config.seed)
    customers = draw_customers(config, rng)
    applications = draw_applications(config, rng, customers, intercept=intercept)
    start = np.datetime64(config.start_on, "D")
    snapshot = np.datetime64(config.snapshot_on, "D")

    tables = {
        "customers": _customers_table(customers, start),
        "employment": _employment_table(customers, start),
        "credit_bureau_reports": _bureau_table(applications, customers, start),
        "applications": _applications_table(applications, start, snapshot),
        "collateral": _collateral_table(applications, start),
        "guarantors": _guarantors_table(applications, start),
    }
    book, loans, disbursements, npa = _loan_tables(applications, start, snapshot)
    tables["loans"] = loans
    tables["disbursements"] = disbursements
    tables["npa_tracking"] = npa
    return RawData(config=config, tables=tables, book=book)


def _customers_table(c: Customers, start: np.datetime64) -> pa.Table:
    n = c.count
    birth = start - np.round(c.age_at_start * 365.25).astype("timedelta64[D]")
    created = (start - c.created_days_before_start.astype("timedelta64[D]")).astype("datetime64[s]")
    return pa.table(
        {
            "customer_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "gender": _labels(GENDERS, c.gender),
            "date_of_birth": pa.array(birth),
            "marital_status": _labels(population.MARITAL_STATUSES, c.marital),
            "dependents": pa.array(
                np.nan_to_num(c.dependents).astype(np.int32), mask=np.isnan(c.dependents)
            ),
            "education": _labels(population.EDUCATION_LEVELS, c.education),
            "region": _labels(population.REGIONS, c.region),
            "city_tier": pa.array(c.city_tier.astype(np.int32)),
            "residence_type": _labels(population.RESIDENCE_TYPES, c.residence),
            "created_at": pa.array(created),
        }
    )


def _employment_table(c: Customers, start: np.datetime64) -> pa.Table:
    n = c.count
    ids = np.arange(1, n + 1, dtype=np.int64)
    return pa.table(
        {
            "employment_id": pa.array(ids),
            "customer_id": pa.array(ids),
            "employment_type": _labels(EMPLOYMENT_TYPES, c.employment_type),
            "industry": _labels(population.INDUSTRIES, c.industry),
            "years_employed": pa.array(c.years_employed_at_start, from_pandas=True),
            "monthly_income": pa.array(c.monthly_income),
            "is_income_verified": pa.array(c.is_income_verified),
            # Tenure and income are as recorded at the start of the window.
            "recorded_on": pa.array(np.full(n, start)),
        }
    )


def _bureau_table(a: Applications, c: Customers, start: np.datetime64) -> pa.Table:
    has = a.has_bureau_file
    b = a.bureau
    applied = _dates(start, a.applied_day)
    income = c.monthly_income[a.customer_index]
    limit = np.round(income * b.limit_multiple, 2)
    delinquent = b.delinquencies > 0
    last_delinquency = applied - np.round(b.months_since_delinquency * 30.44).astype(
        "timedelta64[D]"
    )
    oldest = applied - np.round(b.history_months * 30.44).astype("timedelta64[D]")
    n = int(has.sum())
    return pa.table(
        {
            "report_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "customer_id": pa.array(a.customer_index[has] + 1),
            "pulled_on": pa.array((applied - b.pulled_days_before.astype("timedelta64[D]"))[has]),
            "bureau_score": pa.array(b.score[has].astype(np.int32)),
            "prior_accounts": pa.array(b.prior_accounts[has].astype(np.int32)),
            "open_accounts": pa.array(b.open_accounts[has].astype(np.int32)),
            "total_credit_limit": pa.array(limit[has]),
            "total_balance": pa.array(np.round(limit * b.utilization, 2)[has]),
            "delinquencies": pa.array(b.delinquencies[has].astype(np.int32)),
            "max_dpd": pa.array(b.max_dpd[has].astype(np.int32)),
            "last_delinquency_on": pa.array(last_delinquency[has], mask=~delinquent[has]),
            "enquiries_last_6m": pa.array(b.enquiries_6m[has].astype(np.int32)),
            "oldest_account_on": pa.array(oldest[has]),
        }
    )


def _applications_table(a: Applications, start: np.datetime64, snapshot: np.datetime64) -> pa.Table:
    n = len(a.applied_day)
    applied = _dates(start, a.applied_day)
    decided = applied + a.decided_after_days.astype("timedelta64[D]")
    # A decision after the extract's snapshot is not known to the extract: still pending.
    pending = (a.status == 2) | (decided > snapshot)
    status = np.where(pending, 2, a.status)
    return pa.table(
        {
            "application_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "customer_id": pa.array(a.customer_index + 1),
            "applied_on": pa.array(applied),
            "loan_amount": pa.array(a.loan_amount),
            "tenure_months": pa.array(a.tenure.astype(np.int32)),
            "interest_rate": pa.array(a.interest_rate),
            "loan_purpose": _labels(LOAN_PURPOSES, a.purpose),
            "existing_monthly_debt": pa.array(a.existing_debt),
            "monthly_rent": pa.array(a.rent),
            "channel": _labels(apps_module.CHANNELS, a.channel),
            "status": _labels(apps_module.STATUSES, status),
            "decided_on": pa.array(decided, mask=pending),
        }
    )


def _collateral_table(a: Applications, start: np.datetime64) -> pa.Table:
    has = a.has_collateral
    n = int(has.sum())
    return pa.table(
        {
            "collateral_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "application_id": pa.array(np.flatnonzero(has).astype(np.int64) + 1),
            "collateral_type": _labels(apps_module.COLLATERAL_TYPES, a.collateral_type[has]),
            "market_value": pa.array(a.collateral_value[has]),
            "valued_on": pa.array(_dates(start, a.applied_day[has])),
        }
    )


def _guarantors_table(a: Applications, start: np.datetime64) -> pa.Table:
    has = a.has_guarantor
    n = int(has.sum())
    return pa.table(
        {
            "guarantor_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "application_id": pa.array(np.flatnonzero(has).astype(np.int64) + 1),
            "relationship": _labels(
                apps_module.GUARANTOR_RELATIONSHIPS, a.guarantor_relationship[has]
            ),
            "monthly_income": pa.array(a.guarantor_income[has]),
            "added_on": pa.array(_dates(start, a.applied_day[has])),
        }
    )


def _loan_tables(
    a: Applications, start: np.datetime64, snapshot: np.datetime64
) -> tuple[LoanBook, pa.Table, pa.Table, pa.Table]:
    applied = _dates(start, a.applied_day)
    originated = applied + (a.decided_after_days + a.originated_after_days).astype("timedelta64[D]")
    booked = a.is_approved & (originated <= snapshot)
    index = np.flatnonzero(booked)
    book = LoanBook(
        principal=a.loan_amount[index],
        interest_rate=a.interest_rate[index],
        tenure=a.tenure[index],
        emi=a.emi[index],
        originated_on=originated[index],
        first_missed_installment=a.first_missed_installment[index],
        late_payment_propensity=a.late_payment_propensity[index],
    )
    outcomes = loan_outcomes(book, snapshot)
    loan_ids = np.arange(1, book.count + 1, dtype=np.int64)
    maturity = (book.originated_on.astype("datetime64[M]") + book.tenure).astype("datetime64[D]")
    loans = pa.table(
        {
            "loan_id": pa.array(loan_ids),
            "application_id": pa.array(index.astype(np.int64) + 1),
            "customer_id": pa.array(a.customer_index[index] + 1),
            "principal": pa.array(book.principal),
            "interest_rate": pa.array(book.interest_rate),
            "tenure_months": pa.array(book.tenure.astype(np.int32)),
            "emi": pa.array(book.emi),
            "originated_on": pa.array(book.originated_on),
            "maturity_on": pa.array(maturity),
            "loan_status": pa.array(outcomes.status.astype(object)),
        }
    )
    disbursements = pa.table(
        {
            "disbursement_id": pa.array(loan_ids),
            "loan_id": pa.array(loan_ids),
            "disbursed_on": pa.array(book.originated_on),
            "amount": pa.array(book.principal),
            "method": pa.array(
                np.where(loan_ids % 5 == 0, "cheque", "bank_transfer").astype(object)
            ),
        }
    )
    npa = outcomes.is_npa
    n_npa = int(npa.sum())
    npa_table = pa.table(
        {
            "npa_id": pa.array(np.arange(1, n_npa + 1, dtype=np.int64)),
            "loan_id": pa.array(loan_ids[npa]),
            "npa_on": pa.array(outcomes.npa_on[npa]),
            "days_past_due": pa.array(outcomes.days_past_due[npa].astype(np.int32)),
            "classification": pa.array(outcomes.classification[npa].astype(object)),
            "outstanding_principal": pa.array(outcomes.outstanding_principal[npa]),
            "recorded_on": pa.array(np.full(n_npa, snapshot)),
        }
    )
    return book, loans, disbursements, npa_table


def metadata_table(config: GeneratorConfig) -> pa.Table:
    """One row describing the extract; dbt reads the snapshot date from it for label maturity."""
    return pa.table(
        {
            "snapshot_on": pa.array([config.snapshot_on], type=pa.date32()),
            "window_start_on": pa.array([config.start_on], type=pa.date32()),
            "scenario": pa.array([config.scenario]),
            "seed": pa.array([config.seed], type=pa.int64()),
            "applications": pa.array([config.applications], type=pa.int64()),
            "target_bad_rate": pa.array([config.bad_rate]),
            "generator_version": pa.array([GENERATOR_VERSION]),
        }
    )
