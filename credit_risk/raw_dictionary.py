"""What each raw table and column means, and its unit: the data dictionary of the raw contract.

A lender's data engineer maps their loan system to these tables. The columns, types, keys and
relations are `credit_risk.raw_contract`; this module adds the words, and a unit test keeps the
two in step (every contract column described, nothing described that the contract lacks).
The documentation site renders both as the data dictionary page.
"""

from __future__ import annotations

from credit_risk.raw_contract import FOREIGN_KEYS, PRIMARY_KEYS, TABLES

__all__ = ["COLUMNS", "TABLE_MEANINGS", "UNITS", "markdown_page"]

# What a unit means in the dictionary's own words.
UNITS: dict[str, str] = {
    "id": "identifier",
    "money": "amount in the book's currency",
    "percent": "percent per year",
    "months": "months",
    "days": "days",
    "years": "years",
    "date": "calendar date",
    "timestamp": "date and time",
    "count": "count",
    "flag": "true / false",
    "score": "score points",
    "code": "one of the listed values",
    "text": "free text",
}

TABLE_MEANINGS: dict[str, str] = {
    "customers": "One row per customer: who applies for loans.",
    "employment": "The customer's employment and income records, newest last.",
    "credit_bureau_reports": "Credit bureau reports pulled for a customer; none for a thin file.",
    "applications": "One row per loan application and the lender's decision on it.",
    "collateral": "Collateral pledged for an application (none, one or several).",
    "guarantors": "Guarantors backing an application (none, one or several).",
    "loans": "One row per loan booked from an approved application.",
    "disbursements": "Payments of the loan amount to the borrower.",
    "repayments": "The repayment schedule: one row per instalment, with what was paid and when.",
    "npa_tracking": "Non-performing-asset events: when a loan went 90+ days past due, and its class.",
}

# (table, column) -> (meaning, unit)
COLUMNS: dict[tuple[str, str], tuple[str, str]] = {
    ("customers", "customer_id"): ("The customer.", "id"),
    ("customers", "gender"): (
        "female, male or other. Protected: used only to check fairness, never to score.",
        "code",
    ),
    ("customers", "date_of_birth"): (
        "Date of birth. Age at application is a feature (Regulation B permits age in an "
        "empirically derived system); age bands are checked for fairness.",
        "date",
    ),
    ("customers", "marital_status"): (
        "single, married, divorced or widowed. Protected: never a feature.",
        "code",
    ),
    ("customers", "dependents"): ("People the customer supports financially.", "count"),
    ("customers", "education"): (
        "Highest education: secondary, graduate, postgraduate or doctorate.",
        "code",
    ),
    ("customers", "region"): ("north, south, east, west or central.", "code"),
    ("customers", "city_tier"): ("City tier 1, 2 or 3 (1: the largest cities).", "code"),
    ("customers", "residence_type"): ("owned, rented or family.", "code"),
    ("customers", "created_at"): ("When the customer record was created.", "timestamp"),
    ("employment", "employment_id"): ("The employment record.", "id"),
    ("employment", "customer_id"): ("The customer employed.", "id"),
    ("employment", "employment_type"): (
        "salaried, self_employed, business_owner, contract or retired.",
        "code",
    ),
    ("employment", "industry"): (
        "The employer's industry: services, manufacturing, retail, technology, government, "
        "agriculture, construction or healthcare.",
        "code",
    ),
    ("employment", "years_employed"): ("Years in the current employment.", "years"),
    ("employment", "monthly_income"): ("Gross monthly income.", "money"),
    ("employment", "is_income_verified"): ("The income was verified with documents.", "flag"),
    ("employment", "recorded_on"): (
        "When the record was taken; features use the latest on or before the application.",
        "date",
    ),
    ("credit_bureau_reports", "report_id"): ("The bureau report.", "id"),
    ("credit_bureau_reports", "customer_id"): ("The customer reported on.", "id"),
    ("credit_bureau_reports", "pulled_on"): (
        "When the report was pulled; features use the latest on or before the application.",
        "date",
    ),
    ("credit_bureau_reports", "bureau_score"): (
        "Bureau risk score, 300-900, higher is safer.",
        "score",
    ),
    ("credit_bureau_reports", "prior_accounts"): ("Credit accounts ever opened.", "count"),
    ("credit_bureau_reports", "open_accounts"): ("Credit accounts open now.", "count"),
    ("credit_bureau_reports", "total_credit_limit"): (
        "Sum of the limits of open accounts.",
        "money",
    ),
    ("credit_bureau_reports", "total_balance"): (
        "Sum of the balances of open accounts.",
        "money",
    ),
    ("credit_bureau_reports", "delinquencies"): ("Delinquent accounts on record.", "count"),
    ("credit_bureau_reports", "max_dpd"): (
        "Worst days past due on any account.",
        "days",
    ),
    ("credit_bureau_reports", "last_delinquency_on"): (
        "Date of the latest delinquency; empty when there was none.",
        "date",
    ),
    ("credit_bureau_reports", "enquiries_last_6m"): (
        "Credit enquiries in the six months before the report.",
        "count",
    ),
    ("credit_bureau_reports", "oldest_account_on"): ("Opening date of the oldest account.", "date"),
    ("applications", "application_id"): ("The application.", "id"),
    ("applications", "customer_id"): ("The applicant.", "id"),
    ("applications", "applied_on"): (
        "Application date: the point in time every feature is computed as of.",
        "date",
    ),
    ("applications", "loan_amount"): ("Amount asked for.", "money"),
    ("applications", "tenure_months"): ("Term asked for: 12, 24, 36, 48 or 60.", "months"),
    ("applications", "interest_rate"): ("Interest rate offered.", "percent"),
    ("applications", "loan_purpose"): (
        "home, auto, education, personal, business, medical or debt_consolidation.",
        "code",
    ),
    ("applications", "existing_monthly_debt"): (
        "Monthly payments on the applicant's other debts.",
        "money",
    ),
    ("applications", "monthly_rent"): ("Monthly rent; empty for owners.", "money"),
    ("applications", "channel"): ("branch, online, agent or partner.", "code"),
    ("applications", "status"): ("The decision: approved, rejected or pending.", "code"),
    ("applications", "decided_on"): ("Decision date; empty while pending.", "date"),
    ("collateral", "collateral_id"): ("The collateral item.", "id"),
    ("collateral", "application_id"): ("The application it secures.", "id"),
    ("collateral", "collateral_type"): (
        "property, vehicle, deposit, gold or equipment.",
        "code",
    ),
    ("collateral", "market_value"): ("Market value at valuation.", "money"),
    ("collateral", "valued_on"): ("Valuation date.", "date"),
    ("guarantors", "guarantor_id"): ("The guarantor.", "id"),
    ("guarantors", "application_id"): ("The application guaranteed.", "id"),
    ("guarantors", "relationship"): (
        "spouse, parent, sibling, friend or business_partner.",
        "code",
    ),
    ("guarantors", "monthly_income"): ("The guarantor's monthly income.", "money"),
    ("guarantors", "added_on"): ("When the guarantor was added.", "date"),
    ("loans", "loan_id"): ("The loan.", "id"),
    ("loans", "application_id"): ("The approved application it was booked from.", "id"),
    ("loans", "customer_id"): ("The borrower.", "id"),
    ("loans", "principal"): ("Amount lent.", "money"),
    ("loans", "interest_rate"): ("Contract interest rate.", "percent"),
    ("loans", "tenure_months"): ("Contract term.", "months"),
    ("loans", "emi"): ("Equated monthly instalment (principal and interest).", "money"),
    ("loans", "originated_on"): ("Booking date.", "date"),
    ("loans", "maturity_on"): ("Date of the last scheduled instalment.", "date"),
    ("loans", "loan_status"): ("active, closed, defaulted or written_off.", "code"),
    ("disbursements", "disbursement_id"): ("The disbursement.", "id"),
    ("disbursements", "loan_id"): ("The loan paid out.", "id"),
    ("disbursements", "disbursed_on"): ("Payment date.", "date"),
    ("disbursements", "amount"): ("Amount paid out.", "money"),
    ("disbursements", "method"): ("How it was paid: bank_transfer or cheque.", "code"),
    ("repayments", "repayment_id"): ("The instalment.", "id"),
    ("repayments", "loan_id"): ("The loan.", "id"),
    ("repayments", "installment_number"): ("1 for the first instalment, and so on.", "count"),
    ("repayments", "due_on"): ("Due date.", "date"),
    ("repayments", "amount_due"): ("Instalment amount.", "money"),
    ("repayments", "principal_due"): ("Principal part of the instalment.", "money"),
    ("repayments", "interest_due"): ("Interest part of the instalment.", "money"),
    ("repayments", "paid_on"): ("Payment date; empty while unpaid.", "date"),
    ("repayments", "amount_paid"): ("Amount paid so far (0 when unpaid).", "money"),
    ("repayments", "days_past_due"): ("Days late at payment, or so far.", "days"),
    ("repayments", "status"): ("paid, paid_late or unpaid.", "code"),
    ("npa_tracking", "npa_id"): ("The NPA event.", "id"),
    ("npa_tracking", "loan_id"): ("The loan.", "id"),
    ("npa_tracking", "npa_on"): (
        "When the loan became non-performing (90+ days past due).",
        "date",
    ),
    ("npa_tracking", "days_past_due"): ("Days past due at the event.", "days"),
    ("npa_tracking", "classification"): (
        "sub_standard (NPA up to 12 months), doubtful (longer) or loss (written off).",
        "code",
    ),
    ("npa_tracking", "outstanding_principal"): ("Principal outstanding at the event.", "money"),
    ("npa_tracking", "recorded_on"): ("When the event was recorded.", "date"),
}


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_page() -> str:
    """The data dictionary as a Markdown page: a section per table, a row per column."""
    referenced_by: dict[str, list[str]] = {}
    for table, column, ref_table, _ in FOREIGN_KEYS:
        referenced_by.setdefault(ref_table, []).append(f"`{table}.{column}`")
    lines = [
        "# Data dictionary: the raw tables",
        "",
        "What `credit-risk data generate` writes into the `raw` schema, and what a lender's own "
        "loan system maps to: one section per table, one row per column. Generated from "
        "`credit_risk/raw_contract.py` (columns, types, keys) and "
        "`credit_risk/raw_dictionary.py` (meanings, units). Money is in the book's currency; "
        "interest rates are percent per year.",
        "",
    ]
    for table, columns in TABLES.items():
        keys = {
            column: f"references `{ref_table}.{ref_column}`"
            for t, column, ref_table, ref_column in FOREIGN_KEYS
            if t == table
        }
        keys[PRIMARY_KEYS[table]] = "primary key"
        lines += [f"## `{table}`", "", _md(TABLE_MEANINGS[table]), ""]
        if table in referenced_by:
            lines += [f"Referenced by {', '.join(referenced_by[table])}.", ""]
        lines += [
            "| Column | Type | Null | Key | Unit | Meaning |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for column, sql_type in columns:
            meaning, unit = COLUMNS[(table, column)]
            base_type = sql_type.replace(" not null", "")
            nullable = "no" if "not null" in sql_type else "yes"
            lines.append(
                f"| `{column}` | {f'`{base_type}`'} | {nullable} | {keys.get(column, '')} "
                f"| {_md(UNITS[unit])} | {_md(meaning)} |"
            )
        lines.append("")
    return "\n".join(lines)
