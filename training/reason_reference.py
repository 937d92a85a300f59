"""The applicants at the cut-off: what a rejection's adverse-action reasons are measured against.

12 CFR 1002.9 asks for the principal reasons an application was rejected. Measured against the
average applicant, a rejected applicant who is better than average on most factors would get
few or none; measured against the applicants just approved, every rejection has the factors
that keep it below the cut-off. The reference is the validation applicants with the highest
calibrated PD still below the threshold, stored on the model (CreditRiskModel.reason_reference)
so serving measures every decision of that version against the same people.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["REFERENCE_ROWS", "cut_off_reference"]

REFERENCE_ROWS = 200


def cut_off_reference(
    calibrated: Any,
    validation: pd.DataFrame,
    columns: Sequence[str],
    threshold: float,
    rows: int = REFERENCE_ROWS,
) -> pd.DataFrame:
    """The model-input rows of the `rows` approved validation applicants nearest the cut-off."""
    frame = validation[list(columns)]
    probability = np.asarray(calibrated.predict_proba(frame))[:, 1]
    approved = np.flatnonzero(probability < threshold)
    nearest = approved[np.argsort(-probability[approved], kind="stable")[:rows]]
    return frame.iloc[np.sort(nearest)].reset_index(drop=True)
