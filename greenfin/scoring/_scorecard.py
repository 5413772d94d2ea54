"""The points scorecard: WOE binning + logistic regression + PDO scaling, with reasons from the same path."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from greenfin._typing import BoolArray, FloatArray, IntArray
from greenfin.errors import param_error
from greenfin.scoring._binning import FeatureBins, WoEBinner
from greenfin.scoring._frame import Ingested, binary_target, ingest
from greenfin.scoring._governance import default_registry
from greenfin.scoring._manifest import build_manifest, now_utc
from greenfin.scoring._predictions import PointsPredictionsMixin
from greenfin.scoring._reasons import Texts, counterfactuals, reason_frame, top_reasons
from greenfin.scoring._scale import MasterScale, pd_from_points, scaling, scoring_params

__all__ = ["Scorecard"]


class Scorecard(PointsPredictionsMixin, ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn ships no type information
    """A points scorecard: WOE binning, logistic regression and PDO scaling (评分卡).

    Fit bins every feature (:class:`WoEBinner`, which applies the feature-legality registry), keeps
    features with IV at least ``min_iv`` and WOE correlation below ``max_corr`` (highest IV first;
    optionally forward stepwise by BIC), fits a logistic regression on the WOE of the bad outcome and
    drops any feature whose coefficient has the wrong sign. Points are
    ``base_points_ + sum of bin points``, with bin points ``-factor * coef * woe`` and
    ``factor = pdo / ln 2``; PD is computed from the points
    (``PD = 1 / (1 + exp((points - offset) / factor))``), so ranking by points and by PD is identical.

    Parameters
    ----------
    binner : WoEBinner or None
        Binning settings, feature declarations and governance (None: ``WoEBinner()`` defaults).
    pdo : float or None
        Points to double the good:bad odds (None: the sourced house value, 20).
    base_points : float or None
        Points at ``base_odds`` (None: 600).
    base_odds : float or None
        Good:bad odds at ``base_points`` (None: 19).
    min_iv : float
        Minimum information value of a selected feature.
    max_corr : float
        Maximum absolute WOE correlation between selected features.
    stepwise : bool
        Forward stepwise selection by BIC after the IV and correlation filters.
    max_features : int or None
        Cap on the number of selected features.
    C : float
        Inverse L2 regularisation strength of the logistic regression.
    bad_label : object or None
        The class of ``y`` that is the bad outcome (None: the larger of the two sorted classes).
    master_scale : MasterScale or None
        PD to grade mapping (None: the house scale).

    Attributes
    ----------
    classes_ : numpy.ndarray
        The two classes.
    binner_ : WoEBinner
        The fitted binner.
    selected_ : tuple of str
        Features in the card.
    coef_ : numpy.ndarray
        Logistic coefficients on WOE of ``selected_``.
    intercept_ : float
        Logistic intercept (log-odds of bad).
    base_points_ : float
        Points every borrower starts with.
    manifest_ : dict
        Traceability record of the fit.

    Examples
    --------
    >>> from greenfin.datasets import load_sample
    >>> df = load_sample("county_borrowers")
    >>> X = df.select("loan_amount_cny", "past_delinquencies", "operating_years", "eco_points")
    >>> card = Scorecard().fit(X, df["default_flag"])
    >>> out = card.explain(X.head(2))
    >>> out.columns[:4]
    ['pd', 'points', 'grade', 'reason_1_feature']
    """

    def __init__(
        self,
        *,
        binner: WoEBinner | None = None,
        pdo: float | None = None,
        base_points: float | None = None,
        base_odds: float | None = None,
        min_iv: float = 0.02,
        max_corr: float = 0.7,
        stepwise: bool = False,
        max_features: int | None = None,
        C: float = 1.0,  # noqa: N803  # sklearn's name for the regularisation parameter
        bad_label: Any = None,
        master_scale: MasterScale | None = None,
    ) -> None:
        self.binner = binner
        self.pdo = pdo
        self.base_points = base_points
        self.base_odds = base_odds
        self.min_iv = min_iv
        self.max_corr = max_corr
        self.stepwise = stepwise
        self.max_features = max_features
        self.C = C
        self.bad_label = bad_label
        self.master_scale = master_scale

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.classifier_tags.multi_class = False
        return tags

    def _scaling_values(self) -> tuple[float, float, float]:
        p = scoring_params()
        pdo = float(p.value("pdo") if self.pdo is None else self.pdo)
        bp = float(p.value("base_points") if self.base_points is None else self.base_points)
        bo = float(p.value("base_odds") if self.base_odds is None else self.base_odds)
        return pdo, bp, bo

    def _check_params(self) -> None:
        owner = type(self).__name__
        if not float(self.min_iv) >= 0.0:
            raise param_error(owner, "min_iv", "a float >= 0", self.min_iv, "Use e.g. min_iv=0.02.")
        if not 0.0 < float(self.max_corr) <= 1.0:
            raise param_error(owner, "max_corr", "a float in (0, 1]", self.max_corr, "Use e.g. max_corr=0.7.")
        if not float(self.C) > 0:
            raise param_error(owner, "C", "a float in (0, inf)", self.C, "Use e.g. C=1.0.")
        if self.max_features is not None and int(self.max_features) < 1:
            raise param_error(owner, "max_features", "None or an int >= 1", self.max_features, "Use None.")
        if self.binner is not None and not isinstance(self.binner, WoEBinner):
            raise param_error(owner, "binner", "a WoEBinner or None", self.binner, "Pass WoEBinner(...).")

    def fit(self, X: Any, y: Any = None) -> Scorecard:  # noqa: N803  # sklearn's name for the feature matrix
        """Fit binning, selection, logistic regression and points.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like of shape (n_samples, n_features)
            Features (numeric or categorical, missing values allowed).
        y : array-like of shape (n_samples,)
            Binary target (0/1 or two labels; ``bad_label`` names the bad one).

        Returns
        -------
        Scorecard
            The fitted card.

        Raises
        ------
        SpecError
            For a bad parameter or a column the feature registry refuses.
        DataError
            For a target with one class or more than two classes.
        """
        started = now_utc()
        self._check_params()
        factor, offset = scaling(*self._scaling_values())
        data = ingest(self, X, reset=True)
        classes, event, bad_index = binary_target(y, self.bad_label, type(self).__name__)
        if event.shape[0] != data.n_rows:
            raise ValueError(f"X has {data.n_rows} rows but y has {event.shape[0]}; pass matching X and y.")
        self.classes_ = classes
        self.bad_index_ = bad_index
        binner = clone(self.binner) if self.binner is not None else WoEBinner()
        binner.set_params(bad_label=None)
        binner.n_features_in_ = self.n_features_in_
        if hasattr(self, "feature_names_in_"):
            binner.feature_names_in_ = self.feature_names_in_
        binner._fit_ingested(data, event)
        self.binner_ = binner
        idx = binner._indices(data)
        iterations: list[dict[str, Any]] = [{"step": "binning", **r} for r in binner.trend_report_.to_dicts()]
        selected = self._select(binner, idx, event, iterations)
        self._fit_lr(binner, idx, event, selected, iterations)
        self.factor_, self.offset_ = factor, offset
        self.base_points_ = float(offset - factor * self.intercept_)
        self.bin_points_ = {
            f: -factor * float(c) * binner.bins_[f].table_woe() for f, c in zip(self.selected_, self.coef_, strict=True)
        }
        self.master_scale_ = self.master_scale if self.master_scale is not None else MasterScale.default()
        self.manifest_ = build_manifest(
            self,
            data,
            event,
            started=started,
            iterations=iterations,
            feature_classes=binner.feature_classes_,
            assumed_consent=binner.assumed_consent_,
        )
        return self

    def _woe(self, binner: WoEBinner, idx: dict[str, IntArray], names: list[str] | tuple[str, ...]) -> FloatArray:
        if not names:
            return np.zeros((len(next(iter(idx.values()))) if idx else 0, 0))
        return np.column_stack([binner.bins_[f].table_woe()[idx[f]] for f in names]).astype(np.float64)

    def _select(
        self, binner: WoEBinner, idx: dict[str, IntArray], event: BoolArray, iterations: list[dict[str, Any]]
    ) -> list[str]:
        ranked = sorted(binner.features_, key=lambda f: -binner.bins_[f].iv)
        candidates = []
        for f in ranked:
            if binner.bins_[f].iv < float(self.min_iv) or binner.bins_[f].k < 1:
                iterations.append({"step": "drop", "feature": f, "reason": f"IV {binner.bins_[f].iv:.4f} < min_iv"})
            else:
                candidates.append(f)
        kept: list[str] = []
        if candidates:
            wmat = self._woe(binner, idx, candidates)
            sd = wmat.std(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                corr = np.nan_to_num(np.corrcoef(wmat, rowvar=False).reshape(len(candidates), len(candidates)))
            for j, f in enumerate(candidates):
                if sd[j] == 0:
                    iterations.append({"step": "drop", "feature": f, "reason": "constant WOE"})
                    continue
                clash = None
                for g in kept:
                    r = float(corr[j, candidates.index(g)])
                    if abs(r) >= float(self.max_corr):
                        clash = (g, r)
                        break
                if clash is not None:
                    iterations.append(
                        {"step": "drop", "feature": f, "reason": f"WOE correlation {clash[1]:.2f} with {clash[0]}"}
                    )
                    continue
                kept.append(f)
        if self.stepwise and kept:
            kept = self._stepwise(binner, idx, event, kept, iterations)
        if self.max_features is not None and len(kept) > int(self.max_features):
            for f in kept[int(self.max_features) :]:
                iterations.append({"step": "drop", "feature": f, "reason": "beyond max_features"})
            kept = kept[: int(self.max_features)]
        return kept

    def _lr(self, tol: float = 1e-8) -> LogisticRegression:
        # newton-cholesky: a few Newton steps, fast for many rows and few WOE columns
        return LogisticRegression(C=float(self.C), max_iter=1000, tol=tol, solver="newton-cholesky")

    def _stepwise(
        self,
        binner: WoEBinner,
        idx: dict[str, IntArray],
        event: BoolArray,
        pool: list[str],
        iterations: list[dict[str, Any]],
    ) -> list[str]:
        n = len(event)
        p = float(event.mean())
        best_bic = -2 * n * (p * np.log(p) + (1 - p) * np.log(1 - p))
        chosen: list[str] = []
        remaining = list(pool)
        while remaining:
            scores = []
            for f in remaining:
                wmat = self._woe(binner, idx, [*chosen, f])
                lr = self._lr(tol=1e-5).fit(wmat, event)
                q = np.clip(lr.predict_proba(wmat)[:, 1], 1e-12, 1 - 1e-12)
                ll = float(np.sum(event * np.log(q) + (~event) * np.log(1 - q)))
                scores.append((-2 * ll + (len(chosen) + 2) * np.log(n), f))
            bic, f = min(scores)
            if bic >= best_bic:
                break
            best_bic = bic
            chosen.append(f)
            remaining.remove(f)
            iterations.append({"step": "stepwise_add", "feature": f, "bic": bic})
        for f in remaining:
            iterations.append({"step": "drop", "feature": f, "reason": "not added by forward stepwise (BIC)"})
        return chosen

    def _fit_lr(
        self,
        binner: WoEBinner,
        idx: dict[str, IntArray],
        event: BoolArray,
        selected: list[str],
        iterations: list[dict[str, Any]],
    ) -> None:
        sel = list(selected)
        while sel:
            wmat = self._woe(binner, idx, sel)
            lr = self._lr().fit(wmat, event)
            coef = lr.coef_[0]
            if np.all(coef > 0):
                self.selected_ = tuple(sel)
                self.coef_ = coef.astype(np.float64)
                self.intercept_ = float(lr.intercept_[0])
                return
            j = int(np.argmin(coef))
            iterations.append(
                {"step": "drop", "feature": sel[j], "reason": f"wrong-sign coefficient {coef[j]:.4f} (must be > 0)"}
            )
            del sel[j]
        p = float(np.clip(event.mean(), 1e-9, 1 - 1e-9))
        self.selected_ = ()
        self.coef_ = np.zeros(0)
        self.intercept_ = float(np.log(p / (1 - p)))
        iterations.append({"step": "intercept_only", "reason": "no feature passed selection"})

    # ---- the canonical scoring path -------------------------------------------------------------
    def _points(self, data: Ingested) -> tuple[FloatArray, dict[str, IntArray]]:
        idx = self.binner_._indices(data, only=self.selected_)
        points = np.full(data.n_rows, self.base_points_, dtype=np.float64)
        for f in self.selected_:
            points += self.bin_points_[f][idx[f]]
        return points, idx

    def predict_points(self, X: Any) -> FloatArray:  # noqa: N803  # sklearn's name for the feature matrix
        """Points of each row (higher is safer).

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit (a polars frame may carry extra columns).

        Returns
        -------
        numpy.ndarray of float64
            Points (unrounded, so that points and PD rank rows identically).
        """
        check_is_fitted(self, "bin_points_")
        return self._points(ingest(self, X, reset=False))[0]

    def explain(self, X: Any, n_reasons: int = 3) -> pl.DataFrame:  # noqa: N803  # sklearn's name for the feature matrix
        """PD, points, grade, top adverse reasons (en, 主要扣分原因) and a counterfactual for each row.

        Reasons are the features whose bin cost the row most points against the feature's best bin,
        taken from the same bin points that sum to the score.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit.
        n_reasons : int
            Number of reasons per row.

        Returns
        -------
        polars.DataFrame
            Columns pd, points, grade, reason_k_feature, reason_k_en, reason_k_zh, reason_k_points
            (k = 1..n_reasons), counterfactual_en, counterfactual_zh.
        """
        check_is_fitted(self, "bin_points_")
        return reason_frame(self._explain_columns(ingest(self, X, reset=False), n_reasons))

    def _explain_columns(self, data: Ingested, n_reasons: int) -> dict[str, Any]:
        """The columns of :meth:`explain` (text columns as lists for a small input)."""
        points, idx = self._points(data)
        pd = pd_from_points(points, self.factor_, self.offset_)
        reg = self.binner_.registry if self.binner_.registry is not None else default_registry()
        feats = list(self.selected_)
        n = data.n_rows
        lost = np.zeros((n, len(feats)))
        codes = np.zeros((n, len(feats)), dtype=np.int64)
        bin_labels: list[list[str]] = []
        best_label: list[str] = []
        for j, f in enumerate(feats):
            b: FeatureBins = self.binner_.bins_[f]
            pts = self.bin_points_[f]
            real = _real_bins(b)
            best = int(real[np.argmax(pts[real])])
            is_real = np.zeros(pts.size, dtype=bool)
            is_real[real] = True
            lost[:, j] = np.where(is_real[idx[f]], pts[best] - pts[idx[f]], 0.0)
            codes[:, j] = idx[f]
            bin_labels.append(b.all_labels())
            best_label.append(b.all_labels()[best])
        en_labels = [reg.labels(f)[0] for f in feats]
        zh_labels = [reg.labels(f)[1] for f in feats]
        reasons = top_reasons(lost, feats, en_labels, zh_labels, (codes, bin_labels), n_reasons)
        cf_en: Texts
        cf_zh: Texts
        if feats:
            top = np.argmax(lost, axis=1)
            gain = lost[np.arange(n), top]
            cf_en, cf_zh = counterfactuals(top, gain > 1e-9, gain, points, en_labels, zh_labels, best_label)
        else:
            cf_en = cf_zh = [None] * n
        return {
            "pd": pd,
            "points": points,
            "grade": self.master_scale_.grade(pd),
            **reasons,
            "counterfactual_en": cf_en,
            "counterfactual_zh": cf_zh,
        }

    def points_table(self) -> pl.DataFrame:
        """The points table: base points and the points of every bin of every selected feature.

        Returns
        -------
        polars.DataFrame
            Columns feature, bin, label, n, event_rate, woe, points.
        """
        check_is_fitted(self, "bin_points_")
        frames = [
            pl.DataFrame(
                {
                    "feature": ["(base points)"],
                    "bin": [-1],
                    "label": [""],
                    "n": [None],
                    "event_rate": [None],
                    "woe": [None],
                    "points": [self.base_points_],
                },
                schema={
                    "feature": pl.String,
                    "bin": pl.Int64,
                    "label": pl.String,
                    "n": pl.Int64,
                    "event_rate": pl.Float64,
                    "woe": pl.Float64,
                    "points": pl.Float64,
                },
            )
        ]
        for f in self.selected_:
            t = self.binner_.binning_table(f)
            frames.append(
                t.select("feature", "bin", "label", "n", "event_rate", "woe").with_columns(
                    pl.Series("points", self.bin_points_[f])
                )
            )
        return pl.concat(frames)


def _real_bins(b: FeatureBins) -> IntArray:
    """Bin indices that are real outcomes (regular, observed missing and special bins)."""
    real = list(range(b.k))
    if b.missing_n > 0:
        real.append(b.k)
    real += [b.k + 1 + j for j, c in enumerate(b.special_n) if c > 0]
    return np.asarray(real or [b.k], dtype=np.int64)
