"""Segmented scorecards (farmer / cooperative / eco-business) on one common points scale."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from greenfin._typing import FloatArray
from greenfin.errors import DataError, param_error
from greenfin.scoring._frame import binary_target, ingest
from greenfin.scoring._manifest import build_manifest, now_utc
from greenfin.scoring._predictions import PointsPredictionsMixin
from greenfin.scoring._scorecard import Scorecard

__all__ = ["SegmentedScorecard"]


class SegmentedScorecard(PointsPredictionsMixin, ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn ships no type information
    """One scorecard per segment (e.g. ``borrower_type``), all on the template card's points scale.

    Every segment card uses the template's ``pdo``, ``base_points`` and ``base_odds``, so 600 points mean
    the same odds in every segment and scores can be compared and put on one master scale. A segment with
    fewer than ``min_segment_rows`` rows or fewer than ``min_segment_events`` bads (in fit), and any segment
    first seen at apply time, is scored by the pooled card fitted on all rows; ``segment_of_`` records
    which card each segment uses. With ``segment=None`` it is a single pooled card.

    Parameters
    ----------
    segment : str or None
        Column that names the segment (never a feature of the segment cards).
    scorecard : Scorecard or None
        Template card (None: ``Scorecard()``).
    min_segment_rows : int
        Minimum rows for a segment to get its own card.
    min_segment_events : int
        Minimum bads for a segment to get its own card.

    Attributes
    ----------
    cards_ : dict of str to Scorecard
        Card per segment with its own card.
    pooled_ : Scorecard
        Card for every other segment.
    """

    def __init__(
        self,
        *,
        segment: str | None = None,
        scorecard: Scorecard | None = None,
        min_segment_rows: int = 300,
        min_segment_events: int = 30,
    ) -> None:
        self.segment = segment
        self.scorecard = scorecard
        self.min_segment_rows = min_segment_rows
        self.min_segment_events = min_segment_events

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.classifier_tags.multi_class = False
        return tags

    def fit(self, X: Any, y: Any = None) -> SegmentedScorecard:  # noqa: N803  # sklearn's name for the feature matrix
        """Fit the pooled card and one card per large enough segment.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Features, including the ``segment`` column when one is named.
        y : array-like
            Binary target.

        Returns
        -------
        SegmentedScorecard
            The fitted model.

        Raises
        ------
        DataError
            If the segment column is missing or the target is not binary.
        """
        started = now_utc()
        if int(self.min_segment_rows) < 1:
            raise param_error(
                "SegmentedScorecard", "min_segment_rows", "an int >= 1", self.min_segment_rows, "Use 300."
            )
        template = self.scorecard if self.scorecard is not None else Scorecard()
        data = ingest(self, X, reset=True)
        classes, event, bad_index = binary_target(y, template.bad_label, type(self).__name__)
        self.classes_, self.bad_index_ = classes, bad_index
        frame = _as_polars(self, X)
        yy = np.asarray(y.to_numpy() if isinstance(y, pl.Series) else y).ravel()
        features = [c for c in frame.columns if c != self.segment]
        self.pooled_ = clone(template).fit(frame.select(features), yy)
        self.cards_: dict[str, Scorecard] = {}
        self.segment_of_: dict[str, str] = {}
        if self.segment is not None:
            if self.segment not in frame.columns:
                raise DataError(f"segment column {self.segment!r} is not in X; add it or set segment=None.")
            seg = frame[self.segment].cast(pl.String).fill_null("(missing)").to_numpy()
            for s in sorted(set(seg.tolist())):
                m = seg == s
                if (
                    m.sum() >= int(self.min_segment_rows)
                    and int(event[m].sum()) >= int(self.min_segment_events)
                    and (~event[m]).sum() >= int(self.min_segment_events)
                ):
                    self.cards_[s] = clone(template).fit(frame.filter(pl.Series(m)).select(features), yy[m])
                    self.segment_of_[s] = s
                else:
                    self.segment_of_[s] = "(pooled)"
        self.factor_, self.offset_ = self.pooled_.factor_, self.pooled_.offset_
        self.master_scale_ = self.pooled_.master_scale_
        self.manifest_ = build_manifest(
            self,
            data,
            event,
            started=started,
            iterations=[{"step": "segments", "segment_of": dict(self.segment_of_)}],
            feature_classes=self.pooled_.binner_.feature_classes_,
            assumed_consent=self.pooled_.binner_.assumed_consent_,
        )
        return self

    def _route(self, X: Any) -> tuple[pl.DataFrame, np.ndarray[Any, Any]]:  # noqa: N803  # sklearn's name for the feature matrix
        check_is_fitted(self, "pooled_")
        ingest(self, X, reset=False)
        frame = _as_polars(self, X)
        if self.segment is None or not self.cards_:
            return frame, np.full(frame.height, "(pooled)", dtype=object)
        seg = frame[self.segment].cast(pl.String).fill_null("(missing)").to_numpy()
        return frame, np.asarray([s if s in self.cards_ else "(pooled)" for s in seg.tolist()], dtype=object)

    def explain(self, X: Any, n_reasons: int = 3) -> pl.DataFrame:  # noqa: N803  # sklearn's name for the feature matrix
        """PD, points, grade, reasons and counterfactual from each row's segment card, plus the card used.

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit.
        n_reasons : int
            Reasons per row.

        Returns
        -------
        polars.DataFrame
            The columns of :meth:`Scorecard.explain` plus ``card``.
        """
        frame, route = self._route(X)
        parts = []
        order = []
        for card in sorted(set(route.tolist())):
            m = route == card
            model = self.pooled_ if card == "(pooled)" else self.cards_[card]
            parts.append(model.explain(frame.filter(pl.Series(m)), n_reasons).with_columns(pl.lit(card).alias("card")))
            order.append(np.flatnonzero(m))
        out = pl.concat(parts, how="vertical_relaxed")
        pos = np.empty(frame.height, dtype=np.int64)
        pos[np.concatenate(order)] = np.arange(frame.height)
        return out[pos]

    def predict_points(self, X: Any) -> FloatArray:  # noqa: N803  # sklearn's name for the feature matrix
        """Points of each row from its segment's card (common scale).

        Parameters
        ----------
        X : polars.DataFrame, pandas.DataFrame or array-like
            Same columns as in fit.

        Returns
        -------
        numpy.ndarray of float64
            Points.
        """
        frame, route = self._route(X)
        points = np.empty(frame.height, dtype=np.float64)
        for card in set(route.tolist()):
            m = route == card
            model = self.pooled_ if card == "(pooled)" else self.cards_[card]
            points[m] = model.predict_points(frame.filter(pl.Series(m)))
        return points


def _as_polars(est: Any, x_in: Any) -> pl.DataFrame:
    if isinstance(x_in, pl.DataFrame):
        return x_in
    names = [str(n) for n in getattr(est, "feature_names_in_", [])]
    if hasattr(x_in, "columns") and hasattr(x_in, "to_numpy") and not names:
        names = [str(c) for c in x_in.columns]
    arr = np.asarray(x_in.to_numpy() if hasattr(x_in, "to_numpy") else x_in, dtype=object)
    if arr.ndim != 2:
        raise ValueError("Expected 2D array, got 1D array instead; reshape your data.")
    if not names:
        names = [f"x{i}" for i in range(arr.shape[1])]
    cols = {}
    for j, n in enumerate(names):
        try:
            cols[n] = pl.Series(n, np.asarray(arr[:, j], dtype=np.float64))
        except (TypeError, ValueError):
            cols[n] = pl.Series(
                n, [None if v is None or v != v else str(v) for v in arr[:, j].tolist()], dtype=pl.String
            )
    return pl.DataFrame(cols)
