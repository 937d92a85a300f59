"""Invariants of the synthetic lending data, checked in memory (no database)."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.metrics import roc_auc_score

from credit_risk.finance import emi
from credit_risk.synthetic.config import GeneratorConfig
from credit_risk.synthetic.generator import RawData, generate
from credit_risk.synthetic.loader import table_to_csv

N = 6000


@pytest.fixture(scope="module")
def raw() -> RawData:
    return generate(GeneratorConfig(applications=N, seed=11))


@pytest.fixture(scope="module")
def tables(raw: RawData) -> dict[str, pd.DataFrame]:
    frames = {name: t.to_pandas() for name, t in raw.tables.items()}
    frames["repayments"] = pa.concat_tables(list(raw.repayments())).to_pandas()
    return frames


def _labels(tables: dict[str, pd.DataFrame], snapshot: np.datetime64) -> pd.DataFrame:
    """Loans with the label of the issue: 90+ DPD reached within 12 months of disbursement."""
    loans = tables["loans"].copy()
    reps = tables["repayments"].merge(loans[["loan_id", "originated_on"]], on="loan_id")
    due = pd.to_datetime(reps["due_on"])
    paid = pd.to_datetime(reps["paid_on"])
    window_end = pd.to_datetime(reps["originated_on"]) + pd.DateOffset(months=12)
    reached_90 = (paid.isna() | ((paid - due).dt.days >= 90)) & (
        due + pd.Timedelta(days=90) <= window_end
    )
    bad = reached_90.groupby(reps["loan_id"]).any()
    loans["is_default"] = loans["loan_id"].isin(bad[bad].index)
    loans["is_mature"] = pd.to_datetime(loans["originated_on"]) + pd.DateOffset(
        months=12
    ) <= pd.Timestamp(snapshot)
    return loans


def test_foreign_keys_hold(tables: dict[str, pd.DataFrame]) -> None:
    customers = set(tables["customers"]["customer_id"])
    applications = tables["applications"].set_index("application_id")
    loans = tables["loans"]
    assert set(tables["employment"]["customer_id"]) <= customers
    assert set(tables["credit_bureau_reports"]["customer_id"]) <= customers
    assert set(applications["customer_id"]) <= customers
    assert set(tables["collateral"]["application_id"]) <= set(applications.index)
    assert set(tables["guarantors"]["application_id"]) <= set(applications.index)
    assert set(tables["repayments"]["loan_id"]) <= set(loans["loan_id"])
    assert set(tables["npa_tracking"]["loan_id"]) <= set(loans["loan_id"])
    # A loan belongs to an approved application of the same customer.
    matched = applications.loc[loans["application_id"]]
    assert (matched["status"] == "approved").all()
    assert (matched["customer_id"].to_numpy() == loans["customer_id"].to_numpy()).all()
    for name, key in [
        ("customers", "customer_id"),
        ("applications", "application_id"),
        ("loans", "loan_id"),
        ("repayments", "repayment_id"),
    ]:
        assert tables[name][key].is_unique, f"{name}.{key} has duplicates"


def test_every_loan_has_one_disbursement_of_its_principal(tables: dict[str, pd.DataFrame]) -> None:
    merged = tables["loans"].merge(tables["disbursements"], on="loan_id", how="left")
    assert merged["disbursement_id"].notna().all()
    assert len(merged) == len(tables["loans"])
    assert np.allclose(merged["amount"], merged["principal"])
    assert (merged["disbursed_on"] == merged["originated_on"]).all()


def test_repayment_schedules_follow_the_emi_formula(tables: dict[str, pd.DataFrame]) -> None:
    loans = tables["loans"]
    expected = np.round(emi(loans["principal"], loans["interest_rate"], loans["tenure_months"]), 2)
    assert np.allclose(loans["emi"], expected, atol=0.005)
    reps = tables["repayments"].merge(
        loans[["loan_id", "emi", "principal", "tenure_months"]], on="loan_id"
    )
    assert np.allclose(reps["amount_due"], reps["emi"])
    assert np.allclose(reps["principal_due"] + reps["interest_due"], reps["amount_due"], atol=0.011)
    # Over a complete schedule, the principal parts repay the principal (to rounding).
    complete = reps.groupby("loan_id").filter(lambda g: len(g) == g["tenure_months"].iloc[0])
    repaid = complete.groupby("loan_id").agg(
        p=("principal_due", "sum"), principal=("principal", "first")
    )
    assert len(repaid) > 0
    assert np.allclose(repaid["p"], repaid["principal"], rtol=0.002, atol=1.0)
    # Instalments are monthly and numbered from 1 without gaps.
    first = reps.groupby("loan_id")["installment_number"].min()
    assert (first == 1).all()


def test_window_spans_at_least_24_months(tables: dict[str, pd.DataFrame]) -> None:
    applied = pd.to_datetime(tables["applications"]["applied_on"])
    assert (applied.max() - applied.min()).days >= 24 * 30


def test_default_is_driven_by_dti_and_delinquencies(
    raw: RawData, tables: dict[str, pd.DataFrame]
) -> None:
    labelled = _labels(tables, np.datetime64(raw.config.snapshot_on))
    mature = labelled[labelled["is_mature"]].merge(
        tables["applications"], on=["application_id", "customer_id"], suffixes=("", "_app")
    )
    income = tables["employment"].set_index("customer_id")["monthly_income"]
    dti = (mature["existing_monthly_debt"] + mature["emi"]) / mature["customer_id"].map(income)
    assert 0.10 <= mature["is_default"].mean() <= 0.20
    assert roc_auc_score(mature["is_default"], dti) > 0.65
    bureau = tables["credit_bureau_reports"].drop_duplicates("customer_id", keep="last")
    delinquencies = mature["customer_id"].map(bureau.set_index("customer_id")["delinquencies"])
    known = delinquencies.notna()
    assert roc_auc_score(mature.loc[known, "is_default"], delinquencies[known]) > 0.55


def test_thin_files_have_no_bureau_report(tables: dict[str, pd.DataFrame]) -> None:
    with_report = set(tables["credit_bureau_reports"]["customer_id"])
    applicants = set(tables["applications"]["customer_id"])
    thin_share = 1 - len(applicants & with_report) / len(applicants)
    assert 0.03 < thin_share < 0.3


def test_bureau_dates_are_in_order(tables: dict[str, pd.DataFrame]) -> None:
    reports = tables["credit_bureau_reports"]
    delinquent = reports[reports["last_delinquency_on"].notna()]
    assert len(delinquent) > 100
    assert (delinquent["last_delinquency_on"] >= delinquent["oldest_account_on"]).all()
    assert (delinquent["last_delinquency_on"] <= delinquent["pulled_on"]).all()


def _digest(raw: RawData) -> dict[str, str]:
    digests = {name: hashlib.sha256(table_to_csv(t)).hexdigest() for name, t in raw.tables.items()}
    digests["repayments"] = hashlib.sha256(
        b"".join(table_to_csv(t) for t in raw.repayments())
    ).hexdigest()
    return digests


def test_same_seed_gives_identical_bytes() -> None:
    config = GeneratorConfig(applications=1500, seed=5)
    assert _digest(generate(config)) == _digest(generate(config))
    other = _digest(generate(GeneratorConfig(applications=1500, seed=6)))
    assert other["applications"] != _digest(generate(config))["applications"]


def test_recession_moves_dti_income_and_defaults() -> None:
    def profile(scenario: str) -> tuple[float, float, float]:
        data = generate(GeneratorConfig(applications=N, seed=21, scenario=scenario))  # type: ignore[arg-type]
        apps = data.tables["applications"].to_pandas()
        income = data.tables["employment"].to_pandas().set_index("customer_id")["monthly_income"]
        loans = data.tables["loans"].to_pandas()
        apps = apps.merge(loans[["application_id", "emi"]], on="application_id")
        dti = (apps["existing_monthly_debt"] + apps["emi"]) / apps["customer_id"].map(income)
        npa_share = data.tables["npa_tracking"].num_rows / max(len(loans), 1)
        return float(income.median()), float(dti.mean()), npa_share

    base_income, base_dti, base_npa = profile("baseline")
    rec_income, rec_dti, rec_npa = profile("recession")
    assert rec_income < 0.9 * base_income
    assert rec_dti > 1.08 * base_dti
    assert rec_npa > 1.3 * base_npa


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"applications": -5}, "applications"),
        ({"applications": 0}, "applications"),
        ({"applications": 10, "scenario": "boom"}, "scenario"),
        ({"applications": 10, "bad_rate": 0.9}, "bad_rate"),
        ({"applications": 10, "months": 12}, "months"),
        ({"applications": 10, "seed": -1}, "seed"),
    ],
)
def test_bad_config_names_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        GeneratorConfig(**kwargs)  # type: ignore[arg-type]
