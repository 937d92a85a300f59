"""Customers, their employment and their credit bureau behaviour, drawn with numpy.

Every random draw is made whatever the scenario, in a fixed order, so the same seed gives the
same people in both scenarios; the recession only transforms what was drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from credit_risk.contract import EMPLOYMENT_TYPES, GENDERS
from credit_risk.synthetic.config import GeneratorConfig

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MARITAL_STATUSES = ("single", "married", "divorced", "widowed")
EDUCATION_LEVELS = ("secondary", "graduate", "postgraduate", "doctorate")
REGIONS = ("north", "south", "east", "west", "central")
RESIDENCE_TYPES = ("owned", "rented", "family")
INDUSTRIES = (
    "services",
    "manufacturing",
    "retail",
    "technology",
    "government",
    "agriculture",
    "construction",
    "healthcare",
)

# Income effect (log scale) per employment type, in the order of EMPLOYMENT_TYPES.
EMPLOYMENT_INCOME_EFFECT = np.array([0.0, 0.05, 0.25, -0.15, -0.3])


@dataclass
class Customers:
    """Customer attributes, one element per customer (customer_id = index + 1)."""

    gender: IntArray
    age_at_start: Array
    marital: IntArray
    dependents: Array  # NaN where not declared
    education: IntArray
    region: IntArray
    city_tier: IntArray
    residence: IntArray
    created_days_before_start: IntArray
    employment_type: IntArray
    industry: IntArray
    years_employed_at_start: Array  # NaN where not declared
    monthly_income: Array
    pre_shock_income: Array  # income had the economy not turned; what loan needs are sized on
    is_income_verified: npt.NDArray[np.bool_]
    credit_behaviour: Array  # latent: higher is riskier, never observed directly
    is_thin_file: npt.NDArray[np.bool_]

    @property
    def count(self) -> int:
        return len(self.gender)


def _sigmoid(x: Array) -> Array:
    return 1.0 / (1.0 + np.exp(-x))


def draw_customers(config: GeneratorConfig, rng: np.random.Generator) -> Customers:
    """Draw the customer base; the recession lowers and spreads incomes."""
    n = config.customers
    gender = rng.choice(len(GENDERS), size=n, p=[0.47, 0.52, 0.01])
    age = np.clip(rng.normal(37.0, 11.0, n), 19.0, 72.0)
    marital = rng.choice(len(MARITAL_STATUSES), size=n, p=[0.38, 0.5, 0.09, 0.03])
    dependents = np.clip(rng.poisson(0.7 + 0.7 * (marital == 1)), 0, 8).astype(np.float64)
    dependents[rng.random(n) < 0.015] = np.nan
    education = rng.choice(len(EDUCATION_LEVELS), size=n, p=[0.35, 0.45, 0.17, 0.03])
    region = rng.choice(len(REGIONS), size=n, p=[0.24, 0.22, 0.18, 0.21, 0.15])
    city_tier = rng.choice(3, size=n, p=[0.4, 0.35, 0.25]) + 1
    residence = rng.choice(len(RESIDENCE_TYPES), size=n, p=[0.4, 0.45, 0.15])
    created = rng.integers(1, 1500, n)

    employment_type = rng.choice(len(EMPLOYMENT_TYPES), size=n, p=[0.58, 0.17, 0.09, 0.12, 0.04])
    retired = EMPLOYMENT_TYPES.index("retired")
    employment_type = np.where(
        (employment_type == retired) & (age < 58), 0, employment_type
    ).astype(np.int64)
    industry = rng.choice(len(INDUSTRIES), size=n)
    tenure_draw = rng.gamma(1.6, 4.0, n)
    years_employed = np.round(np.minimum(tenure_draw, np.maximum(age - 18.0, 0.0)), 1).astype(
        np.float64
    )
    years_employed[rng.random(n) < 0.02] = np.nan

    income_noise = rng.normal(0.0, 0.55, n)
    recession_noise = rng.normal(0.0, 0.12, n)
    log_income = (
        np.log(3800.0)
        + 0.22 * education
        + 0.015 * (age - 35.0)
        - 0.0006 * (age - 35.0) ** 2
        + 0.15 * (city_tier == 1)
        + EMPLOYMENT_INCOME_EFFECT[employment_type]
        + income_noise
    )
    pre_shock_income = np.round(np.clip(np.exp(log_income), 400.0, 2_000_000.0), 2)
    if config.scenario == "recession":
        log_income += -0.18 + recession_noise
    monthly_income = np.round(np.clip(np.exp(log_income), 400.0, 2_000_000.0), 2)
    verified = rng.random(n) < np.where(employment_type == 0, 0.92, 0.6)

    credit_behaviour = rng.normal(0.0, 1.0, n)
    thin_draw = rng.random(n)
    is_thin_file = thin_draw < _sigmoid(-2.0 - 0.09 * (age - 30.0))

    return Customers(
        gender=gender,
        age_at_start=age,
        marital=marital,
        dependents=dependents,
        education=education,
        region=region,
        city_tier=city_tier,
        residence=residence,
        created_days_before_start=created,
        employment_type=employment_type,
        industry=industry,
        years_employed_at_start=years_employed,
        monthly_income=monthly_income,
        pre_shock_income=pre_shock_income,
        is_income_verified=verified,
        credit_behaviour=credit_behaviour,
        is_thin_file=is_thin_file,
    )


@dataclass
class BureauDraws:
    """Bureau behaviour at each application; drawn for thin files too, where it stays unseen."""

    score: Array
    prior_accounts: IntArray
    open_accounts: IntArray
    limit_multiple: Array
    utilization: Array
    delinquencies: IntArray
    max_dpd: IntArray
    months_since_delinquency: IntArray
    enquiries_6m: IntArray
    history_months: IntArray
    pulled_days_before: IntArray


def draw_bureau(
    config: GeneratorConfig, rng: np.random.Generator, behaviour: Array, age: Array
) -> BureauDraws:
    """Bureau attributes per application, driven by the customer's latent credit behaviour."""
    n = len(behaviour)
    score = np.clip(np.round(700.0 - 55.0 * behaviour + rng.normal(0.0, 30.0, n)), 300, 900)
    prior_accounts = rng.poisson(np.exp(1.1 + 0.02 * (age - 30.0))) + 1
    open_accounts = rng.binomial(prior_accounts, 0.55)
    limit_multiple = rng.uniform(0.5, 4.0, n) * (open_accounts > 0)
    utilization = np.clip(
        rng.beta(2.0, 5.0, n) + 0.11 * behaviour + rng.normal(0, 0.05, n), 0, 1.45
    )
    delinquencies = rng.poisson(np.exp(-1.4 + 0.75 * behaviour))
    dpd_choice = rng.choice(
        np.array([30, 60, 90, 120, 180]), size=n, p=[0.5, 0.25, 0.12, 0.08, 0.05]
    )
    max_dpd = np.where(delinquencies > 0, dpd_choice, 0)
    months_since = np.where(delinquencies > 0, rng.integers(1, 72, n), -1)
    enquiries = rng.poisson(np.exp(0.0 + 0.3 * behaviour))
    history_months = np.round(rng.uniform(0.1, 1.0, n) * np.maximum(age - 18.0, 0.5) * 12.0)
    pulled_days_before = rng.integers(0, 8, n)
    # the last delinquency falls within the credit history (drawn after it, so the stream of
    # draws, and every other column, stays as it was)
    months_since = np.where(delinquencies > 0, np.minimum(months_since, history_months), -1)
    if config.scenario == "recession":
        utilization = np.clip(utilization + 0.09, 0.0, 1.45)
        enquiries = enquiries + (behaviour > 0)
        score = np.clip(score - 15, 300, 900)
    return BureauDraws(
        score=score,
        prior_accounts=prior_accounts.astype(np.int64),
        open_accounts=open_accounts.astype(np.int64),
        limit_multiple=limit_multiple,
        utilization=utilization,
        delinquencies=delinquencies.astype(np.int64),
        max_dpd=max_dpd.astype(np.int64),
        months_since_delinquency=months_since.astype(np.int64),
        enquiries_6m=enquiries.astype(np.int64),
        history_months=history_months.astype(np.int64),
        pulled_days_before=pulled_days_before.astype(np.int64),
    )
