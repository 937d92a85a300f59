"""Repayment schedules that follow the EMI formula, and the loan outcomes they imply.

Repayments are generated per chunk of loans with a chunk-seeded generator, so memory stays flat
and the output does not depend on how the loader consumes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from credit_risk.finance import outstanding_after

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DateArray = npt.NDArray[np.datetime64]

LOANS_PER_CHUNK = 40_000
MISSED_BEFORE_CHARGE_OFF = 6


@dataclass
class LoanBook:
    """One element per booked loan (loan_id = index + 1)."""

    principal: Array
    interest_rate: Array
    tenure: IntArray
    emi: Array
    originated_on: DateArray
    first_missed_installment: IntArray
    late_payment_propensity: Array

    @property
    def count(self) -> int:
        return len(self.principal)


def due_dates(originated_on: DateArray, installment: IntArray) -> DateArray:
    """Monthly due dates on the origination day of month (capped at the 28th)."""
    day = originated_on - originated_on.astype("datetime64[M]").astype("datetime64[D]")
    day = np.minimum(day.astype(np.int64), 27)
    months = originated_on.astype("datetime64[M]") + installment
    return months.astype("datetime64[D]") + day  # type: ignore[no-any-return]


@dataclass
class LoanOutcomes:
    status: npt.NDArray[np.str_]
    is_npa: npt.NDArray[np.bool_]
    npa_on: DateArray
    days_past_due: IntArray
    classification: npt.NDArray[np.str_]
    outstanding_principal: Array


def loan_outcomes(book: LoanBook, snapshot_on: np.datetime64) -> LoanOutcomes:
    """Status of each loan on the snapshot date and its RBI asset class if it is an NPA."""
    k = book.first_missed_installment
    misses = k > 0
    first_missed_due = due_dates(book.originated_on, np.maximum(k, 1))
    # RBI: a loan is an NPA once more than 90 days past due (SMA-2 covers 61-90).
    npa_on = first_missed_due + np.timedelta64(91, "D")
    is_npa = misses & (npa_on <= snapshot_on)
    dpd = np.where(is_npa, (snapshot_on - first_missed_due).astype(np.int64), 0)
    charge_off_due = due_dates(book.originated_on, k + MISSED_BEFORE_CHARGE_OFF - 1)
    written_off = is_npa & (charge_off_due <= snapshot_on)
    months_npa = (snapshot_on - npa_on).astype(np.int64) / 30.44
    # Written off means identified as uncollectible: a loss asset, however long it was an NPA.
    classification = np.where(
        written_off, "loss", np.where(months_npa > 12, "doubtful", "sub_standard")
    )
    last_due = due_dates(book.originated_on, book.tenure)
    closed = ~misses & (last_due <= snapshot_on)
    status = np.where(
        written_off,
        "written_off",
        np.where(is_npa, "defaulted", np.where(closed, "closed", "active")),
    )
    outstanding = outstanding_after(
        book.principal, book.interest_rate, book.emi, np.maximum(k - 1, 0).astype(np.float64)
    )
    return LoanOutcomes(
        status=status,
        is_npa=is_npa,
        npa_on=npa_on,
        days_past_due=dpd,
        classification=classification,
        outstanding_principal=np.round(outstanding, 2),
    )


def repayment_chunks(book: LoanBook, snapshot_on: np.datetime64, seed: int) -> Iterator[pa.Table]:
    """Yield repayments of raw.repayments, LOANS_PER_CHUNK loans at a time."""
    next_id = 1
    for chunk_index, start in enumerate(range(0, book.count, LOANS_PER_CHUNK)):
        stop = min(start + LOANS_PER_CHUNK, book.count)
        rng = np.random.default_rng([seed, 7919, chunk_index])
        table = _chunk(book, start, stop, snapshot_on, rng, next_id)
        next_id += table.num_rows
        yield table


def _chunk(
    book: LoanBook,
    start: int,
    stop: int,
    snapshot_on: np.datetime64,
    rng: np.random.Generator,
    first_id: int,
) -> pa.Table:
    tenure = book.tenure[start:stop]
    loan = np.repeat(np.arange(start, stop), tenure)
    offsets = np.repeat(np.cumsum(tenure) - tenure, tenure)
    installment = np.arange(len(loan)) - offsets + 1
    late_u = rng.random(len(loan))
    late_days_draw = np.minimum(rng.geometric(1 / 9, len(loan)), 85)
    early_u = rng.random(len(loan))
    early_days = rng.integers(1, 6, len(loan))

    due = due_dates(book.originated_on[loan], installment)
    k = book.first_missed_installment[loan]
    missed = (k > 0) & (installment >= k)
    keep = (due <= snapshot_on) & ~(missed & (installment >= k + MISSED_BEFORE_CHARGE_OFF))
    loan, installment, due, missed = loan[keep], installment[keep], due[keep], missed[keep]
    late_u, late_days_draw = late_u[keep], late_days_draw[keep]
    early_u, early_days = early_u[keep], early_days[keep]

    late = late_u < book.late_payment_propensity[loan]
    delay = np.where(late, late_days_draw, np.where(early_u < 0.25, -early_days, 0))
    paid_on = due + delay.astype("timedelta64[D]")
    paid = ~missed & (paid_on <= snapshot_on)
    days_past_due = np.where(
        paid, np.maximum(delay, 0), (snapshot_on - due).astype(np.int64)
    ).astype(np.int64)
    amount_due = book.emi[loan]
    monthly_rate = book.interest_rate[loan] / 1200.0
    balance_before = outstanding_after(
        book.principal[loan], book.interest_rate[loan], amount_due, (installment - 1).astype(float)
    )
    interest_due = np.round(balance_before * monthly_rate, 2)
    status = np.where(paid, np.where(delay > 0, "paid_late", "paid"), "unpaid")

    return pa.table(
        {
            "repayment_id": pa.array(np.arange(first_id, first_id + len(loan), dtype=np.int64)),
            "loan_id": pa.array(loan + 1),
            "installment_number": pa.array(installment.astype(np.int32)),
            "due_on": pa.array(due.astype("datetime64[D]")),
            "amount_due": pa.array(amount_due),
            "principal_due": pa.array(np.round(amount_due - interest_due, 2)),
            "interest_due": pa.array(interest_due),
            "paid_on": pa.array(paid_on.astype("datetime64[D]"), mask=~paid),
            "amount_paid": pa.array(np.where(paid, amount_due, 0.0)),
            "days_past_due": pa.array(days_past_due.astype(np.int32)),
            "status": pa.array(status.astype(object)),
        }
    )
