"""The raw-table contract: the loan platform's 9 operational tables plus credit bureau reports,
with their columns, keys and relations. The generator writes it and the raw suites check it."""

from __future__ import annotations

# Column order here is the COPY order; keys, foreign keys and indexes are added after the load.
TABLES: dict[str, list[tuple[str, str]]] = {
    "customers": [
        ("customer_id", "bigint not null"),
        ("gender", "text not null"),
        ("date_of_birth", "date not null"),
        ("marital_status", "text not null"),
        ("dependents", "integer"),
        ("education", "text not null"),
        ("region", "text not null"),
        ("city_tier", "integer not null"),
        ("residence_type", "text not null"),
        ("created_at", "timestamp not null"),
    ],
    "employment": [
        ("employment_id", "bigint not null"),
        ("customer_id", "bigint not null"),
        ("employment_type", "text not null"),
        ("industry", "text not null"),
        ("years_employed", "double precision"),
        ("monthly_income", "numeric(14,2)"),
        ("is_income_verified", "boolean not null"),
        ("recorded_on", "date not null"),
    ],
    "credit_bureau_reports": [
        ("report_id", "bigint not null"),
        ("customer_id", "bigint not null"),
        ("pulled_on", "date not null"),
        ("bureau_score", "integer"),
        ("prior_accounts", "integer"),
        ("open_accounts", "integer"),
        ("total_credit_limit", "numeric(14,2)"),
        ("total_balance", "numeric(14,2)"),
        ("delinquencies", "integer"),
        ("max_dpd", "integer"),
        ("last_delinquency_on", "date"),
        ("enquiries_last_6m", "integer"),
        ("oldest_account_on", "date"),
    ],
    "applications": [
        ("application_id", "bigint not null"),
        ("customer_id", "bigint not null"),
        ("applied_on", "date not null"),
        ("loan_amount", "numeric(14,2)"),
        ("tenure_months", "integer"),
        ("interest_rate", "numeric(6,3)"),
        ("loan_purpose", "text"),
        ("existing_monthly_debt", "numeric(14,2)"),
        ("monthly_rent", "numeric(14,2)"),
        ("channel", "text not null"),
        ("status", "text not null"),
        ("decided_on", "date"),
    ],
    "collateral": [
        ("collateral_id", "bigint not null"),
        ("application_id", "bigint not null"),
        ("collateral_type", "text not null"),
        ("market_value", "numeric(16,2) not null"),
        ("valued_on", "date not null"),
    ],
    "guarantors": [
        ("guarantor_id", "bigint not null"),
        ("application_id", "bigint not null"),
        ("relationship", "text not null"),
        ("monthly_income", "numeric(14,2) not null"),
        ("added_on", "date not null"),
    ],
    "loans": [
        ("loan_id", "bigint not null"),
        ("application_id", "bigint not null"),
        ("customer_id", "bigint not null"),
        ("principal", "numeric(14,2) not null"),
        ("interest_rate", "numeric(6,3) not null"),
        ("tenure_months", "integer not null"),
        ("emi", "numeric(14,2) not null"),
        ("originated_on", "date not null"),
        ("maturity_on", "date not null"),
        ("loan_status", "text not null"),
    ],
    "disbursements": [
        ("disbursement_id", "bigint not null"),
        ("loan_id", "bigint not null"),
        ("disbursed_on", "date not null"),
        ("amount", "numeric(14,2) not null"),
        ("method", "text not null"),
    ],
    "repayments": [
        ("repayment_id", "bigint not null"),
        ("loan_id", "bigint not null"),
        ("installment_number", "integer not null"),
        ("due_on", "date not null"),
        ("amount_due", "numeric(14,2) not null"),
        ("principal_due", "numeric(14,2) not null"),
        ("interest_due", "numeric(14,2) not null"),
        ("paid_on", "date"),
        ("amount_paid", "numeric(14,2) not null"),
        ("days_past_due", "integer not null"),
        ("status", "text not null"),
    ],
    "npa_tracking": [
        ("npa_id", "bigint not null"),
        ("loan_id", "bigint not null"),
        ("npa_on", "date not null"),
        ("days_past_due", "integer not null"),
        ("classification", "text not null"),
        ("outstanding_principal", "numeric(14,2) not null"),
        ("recorded_on", "date not null"),
    ],
}

PRIMARY_KEYS: dict[str, str] = {
    "customers": "customer_id",
    "employment": "employment_id",
    "credit_bureau_reports": "report_id",
    "applications": "application_id",
    "collateral": "collateral_id",
    "guarantors": "guarantor_id",
    "loans": "loan_id",
    "disbursements": "disbursement_id",
    "repayments": "repayment_id",
    "npa_tracking": "npa_id",
}

# (table, column, referenced table, referenced column)
FOREIGN_KEYS: list[tuple[str, str, str, str]] = [
    ("employment", "customer_id", "customers", "customer_id"),
    ("credit_bureau_reports", "customer_id", "customers", "customer_id"),
    ("applications", "customer_id", "customers", "customer_id"),
    ("collateral", "application_id", "applications", "application_id"),
    ("guarantors", "application_id", "applications", "application_id"),
    ("loans", "application_id", "applications", "application_id"),
    ("loans", "customer_id", "customers", "customer_id"),
    ("disbursements", "loan_id", "loans", "loan_id"),
    ("repayments", "loan_id", "loans", "loan_id"),
    ("npa_tracking", "loan_id", "loans", "loan_id"),
]

INDEXES: list[tuple[str, str]] = [
    ("applications", "customer_id, applied_on"),
    ("applications", "applied_on"),
    ("applications", "status"),
    ("loans", "customer_id"),
    ("loans", "loan_status"),
    ("credit_bureau_reports", "customer_id, pulled_on"),
    ("repayments", "loan_id, due_on"),
    ("employment", "customer_id"),
    ("collateral", "application_id"),
    ("guarantors", "application_id"),
]


def create_table_sql(schema: str, table: str) -> str:
    columns = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in TABLES[table])
    return f"create table {schema}.{table} (\n    {columns}\n)"


def constraint_sql(schema: str) -> list[str]:
    """Keys, foreign keys and indexes, applied after the bulk load (faster than during it)."""
    statements = [
        f"alter table {schema}.{table} add primary key ({column})"
        for table, column in PRIMARY_KEYS.items()
    ]
    statements += [
        f"alter table {schema}.{table} add foreign key ({column}) "
        f"references {schema}.{ref_table} ({ref_column})"
        for table, column, ref_table, ref_column in FOREIGN_KEYS
    ]
    statements += [f"create index on {schema}.{table} ({columns})" for table, columns in INDEXES]
    statements += [f"analyze {schema}.{table}" for table in TABLES]
    return statements
