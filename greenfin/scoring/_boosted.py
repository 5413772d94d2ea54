"""Gradient-boosted PD model (LightGBM) with small-sample defaults, monotone constraints and reasons."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from greenfin._typing import BoolArray, FloatArray
from greenfin.errors import param_error
from greenfin.scoring._binning import FeatureSpec, consent_mask
from greenfin.scoring._frame import Ingested, binary_target, ingest, small
from greenfin.scoring._governance import FeatureRegistry, default_registry, plan_features
from greenfin.scoring._manifest import build_manifest, now_utc
from greenfin.scoring._predictions import PointsPredictionsMixin
from greenfin.scoring._reasons import Texts, counterfactual_texts, reason_frame, top_reasons
from greenfin.scoring._scale import MasterScale, pd_from_points, scaling, scoring_params

__all__ = ["BoostedPD"]

_SIGN = {"ascending": 1, "descending": -1}


_MAX_CANDIDATES = 32  # values tried per feature for a counterfactual (bounds the extra predictions)

_SPLITS: weakref.WeakKeyDictionary[Any, dict[int, FloatArray]] = weakref.WeakKeyDictionary()
"""Split thresholds per booster: ``dump_model`` takes milliseconds, and a fitted booster never changes."""


class BoostedPD(PointsPredictionsMixin, ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn ships no type information
    """LightGBM probability-of-default model tuned for small credit samples.

    Defaults suit a few hundred to a few thousand rows (few leaves, a minimum number of rows per leaf,
    L2 regularisation, row and column subsampling) and training stops early on a stratified validation
    fold (``validation_fraction``), so the 700-row memorisation of LightGBM's defaults does not happen.
    Runs are seeded and ``deterministic=True``. Monotone constraints come from the same
    :class:`FeatureSpec` declarations as the scorecard (``ascending`` bad rate = +1). The raw score is the
    log-odds of bad; points use the same PDO scaling as :class:`Scorecard`, and reasons come from
    LightGBM's per-feature contributions (SHAP values), which sum to the raw score.

    Parameters
    ----------
    features : tuple of FeatureSpec or None
        Feature declarations (trend gives the monotone constraint; kind, order).
    n_estimators : int
        Maximum boosting rounds.
    learning_rate : float
        Shrinkage.
    num_leaves : int
        Leaves per tree.
    min_child_samples : int
        Minimum rows per leaf.
    reg_lambda : float
        L2 regularisation on leaf values.
    subsample : float
        Row subsampling per round (bagging).
    colsample : float
        Feature subsampling per tree.
    max_bin : int
        Histogram bins per feature.
    validation_fraction : float
        Share of rows held out (stratified) for early stopping.
    early_stopping_rounds : int
        Rounds without improvement before stopping.
    pdo, base_points, base_odds : float or None
        Points scaling (None: the house values).
    bad_label : object or None
        The bad class of ``y`` (None: the larger of the two sorted classes).
    registry : FeatureRegistry or None
        Feature-legality registry (None: the bundled one).
    assume_consent : bool
        Treat every row as consenting (demonstration data only).
    random_state : int
        Seed of the split, bagging and feature sampling.
    n_jobs : int
        LightGBM threads.
    master_scale : MasterScale or None
        PD to grade mapping (None: the house scale).

    Attributes
    ----------
    booster_ : lightgbm.Booster
        The trained booster.
    best_iteration_ : int
        Rounds kept after early stopping.
    train_auc_, valid_auc_ : float
        AUC on the training part and the validation fold (the gap is reported with every fit).
    manifest_ : dict
        Traceability record of the fit.
    """

    def __init__(
        self,
        *,
        features: tuple[FeatureSpec, ...] | None = None,
        n_estimators: int = 500,
        learning_rate: float = 0.05,
        num_leaves: int = 7,
        min_child_samples: int = 30,
        reg_lambda: float = 5.0,
        subsample: float = 0.8,
        colsample: float = 0.8,
        max_bin: int = 63,
        validation_fraction: float = 0.2,
        early_stopping_rounds: int = 30,
        pdo: float | None = None,
        base_points: float | None = None,
        base_odds: float | None = None,
        bad_label: Any = None,
        registry: FeatureRegistry | None = None,
        assume_consent: bool = False,
        random_state: int = 0,
        n_jobs: int = 1,
        master_scale: MasterScale | None = None,
    ) -> None:
        self.features = features
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.reg_lambda = reg_lambda
        self.subsample = subsample
        self.colsample = colsample
        self.max_bin = max_bin
        self.validation_fraction = validation_fraction
        self.early_stopping_rounds = early_stopping_rounds
        self.pdo = pdo
        self.base_points = base_points
        self.base_odds = base_odds
        self.bad_label = bad_label
        self.registry = registry
        self.assume_consent = assume_consent
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.master_scale = master_scale

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.classifier_tags.multi_class = False
        return tags

    def _check_params(self) -> None:
        owner = type(self).__name__
        checks = (
            ("n_estimators", int(self.n_estimators) >= 1, "an int >= 1", "Use e.g. 500."),
            ("learning_rate", 0 < float(self.learning_rate) <= 1, "a float in (0, 1]", "Use e.g. 0.05."),
            ("num_leaves", int(self.num_leaves) >= 2, "an int >= 2", "Use e.g. 7."),
            ("min_child_samples", int(self.min_child_samples) >= 1, "an int >= 1", "Use e.g. 30."),
            ("reg_lambda", float(self.reg_lambda) >= 0, "a float >= 0", "Use e.g. 5.0."),
            ("subsample", 0 < float(self.subsample) <= 1, "a float in (0, 1]", "Use e.g. 0.8."),
            ("colsample", 0 < float(self.colsample) <= 1, "a float in (0, 1]", "Use e.g. 0.8."),
            ("validation_fraction", 0 < float(self.validation_fraction) < 0.5, "a float in (0, 0.5)", "Use 0.2."),
        )
        for name, ok, expected, fix in checks:
            if not ok:
                raise param_error(owner, name, expected, getattr(self, name), fix)

    def _spec(self, name: str) -> FeatureSpec:
        for s in self.features or ():
            if s.name == name:
                return s
        return FeatureSpec(name=name)

    def _encode(self, data: Ingested) -> FloatArray:
        cols = []
        for f in self.features_:
            enc = self.encoding_[f]
            col = data.columns[f]
            if enc["kind"] == "numeric":
                if isinstance(col, pl.Series):
                    col = col.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy()
                x = np.asarray(col, dtype=np.float64).copy()
            else:
                s = col if isinstance(col, pl.Series) else pl.Series(np.asarray(col)).cast(pl.String)
                mapping = {c: float(i) for i, c in enumerate(enc["categories"])}
                if small(s.len()):  # a few rows: a dict lookup beats building a polars query
                    x = np.asarray([mapping.get(v, np.nan) for v in s.to_list()], dtype=np.float64)
                else:
                    x = s.replace_strict(mapping, default=None, return_dtype=pl.Float64).fill_null(np.nan).to_numpy()
                    x = np.asarray(x, dtype=np.float64)
            if enc["consent_column"] is not None:
                mask = consent_mask(data, enc["consent_column"])
                if mask is not None:
                    x[~mask] = np.nan
            cols.append(x)
        return np.column_stack(cols).astype(np.float64)

    def fit(self, X: Any, y: Any = None) -> BoostedPD:  # noqa: N803  # sklearn's name for the feature matrix
        """Train the booster with early stopping on a stratified validation fold.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like of shape (n_samples, n_features)
            Features (numeric or categorical, missing values allowed).
        y : array-like of shape (n_samples,)
            Binary target.

        Returns
        -------
        BoostedPD
            The fitted model.

        Raises
        ------
        SpecError
            For a bad parameter or a column the feature registry refuses.
        DataError
            For a target that is not binary.
        """
        import lightgbm as lgb

        started = now_utc()
        self._check_params()
        data = ingest(self, X, reset=True)
        classes, event, bad_index = binary_target(y, self.bad_label, type(self).__name__)
        if event.shape[0] != data.n_rows:
            raise ValueError(f"X has {data.n_rows} rows but y has {event.shape[0]}; pass matching X and y.")
        self.classes_, self.bad_index_ = classes, bad_index
        plan = plan_features(data.names, self.registry, assume_consent=self.assume_consent, owner="BoostedPD")
        self.features_ = plan.features
        self.encoding_: dict[str, dict[str, Any]] = {}
        monotone = []
        cat_idx = []
        for j, f in enumerate(self.features_):
            spec = self._spec(f)
            col = data.columns[f]
            kind = spec.kind if spec.kind != "auto" else ("categorical" if isinstance(col, pl.Series) else "numeric")
            order = spec.order or data.orders.get(f)
            enc: dict[str, Any] = {"kind": kind, "consent_column": plan.consent_column.get(f), "ordinal": False}
            if kind == "categorical":
                s = col if isinstance(col, pl.Series) else pl.Series(np.asarray(col)).cast(pl.String)
                seen = sorted(str(c) for c in s.drop_nulls().unique().to_list())
                if order is not None and spec.trend in _SIGN:
                    enc["categories"] = [*order, *[c for c in seen if c not in order]]
                    enc["ordinal"] = True
                else:
                    enc["categories"] = seen
                    cat_idx.append(j)
            monotone.append(_SIGN.get(spec.trend, 0) if (kind == "numeric" or enc["ordinal"]) else 0)
            self.encoding_[f] = enc
        zmat = self._encode(data)
        params = {
            "objective": "binary",
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "min_data_in_leaf": int(self.min_child_samples),
            "lambda_l2": float(self.reg_lambda),
            "bagging_fraction": float(self.subsample),
            "bagging_freq": 1 if float(self.subsample) < 1 else 0,
            "feature_fraction": float(self.colsample),
            "max_bin": int(self.max_bin),
            "min_data_in_bin": 3,
            "cat_smooth": 10.0,
            "cat_l2": 10.0,
            "max_cat_to_onehot": 4,
            "monotone_constraints": monotone,
            "monotone_constraints_method": "intermediate",
            "seed": int(self.random_state),
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": int(self.n_jobs),
            "verbosity": -1,
        }
        rows = np.arange(data.n_rows)
        n_minor = int(min(event.sum(), (~event).sum()))
        can_stop = n_minor * float(self.validation_fraction) >= 5
        if can_stop:
            tr, va = train_test_split(
                rows, test_size=float(self.validation_fraction), stratify=event, random_state=int(self.random_state)
            )
            tr, va = np.sort(tr), np.sort(va)
        else:
            tr, va = rows, rows[:0]
        dtrain = lgb.Dataset(zmat[tr], label=event[tr].astype(float), categorical_feature=cat_idx, free_raw_data=False)
        callbacks: list[Callable[..., Any]] = []
        valid_sets = []
        if can_stop:
            valid_sets = [lgb.Dataset(zmat[va], label=event[va].astype(float), reference=dtrain)]
            callbacks = [lgb.early_stopping(int(self.early_stopping_rounds), verbose=False)]
        booster = lgb.train(
            params, dtrain, num_boost_round=int(self.n_estimators), valid_sets=valid_sets, callbacks=callbacks
        )
        best = booster.best_iteration if can_stop and booster.best_iteration > 0 else booster.current_iteration()
        self.best_iteration_ = int(best)
        self.booster_ = lgb.Booster(model_str=booster.model_to_string(num_iteration=self.best_iteration_))
        self.lgb_params_ = dict(params)
        self.factor_, self.offset_ = scaling(*self._scaling_values())
        self.master_scale_ = self.master_scale if self.master_scale is not None else MasterScale.default()
        self.train_auc_ = _auc(event[tr], self._raw(zmat[tr]))
        self.valid_auc_ = _auc(event[va], self._raw(zmat[va])) if can_stop else float("nan")
        self.manifest_ = build_manifest(
            self,
            data,
            event,
            started=started,
            iterations=[
                {"step": "early_stopping", "best_iteration": self.best_iteration_, "validation_rows": int(va.size)},
                {"step": "train_valid_gap", "train_auc": self.train_auc_, "valid_auc": self.valid_auc_},
            ],
            feature_classes=plan.classes,
            assumed_consent=plan.assumed_consent,
        )
        return self

    def _scaling_values(self) -> tuple[float, float, float]:
        p = scoring_params()
        return (
            float(p.value("pdo") if self.pdo is None else self.pdo),
            float(p.value("base_points") if self.base_points is None else self.base_points),
            float(p.value("base_odds") if self.base_odds is None else self.base_odds),
        )

    def _predict(self, zmat: FloatArray, **kwargs: Any) -> FloatArray:
        """The booster's prediction; a small input runs on one thread (no OpenMP start-up, same numbers)."""
        threads: dict[str, Any] = {"num_threads": 1} if small(zmat.shape[0]) else {}
        return np.asarray(self.booster_.predict(zmat, **kwargs, **threads), dtype=np.float64)

    def _raw(self, zmat: FloatArray) -> FloatArray:
        if zmat.shape[0] == 0:
            return np.zeros(0)
        return self._predict(zmat, raw_score=True)

    def predict_points(self, X: Any) -> FloatArray:  # noqa: N803  # sklearn's name for the feature matrix
        """Points of each row (``offset - factor * log-odds of bad``).

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit.

        Returns
        -------
        numpy.ndarray of float64
            Points.
        """
        check_is_fitted(self, "booster_")
        raw = self._raw(self._encode(ingest(self, X, reset=False)))
        return np.asarray(self.offset_ - self.factor_ * raw, dtype=np.float64)

    def explain(self, X: Any, n_reasons: int = 3) -> pl.DataFrame:  # noqa: N803  # sklearn's name for the feature matrix
        """PD, points, grade and the top adverse reasons (en and zh) from per-feature contributions.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit.
        n_reasons : int
            Reasons per row.

        Returns
        -------
        polars.DataFrame
            Columns pd, points, grade, reason_k_feature, reason_k_en, reason_k_zh, reason_k_points,
            counterfactual_en, counterfactual_zh: the value of the top adverse feature (just past one of the
            booster's split thresholds, or another category) that adds the most points; null when no value
            adds half a point or more.
        """
        check_is_fitted(self, "booster_")
        return reason_frame(self._explain_columns(ingest(self, X, reset=False), n_reasons))

    def _explain_columns(self, data: Ingested, n_reasons: int) -> dict[str, Any]:
        """The columns of :meth:`explain` (text columns as lists for a small input)."""
        zmat = self._encode(data)
        contrib = self._predict(zmat, pred_contrib=True)
        raw = contrib.sum(axis=1)
        points = self.offset_ - self.factor_ * raw
        pd = pd_from_points(points, self.factor_, self.offset_)
        lost = self.factor_ * contrib[:, :-1]
        reg = self.registry if self.registry is not None else default_registry()
        feats = list(self.features_)
        labels_en, labels_zh = [reg.labels(f)[0] for f in feats], [reg.labels(f)[1] for f in feats]
        reasons = top_reasons(lost, feats, labels_en, labels_zh, self._value_texts(data), n_reasons)
        cf_en, cf_zh = self._counterfactuals(zmat, lost, points, labels_en, labels_zh)
        return {
            "pd": pd,
            "points": points,
            "grade": self.master_scale_.grade(pd),
            **reasons,
            "counterfactual_en": cf_en,
            "counterfactual_zh": cf_zh,
        }

    def _value_texts(self, data: Ingested) -> np.ndarray[Any, Any]:
        """Each row's value of each feature as reasons show it: polars' text, ``missing`` or ``not provided``."""
        feats = list(self.features_)
        text = np.empty((data.n_rows, len(feats)), dtype=object)
        cols = [data.columns[f] for f in feats]
        if small(data.n_rows):  # a few rows: one cast for all the numbers, the rest in Python
            numbers = [j for j, col in enumerate(cols) if not isinstance(col, pl.Series)]
            if numbers:
                flat = pl.Series(np.concatenate([cols[j] for j in numbers])).cast(pl.String).to_list()
                for i, j in enumerate(numbers):
                    text[:, j] = flat[i * data.n_rows : (i + 1) * data.n_rows]
            for j, col in enumerate(cols):
                if isinstance(col, pl.Series):
                    text[:, j] = col.cast(pl.String).to_list()
                text[:, j] = ["missing" if v is None else v for v in text[:, j].tolist()]
        else:
            for j, col in enumerate(cols):
                vals = col.cast(pl.String) if isinstance(col, pl.Series) else pl.Series(col).cast(pl.String)
                text[:, j] = np.asarray(vals.fill_null("missing").to_list(), dtype=object)
        for j, f in enumerate(feats):
            if self.encoding_[f]["consent_column"] is not None:
                mask = consent_mask(data, self.encoding_[f]["consent_column"])
                if mask is not None:
                    text[~mask, j] = "not provided"
        return text

    def _candidates(self, j: int, splits: dict[int, FloatArray]) -> tuple[FloatArray, list[str]]:
        """Values to try for feature ``j``: just either side of its split thresholds, or its categories."""
        f = self.features_[j]
        enc = self.encoding_[f]
        if enc["kind"] != "numeric":
            cats = [str(c) for c in enc["categories"]]
            return np.arange(len(cats), dtype=np.float64), cats
        thresholds = splits.get(j, np.zeros(0))
        if thresholds.size > _MAX_CANDIDATES // 2:
            pick = np.linspace(0, thresholds.size - 1, _MAX_CANDIDATES // 2).round().astype(int)
            thresholds = thresholds[np.unique(pick)]
        eps = 1e-6 * np.maximum(1.0, np.abs(thresholds))
        values = np.concatenate([thresholds - eps, thresholds + eps])
        labels = [f"below {t:.6g}" for t in thresholds] + [f"above {t:.6g}" for t in thresholds]
        return values, labels

    def _split_thresholds(self) -> dict[int, FloatArray]:
        """The sorted distinct thresholds of the numeric splits of each feature (read once per booster)."""
        splits = _SPLITS.get(self.booster_)
        if splits is None:
            splits = _SPLITS[self.booster_] = _booster_splits(self.booster_)
        return splits

    def _counterfactuals(
        self, zmat: FloatArray, lost: FloatArray, points: FloatArray, labels_en: list[str], labels_zh: list[str]
    ) -> tuple[Texts, Texts]:
        """For each row, the value of its top adverse feature that adds the most points, tried on the booster."""
        n = zmat.shape[0]
        gain = np.zeros(n)
        target = np.full(n, None, dtype=object)
        if n == 0 or lost.shape[1] == 0:
            return counterfactual_texts(np.zeros(n, dtype=np.int64), pl.Series(target, dtype=pl.String),
                                        np.zeros(n, dtype=bool), gain, points, labels_en, labels_zh)  # fmt: skip
        top = np.argmax(lost, axis=1)
        adverse = lost[np.arange(n), top] > 1e-9
        splits = self._split_thresholds()  # one walk over the trees for all features
        for j in np.unique(top[adverse]):
            rows = np.flatnonzero(adverse & (top == j))
            values, texts = self._candidates(int(j), splits)
            if values.size == 0:
                continue
            trial = np.repeat(zmat[rows], values.size, axis=0)
            trial[:, j] = np.tile(values, rows.size)
            new_points = (self.offset_ - self.factor_ * self._raw(trial)).reshape(rows.size, values.size)
            best = np.argmax(new_points, axis=1)
            gain[rows] = new_points[np.arange(rows.size), best] - points[rows]
            target[rows] = np.asarray(texts, dtype=object)[best]
        has = gain > 0.5  # at least half a point: smaller moves are not worth telling a borrower
        target_text: Texts = target.tolist() if small(n) else pl.Series(target, dtype=pl.String)
        return counterfactual_texts(top, target_text, has, gain, points, labels_en, labels_zh)


def _booster_splits(booster: Any) -> dict[int, FloatArray]:
    """Sorted distinct numeric split thresholds of each feature (by index) of a booster, from one walk of its trees.

    The arrays are read-only: they are shared through a cache.
    """
    out: list[tuple[float, int]] = []

    def walk(node: dict[str, Any]) -> None:
        if "split_feature" in node:
            if node.get("decision_type") == "<=":
                out.append((float(node["threshold"]), int(node["split_feature"])))
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    by_feature = {}
    for j in sorted({feat for _, feat in out}):
        thresholds = np.unique(np.asarray([t for t, feat in out if feat == j], dtype=np.float64))
        thresholds.flags.writeable = False
        by_feature[j] = thresholds
    return by_feature


def _auc(event: BoolArray, score: FloatArray) -> float:
    from sklearn.metrics import roc_auc_score

    if event.size == 0 or event.all() or not event.any():
        return float("nan")
    return float(roc_auc_score(event, score))
