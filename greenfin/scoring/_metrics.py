"""Discrimination, calibration and stability metrics; PD calibration (Platt, isotonic)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from greenfin._typing import FloatArray
from greenfin.errors import DataError, SpecError
from greenfin.scoring._scale import MasterScale, scoring_params

__all__ = [
    "Calibration",
    "bootstrap_ci",
    "calibration_by_grade",
    "csi",
    "discrimination",
    "fit_calibration",
    "ks_statistic",
    "psi",
    "psi_by_segment",
]


def _binary(y: Any) -> np.ndarray[Any, Any]:
    arr = np.asarray(y.to_numpy() if isinstance(y, pl.Series) else y)
    if arr.dtype == bool:
        return arr
    uniq = np.unique(arr)
    if not set(uniq.tolist()) <= {0, 1}:
        raise DataError(f"the outcome must be 0/1 (1 = bad); got values {uniq[:5].tolist()}. Recode it.")
    return arr.astype(bool)


def ks_statistic(y: Any, pd: Any) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between the bad and good cumulative PD distributions.

    Parameters
    ----------
    y : array-like of {0, 1}
        Outcome, 1 = bad.
    pd : array-like of float
        Predicted PD (or any score increasing with risk).

    Returns
    -------
    float
        KS = max(TPR - FPR) over the ROC curve.

    Examples
    --------
    >>> ks_statistic([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    1.0
    """
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(_binary(y), np.asarray(pd, dtype=np.float64))
    return float(np.max(tpr - fpr))


def discrimination(y: Any, pd: Any) -> dict[str, float]:
    """AUC, Gini, KS and Brier score of PDs against outcomes.

    Parameters
    ----------
    y : array-like of {0, 1}
        Outcome, 1 = bad.
    pd : array-like of float
        Predicted PD.

    Returns
    -------
    dict
        ``auc``, ``gini`` (= 2 AUC - 1), ``ks``, ``brier``, ``n``, ``bad_rate``, ``mean_pd``.

    Examples
    --------
    >>> discrimination([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])["auc"]
    0.75
    """
    from sklearn.metrics import roc_auc_score

    yb = _binary(y)
    p = np.asarray(pd, dtype=np.float64)
    if yb.all() or not yb.any():
        raise DataError("discrimination needs both good and bad outcomes; the sample has only one class.")
    auc = float(roc_auc_score(yb, p))
    return {
        "auc": auc,
        "gini": 2.0 * auc - 1.0,
        "ks": ks_statistic(yb, p),
        "brier": float(np.mean((p - yb) ** 2)),
        "n": float(yb.size),
        "bad_rate": float(yb.mean()),
        "mean_pd": float(p.mean()),
    }


def bootstrap_ci(
    y: Any,
    pd: Any,
    metric: Callable[[Any, Any], float] | str = "auc",
    *,
    n_boot: int = 500,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Percentile bootstrap confidence interval of a metric (stratified: bads and goods resampled apart).

    Parameters
    ----------
    y : array-like of {0, 1}
        Outcome, 1 = bad.
    pd : array-like of float
        Predicted PD.
    metric : callable or {"auc", "gini", "ks", "brier"}
        The metric.
    n_boot : int
        Bootstrap replicates.
    level : float
        Confidence level.
    seed : int
        Seed of the resampling.

    Returns
    -------
    dict
        ``estimate``, ``lower``, ``upper``, ``sd``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> y = rng.random(400) < 0.3
    >>> ci = bootstrap_ci(y, y + rng.normal(0, 1, 400), n_boot=200)
    >>> ci["lower"] < ci["estimate"] < ci["upper"]
    True
    """
    yb = _binary(y)
    p = np.asarray(pd, dtype=np.float64)
    fn: Callable[[Any, Any], float]
    if isinstance(metric, str):
        if metric not in ("auc", "gini", "ks", "brier"):
            raise SpecError(f"bootstrap_ci metric {metric!r} is unknown; use auc, gini, ks, brier or a callable.")
        name = metric

        def fn(a: Any, b: Any) -> float:
            if name in ("auc", "gini"):
                auc = _rank_auc(np.asarray(a, dtype=bool), np.asarray(b, dtype=np.float64))
                return auc if name == "auc" else 2.0 * auc - 1.0
            return discrimination(a, b)[name]
    else:
        fn = metric
    rng = np.random.default_rng(seed)
    bad = np.flatnonzero(yb)
    good = np.flatnonzero(~yb)
    stats = np.empty(n_boot)
    for i in range(n_boot):
        idx = np.concatenate([rng.choice(bad, bad.size), rng.choice(good, good.size)])
        stats[i] = fn(yb[idx], p[idx])
    alpha = (1.0 - level) / 2.0
    return {
        "estimate": float(fn(yb, p)),
        "lower": float(np.quantile(stats, alpha)),
        "upper": float(np.quantile(stats, 1.0 - alpha)),
        "sd": float(stats.std(ddof=1)),
    }


def _rank_auc(y: np.ndarray[Any, Any], score: FloatArray) -> float:
    """AUC as the Mann-Whitney statistic on average ranks (ties count one half), as roc_auc_score."""
    from scipy.stats import rankdata

    ranks = rankdata(score)
    n1 = int(y.sum())
    n0 = y.size - n1
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0))


def calibration_by_grade(y: Any, pd: Any, master_scale: MasterScale | None = None) -> pl.DataFrame:
    """Observed vs predicted default rate per grade, with a two-sided exact binomial test.

    Parameters
    ----------
    y : array-like of {0, 1}
        Outcome, 1 = bad.
    pd : array-like of float
        Predicted PD.
    master_scale : MasterScale or None
        Grades (None: the house scale).

    Returns
    -------
    polars.DataFrame
        Grade, n, defaults, mean_pd, observed_rate, expected_defaults, p_value (binomial test of
        ``defaults ~ Binomial(n, mean_pd)``), and a Hosmer-Lemeshow-style chi-square contribution.
    """
    from scipy.stats import binomtest

    ms = master_scale if master_scale is not None else MasterScale.default()
    yb = _binary(y)
    p = np.asarray(pd, dtype=np.float64)
    grades = ms.grade(p)
    rows = []
    for g in ms.grades:
        m = grades == g
        n = int(m.sum())
        if n == 0:
            continue
        d = int(yb[m].sum())
        mp = float(p[m].mean())
        pv = float(binomtest(d, n, min(max(mp, 1e-12), 1 - 1e-12)).pvalue)
        chi = (d - n * mp) ** 2 / max(n * mp * (1 - mp), 1e-12)
        rows.append(
            {
                "grade": g,
                "n": n,
                "defaults": d,
                "mean_pd": mp,
                "observed_rate": d / n,
                "expected_defaults": n * mp,
                "p_value": pv,
                "chi2": chi,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "grade": pl.String,
            "n": pl.Int64,
            "defaults": pl.Int64,
            "mean_pd": pl.Float64,
            "observed_rate": pl.Float64,
            "expected_defaults": pl.Float64,
            "p_value": pl.Float64,
            "chi2": pl.Float64,
        },
    )


def psi(expected: Any, actual: Any, *, bins: int = 10, edges: Any = None) -> float:
    """Population stability index between a reference (expected) and a new (actual) sample.

    ``PSI = sum (a_i - e_i) ln(a_i / e_i)`` over bins set at the reference's deciles (or ``edges``);
    ``psi_epsilon`` from the scoring parameters is added to empty shares.

    Parameters
    ----------
    expected : array-like of float
        Reference values (e.g. validation-set PDs).
    actual : array-like of float
        New values.
    bins : int
        Number of quantile bins of the reference.
    edges : array-like or None
        Inner bin edges to use instead of quantiles.

    Returns
    -------
    float
        The PSI (0 = identical distributions).

    Examples
    --------
    >>> x = np.linspace(0, 1, 1000)
    >>> round(psi(x, x), 6)
    0.0
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    e, a = e[~np.isnan(e)], a[~np.isnan(a)]
    if e.size == 0 or a.size == 0:
        raise DataError("PSI needs non-empty reference and actual samples.")
    cut = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1])) if edges is None else np.asarray(edges)
    return _psi_counts(
        np.bincount(np.searchsorted(cut, e, side="right"), minlength=cut.size + 1),
        np.bincount(np.searchsorted(cut, a, side="right"), minlength=cut.size + 1),
    )


def _psi_counts(ce: np.ndarray[Any, Any], ca: np.ndarray[Any, Any]) -> float:
    eps = float(scoring_params().value("psi_epsilon"))
    pe = ce / max(ce.sum(), 1) + eps
    pa = ca / max(ca.sum(), 1) + eps
    return float(np.sum((pa - pe) * np.log(pa / pe)))


def csi(
    model: Any,
    expected_x: Any,
    actual_x: Any,
    *,
    expected_segment: Any = None,
    actual_segment: Any = None,
) -> pl.DataFrame:
    """Characteristic stability index: PSI of each selected feature's bins between two samples, by segment.

    Parameters
    ----------
    model : Scorecard
        A fitted scorecard (its bins define the categories).
    expected_x, actual_x : polars.DataFrame
        Reference and new samples with the model's columns.
    expected_segment, actual_segment : array-like or None
        Segment of each row of the two samples (county, borrower type, crop calendar); None: overall only.

    Returns
    -------
    polars.DataFrame
        Segment (``(all)`` first), feature, csi, status (stable / watch / act, from the sourced thresholds).
    """
    from greenfin.scoring._frame import ingest

    de = ingest(model, expected_x, reset=False)
    da = ingest(model, actual_x, reset=False)
    ie_all = model.binner_._indices(de, only=model.selected_)
    ia_all = model.binner_._indices(da, only=model.selected_)
    masks: list[tuple[str, Any, Any]] = [("(all)", np.ones(de.n_rows, bool), np.ones(da.n_rows, bool))]
    if expected_segment is not None and actual_segment is not None:
        se = np.asarray(expected_segment).astype(str)
        sa = np.asarray(actual_segment).astype(str)
        masks += [(g, se == g, sa == g) for g in sorted(set(se.tolist()) | set(sa.tolist()))]
    rows = []
    for seg, me, ma in masks:
        for f in model.selected_:
            size = len(model.binner_.bins_[f].all_labels())
            if not me.any() or not ma.any():
                value = float("nan")
            else:
                value = _psi_counts(
                    np.bincount(ie_all[f][me], minlength=size), np.bincount(ia_all[f][ma], minlength=size)
                )
            status = "n/a" if value != value else _status(value)
            rows.append({"segment": seg, "feature": f, "csi": value, "status": status})
    return pl.DataFrame(
        rows, schema={"segment": pl.String, "feature": pl.String, "csi": pl.Float64, "status": pl.String}
    )


def _status(value: float) -> str:
    p = scoring_params()
    if value < float(p.value("psi_watch")):
        return "stable"
    return "watch" if value < float(p.value("psi_act")) else "act"


def psi_by_segment(
    expected: Any, actual: Any, expected_segment: Any, actual_segment: Any, *, bins: int = 10
) -> pl.DataFrame:
    """PSI of a score overall and within each segment (county, borrower type, crop calendar, ...).

    Bins are the reference deciles of the whole reference sample, so segments are comparable.

    Parameters
    ----------
    expected, actual : array-like of float
        Reference and new scores.
    expected_segment, actual_segment : array-like
        Segment label of each row of the two samples.
    bins : int
        Quantile bins of the reference.

    Returns
    -------
    polars.DataFrame
        Segment, n_expected, n_actual, psi, status (the first row is ``(all)``).
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    se = np.asarray(expected_segment).astype(str)
    sa = np.asarray(actual_segment).astype(str)
    cut = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    rows = [{"segment": "(all)", "n_expected": e.size, "n_actual": a.size, "psi": psi(e, a, edges=cut)}]
    for s in sorted(set(se.tolist()) | set(sa.tolist())):
        me, ma = se == s, sa == s
        value = psi(e[me], a[ma], edges=cut) if me.any() and ma.any() else float("nan")
        rows.append({"segment": s, "n_expected": int(me.sum()), "n_actual": int(ma.sum()), "psi": value})
    out = pl.DataFrame(rows)
    return out.with_columns(
        pl.col("psi").map_elements(lambda v: "n/a" if v != v else _status(v), return_dtype=pl.String).alias("status")
    )


class Calibration(BaseModel):
    """A fitted PD calibration map (Platt: logistic on log-odds; isotonic: monotone step function).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.01, 0.5, 2000)
    >>> y = rng.random(2000) < np.clip(1.5 * p, 0, 1)
    >>> cal = fit_calibration(p, y, method="platt")
    >>> bool(abs(cal.apply(p).mean() - y.mean()) < 0.01)
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["platt", "isotonic"] = Field(description="platt or isotonic.")
    a: float = Field(default=1.0, description="Platt slope on the log-odds of the input PD.")
    b: float = Field(default=0.0, description="Platt intercept.")
    x: tuple[float, ...] = Field(default=(), description="Isotonic knots (input PD).")
    y: tuple[float, ...] = Field(default=(), description="Isotonic values (calibrated PD) at the knots.")

    def apply(self, pd: Any) -> FloatArray:
        """Calibrated PD.

        Parameters
        ----------
        pd : array-like of float
            Model PDs.

        Returns
        -------
        numpy.ndarray of float64
            Calibrated PDs.
        """
        p = np.clip(np.asarray(pd, dtype=np.float64), 1e-12, 1 - 1e-12)
        if self.method == "platt":
            z = self.a * np.log(p / (1 - p)) + self.b
            return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)
        return np.asarray(np.interp(p, np.asarray(self.x), np.asarray(self.y)), dtype=np.float64)


def fit_calibration(pd: Any, y: Any, *, method: Literal["platt", "isotonic"] = "platt") -> Calibration:
    """Fit a PD calibration on a hold-out sample (never on the model's own training rows).

    Parameters
    ----------
    pd : array-like of float
        Model PDs on the calibration sample.
    y : array-like of {0, 1}
        Outcomes, 1 = bad.
    method : {"platt", "isotonic"}
        Platt scaling (monotone, keeps ranking) or isotonic regression (monotone step, creates ties).

    Returns
    -------
    Calibration
        The map, JSON-serialisable.

    Raises
    ------
    SpecError
        For an unknown method.
    """
    yb = _binary(y)
    p = np.clip(np.asarray(pd, dtype=np.float64), 1e-12, 1 - 1e-12)
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        lo = np.log(p / (1 - p)).reshape(-1, 1)
        lr = LogisticRegression(C=1e6, max_iter=1000).fit(lo, yb)
        return Calibration(method="platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, yb.astype(float))
        return Calibration(
            method="isotonic",
            x=tuple(float(v) for v in iso.X_thresholds_),
            y=tuple(float(v) for v in iso.y_thresholds_),
        )
    raise SpecError(f"Calibration method {method!r} is unknown; use 'platt' or 'isotonic'.")
