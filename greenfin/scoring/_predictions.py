"""The prediction methods every points-based estimator shares, derived from ``predict_points``."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_is_fitted

from greenfin._typing import FloatArray
from greenfin.scoring._scale import pd_from_points

__all__ = ["PointsPredictionsMixin"]


class PointsPredictionsMixin:
    """PD, class probabilities, log-odds and labels from points (higher points = safer).

    A subclass provides ``predict_points(X)`` and the fitted ``factor_``, ``offset_``, ``bad_index_`` and
    ``classes_``; then PD = 1 / (1 + exp((points - offset) / factor)) and the rest follow from it.
    """

    factor_: float
    offset_: float
    bad_index_: int
    classes_: np.ndarray[Any, Any]

    def predict_points(self, X: Any) -> FloatArray:  # noqa: N803  # sklearn's name for the feature matrix
        """Points of each row (implemented by the estimator)."""
        raise NotImplementedError

    def predict_pd(self, X: Any) -> FloatArray:  # noqa: N803  # sklearn's name for the feature matrix
        """Probability of the bad outcome, computed from the points.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit.

        Returns
        -------
        numpy.ndarray of float64
            PD of each row.
        """
        check_is_fitted(self)
        return pd_from_points(self.predict_points(X), self.factor_, self.offset_)

    def predict_proba(self, X: Any) -> FloatArray:  # noqa: N803  # sklearn's name for the feature matrix
        """Class probabilities in ``classes_`` order.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit.

        Returns
        -------
        numpy.ndarray of shape (n_samples, 2)
            Probabilities.
        """
        p = self.predict_pd(X)
        out = np.empty((p.shape[0], 2), dtype=np.float64)
        out[:, self.bad_index_] = p
        out[:, 1 - self.bad_index_] = 1.0 - p
        return out

    def decision_function(self, X: Any) -> FloatArray:  # noqa: N803  # sklearn's name for the feature matrix
        """Log-odds of ``classes_[1]``.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit.

        Returns
        -------
        numpy.ndarray of float64
            Log-odds.
        """
        check_is_fitted(self)
        lo_bad = (self.offset_ - self.predict_points(X)) / self.factor_
        return np.asarray(lo_bad if self.bad_index_ == 1 else -lo_bad, dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray[Any, Any]:  # noqa: N803  # sklearn's name for the feature matrix
        """The more likely class of each row.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit.

        Returns
        -------
        numpy.ndarray
            Labels from ``classes_``.
        """
        check_is_fitted(self)
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(int)])
