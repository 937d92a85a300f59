"""Logistic regression whose coefficients keep the contract's monotone directions.

A linear model moves risk in one direction per column, so a direction holds exactly when the
column's coefficient has the right sign. Columns whose coefficient comes out with the wrong
sign (collinear features do this) are dropped one at a time, worst first, and the model is
refitted: the scorecard practice of removing a characteristic that enters with the wrong sign.
The dropped columns keep a zero coefficient, so the encoded layout, and the reasons computed on
it, are unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

__all__ = ["SignConstrainedLogisticRegression"]


class SignConstrainedLogisticRegression(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """L2 logistic regression; `leading_signs[j]` is the required sign of column j's coefficient.

    +1: the coefficient may not be negative (a higher value never lowers the risk), -1: it may
    not be positive, 0: free. Columns past `leading_signs` are free (missing indicators and
    one-hot levels). `dropped_` lists the columns removed for a wrong sign.
    """

    def __init__(
        self,
        C: float = 1.0,
        max_iter: int = 2000,
        random_state: int | None = None,
        leading_signs: Sequence[int] = (),
    ) -> None:
        self.C = C
        self.max_iter = max_iter
        self.random_state = random_state
        self.leading_signs = leading_signs

    def fit(self, X: Any, y: Any) -> SignConstrainedLogisticRegression:
        matrix = np.asarray(X, dtype=np.float64)
        target = np.asarray(y).astype(int)
        columns = matrix.shape[1]
        signs = np.zeros(columns)
        given = np.asarray(list(self.leading_signs), dtype=np.float64)[:columns]
        signs[: len(given)] = given
        active = np.ones(columns, dtype=bool)
        coef = np.zeros(columns)
        intercept = 0.0
        while True:
            model = LogisticRegression(
                C=self.C, max_iter=self.max_iter, random_state=self.random_state
            )
            if active.any():
                model.fit(matrix[:, active], target)
                coef = np.zeros(columns)
                coef[active] = model.coef_[0]
                intercept = float(model.intercept_[0])
            else:  # every column had the wrong sign: the base rate alone
                rate = float(np.clip(target.mean(), 1e-6, 1 - 1e-6))
                coef, intercept = np.zeros(columns), float(np.log(rate / (1 - rate)))
                break
            against = coef * signs
            if not (against < 0).any():
                break
            active[int(np.argmin(against))] = False
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.array([intercept])
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = columns
        self.dropped_ = [int(j) for j in np.flatnonzero(~active)]
        return self

    def decision_function(self, X: Any) -> npt.NDArray[np.float64]:
        """The log-odds of default."""
        matrix = np.asarray(X, dtype=np.float64)
        return np.asarray(matrix @ self.coef_[0] + self.intercept_[0], dtype=np.float64)

    def predict_proba(self, X: Any) -> npt.NDArray[np.float64]:
        default = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - default, default])

    def predict(self, X: Any) -> npt.NDArray[np.int64]:
        return (self.decision_function(X) > 0).astype(np.int64)
