"""Experience rating: Bühlmann and Bühlmann–Straub credibility, as-if burning cost, a Tweedie rating GLM.

Formulas: reference §2.8–2.10; Bühlmann & Gisler, *A Course in Credibility Theory* (2005), §4.2–4.8;
Klugman, Panjer & Willmot, *Loss Models*, ch. 18 (Bühlmann–Straub, nonparametric estimation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from greenfin._typing import FloatArray
from greenfin.errors import DataError, param_error

__all__ = ["CredibilityResult", "TweedieRating", "buhlmann", "buhlmann_straub", "burning_cost"]


@dataclass(frozen=True)
class CredibilityResult:
    """Credibility estimates by group.

    Parameters
    ----------
    table : polars.DataFrame
        One row per group: ``group``, ``weight``, ``mean``, ``z``, ``estimate``.
    collective_mean : float
        The (credibility-weighted) collective mean.
    epv : float
        Expected process variance s^2.
    vhm : float
        Variance of hypothetical means a (0 when the estimate was <= 0: then Z = 0).
    """

    table: pl.DataFrame
    collective_mean: float
    epv: float
    vhm: float

    @property
    def k(self) -> float:
        """Credibility constant ``k = EPV / VHM`` (inf when VHM = 0)."""
        return self.epv / self.vhm if self.vhm > 0 else float("inf")


def _matrix(values: Any, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise param_error(
            "credibility",
            name,
            "a 2-D array with >= 2 groups and >= 2 periods",
            arr.shape,
            "Pass one row per group (e.g. county) and one column per year.",
        )
    if not np.all(np.isfinite(arr)):
        raise param_error("credibility", name, "finite values", "NaN/inf", "Fill or drop the missing years.")
    return arr


def buhlmann(x: Any, groups: Any = None) -> CredibilityResult:
    """Bühlmann credibility ``Z = n/(n + k)``, ``k = EPV/VHM``, with the nonparametric estimators.

    Parameters
    ----------
    x : array_like, shape (groups, periods)
        Observations (e.g. loss ratios) by group and period, equal weights.
    groups : sequence of str or None
        Group labels (default 0, 1, ...).

    Returns
    -------
    CredibilityResult
        Estimates by group.

    Raises
    ------
    SpecError
        If ``x`` is not a complete 2-D table with at least two groups and two periods.

    Examples
    --------
    >>> r = buhlmann([[1.0, 3.0], [4.0, 6.0]])
    >>> round(r.epv, 6), round(r.vhm, 6), r.table["estimate"].round(6).to_list()
    (2.0, 3.5, [2.333333, 4.666667])
    """
    arr = _matrix(x, "x")
    return buhlmann_straub(arr, np.ones_like(arr), groups)


def buhlmann_straub(x: Any, w: Any, groups: Any = None) -> CredibilityResult:
    """Bühlmann–Straub credibility with weights (reference §2.9).

    ``X̄_i = Σ_t w_it X_it / w_i``; ``s² = Σ_i Σ_t w_it (X_it − X̄_i)² / (I(n − 1))``;
    ``â = w/(w² − Σ w_i²) (Σ w_i (X̄_i − X̄_w)² − (I − 1) s²)``; ``Z_i = w_i / (w_i + s²/â)``; collective mean
    ``Σ Z_i X̄_i / Σ Z_i``; estimate ``Z_i X̄_i + (1 − Z_i) X̄_Z``. If ``â <= 0``, ``Z_i = 0`` and the
    collective mean is the weighted mean.

    Parameters
    ----------
    x : array_like, shape (groups, periods)
        Observations (e.g. loss ratios).
    w : array_like, same shape
        Weights (e.g. earned premium or exposure), > 0.
    groups : sequence of str or None
        Group labels.

    Returns
    -------
    CredibilityResult
        Estimates by group.

    Raises
    ------
    SpecError
        If the shapes differ or a weight is not positive.
    """
    arr, wt = _matrix(x, "x"), _matrix(w, "w")
    if arr.shape != wt.shape or np.any(wt <= 0):
        raise param_error("buhlmann_straub", "w", "positive weights of the shape of x", wt.shape, "Check the weights.")
    n_groups, n = arr.shape
    wi = wt.sum(axis=1)
    xi = (wt * arr).sum(axis=1) / wi
    total = wi.sum()
    xw = float(wi @ xi / total)
    s2 = float((wt * (arr - xi[:, None]) ** 2).sum() / (n_groups * (n - 1)))
    a = float(total / (total**2 - (wi**2).sum()) * ((wi * (xi - xw) ** 2).sum() - (n_groups - 1) * s2))
    if a > 0:
        z = wi / (wi + s2 / a)
        collective = float(z @ xi / z.sum())
    else:
        a, z, collective = 0.0, np.zeros(n_groups), xw
    labels = [str(g) for g in (groups if groups is not None else range(n_groups))]
    table = pl.DataFrame({"group": labels, "weight": wi, "mean": xi, "z": z, "estimate": z * xi + (1 - z) * collective})
    return CredibilityResult(table, collective, s2, a)


def burning_cost(
    history: pl.DataFrame,
    *,
    trend_per_year: float,
    target_year: int,
    target_exposure: float,
) -> pl.DataFrame:
    """As-if burning cost: each year's loss at the target year's level and exposure (reference §2.8).

    ``as_if_t = loss_t (1 + trend)^(T - t) exposure_T / exposure_t``; the loss cost per exposure unit is
    ``sum as_if / (n exposure_T)``.

    Parameters
    ----------
    history : polars.DataFrame
        Columns ``year`` (int), ``loss_cny`` (>= 0) and ``exposure`` (> 0, e.g. insured mu or sum insured).
    trend_per_year : float
        Annual loss trend (a fraction, e.g. 0.03).
    target_year : int
        Year T to bring losses to.
    target_exposure : float
        Exposure in year T.

    Returns
    -------
    polars.DataFrame
        ``year``, ``loss_cny``, ``exposure``, ``as_if_loss_cny``, ``as_if_loss_cost`` (per exposure unit).

    Raises
    ------
    DataError
        If a column is missing or an exposure is not positive.

    Examples
    --------
    >>> h = pl.DataFrame({"year": [2023, 2024], "loss_cny": [100.0, 200.0], "exposure": [10.0, 20.0]})
    >>> burning_cost(h, trend_per_year=0.0, target_year=2025, target_exposure=40.0)["as_if_loss_cny"].to_list()
    [400.0, 400.0]
    """
    for col in ("year", "loss_cny", "exposure"):
        if col not in history.columns:
            raise DataError(f"required column {col!r} is missing; add it.", source="burning-cost history")
    if (history["exposure"] <= 0).any():
        raise DataError("exposure must be > 0 in every year.", source="burning-cost history", column="exposure")
    factor = (1.0 + trend_per_year) ** (target_year - pl.col("year")) * target_exposure / pl.col("exposure")
    return history.select("year", "loss_cny", "exposure").with_columns(
        (pl.col("loss_cny") * factor).alias("as_if_loss_cny"),
        (pl.col("loss_cny") * factor / target_exposure).alias("as_if_loss_cost"),
    )


class TweedieRating(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Tweedie pure-premium GLM with a log link over categorical rating factors (reference §2.10).

    Fits ``E[loss per exposure] = exp(b0 + sum_f b_f[level])`` with exposure as sample weight, using
    scikit-learn's ``TweedieRegressor`` on one-hot factors; ``relativities()`` gives ``exp(b)`` by level.

    Parameters
    ----------
    power : float
        Tweedie power in (1, 2) (compound Poisson–gamma).
    alpha : float
        L2 penalty.
    max_iter : int
        Solver iterations.
    """

    def __init__(self, *, power: float = 1.5, alpha: float = 1e-4, max_iter: int = 1000) -> None:
        self.power = power
        self.alpha = alpha
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> TweedieRating:  # noqa: N803  # sklearn naming
        """Fit on categorical factors ``X`` and pure premium per exposure ``y``.

        Parameters
        ----------
        X : polars.DataFrame or array_like of str, shape (n, factors)
            Rating factors (e.g. species group, county, age class).
        y : array_like
            Loss per exposure unit (>= 0).
        sample_weight : array_like or None
            Exposure.

        Returns
        -------
        TweedieRating
            The fitted estimator (``self``).

        Raises
        ------
        SpecError
            If ``power`` is outside (1, 2).
        """
        from sklearn.linear_model import TweedieRegressor
        from sklearn.preprocessing import OneHotEncoder

        if not 1.0 < self.power < 2.0:
            raise param_error("TweedieRating", "power", "a float in (1, 2)", self.power, "Use power=1.5.")
        names, data = self._as_array(X)
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False, drop=None)
        design = encoder.fit_transform(data)
        model = TweedieRegressor(power=self.power, link="log", alpha=self.alpha, max_iter=self.max_iter)
        model.fit(design, np.asarray(y, dtype=np.float64), sample_weight=sample_weight)
        self.encoder_ = encoder
        self.model_ = model
        self.feature_names_ = names
        self.n_features_in_ = len(names)
        return self

    @staticmethod
    def _as_array(X: Any) -> tuple[list[str], np.ndarray]:  # noqa: N803  # sklearn naming
        if isinstance(X, pl.DataFrame):
            return list(X.columns), X.cast(pl.String).to_numpy()
        arr = np.asarray(X).astype(str)
        if arr.ndim == 1:
            arr = arr[:, None]
        return [f"x{i}" for i in range(arr.shape[1])], arr

    def predict(self, X: Any) -> FloatArray:  # noqa: N803  # sklearn naming
        """Predicted pure premium per exposure unit.

        Parameters
        ----------
        X : polars.DataFrame or array_like
            Rating factors, same columns as in ``fit``.

        Returns
        -------
        numpy.ndarray of float64
            Predictions.
        """
        check_is_fitted(self, "model_")
        _, data = self._as_array(X)
        return np.asarray(self.model_.predict(self.encoder_.transform(data)), dtype=np.float64)

    def relativities(self) -> pl.DataFrame:
        """Multiplicative relativity ``exp(b)`` of each factor level, normalised to the first level.

        Returns
        -------
        polars.DataFrame
            ``factor``, ``level``, ``relativity``.
        """
        check_is_fitted(self, "model_")
        rows: list[dict[str, Any]] = []
        coef = np.asarray(self.model_.coef_)
        pos = 0
        for name, levels in zip(self.feature_names_, self.encoder_.categories_, strict=True):
            block = coef[pos : pos + len(levels)]
            pos += len(levels)
            for level, b in zip(levels, block, strict=True):
                rows.append({"factor": name, "level": str(level), "relativity": float(np.exp(b - block[0]))})
        return pl.DataFrame(rows)
