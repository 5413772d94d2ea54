"""Segmented scorecards (farmer / cooperative / eco-business) on one common points scale."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from greenfin._typing import FloatArray
from greenfin.errors import DataError, param_error
from greenfin.scoring._frame import Ingested, binary_target, ingest, select_rows, small
from greenfin.scoring._manifest import build_manifest, now_utc
from greenfin.scoring._predictions import PointsPredictionsMixin
from greenfin.scoring._reasons import reason_frame
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

    def _checked_frame(self, X: Any) -> tuple[pl.DataFrame, Ingested]:  # noqa: N803  # sklearn's name for the feature matrix
        check_is_fitted(self, "pooled_")
        data = ingest(self, X, reset=False)
        frame = _as_polars(self, X)
        return frame, data

    def _segments(self, frame: pl.DataFrame) -> list[str | None] | None:
        """The segment of each row as text (None where missing), or None when every row takes the pooled card."""
        if self.segment is None or not self.cards_:
            return None
        return list(frame[self.segment].cast(pl.String).to_list())

    def _routes(self, segments: list[str | None] | None, n_rows: int) -> list[str]:
        """The card of each row: its segment's own card, else ``(pooled)`` (missing segment: ``(missing)``)."""
        if segments is None:
            return ["(pooled)"] * n_rows
        named = ("(missing)" if s is None else s for s in segments)
        return [s if s in self.cards_ else "(pooled)" for s in named]

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
        frame, data = self._checked_frame(X)
        if frame.height > 0 and small(frame.height):
            if frame is not X:  # numpy or pandas input: the cards read the columns of the polars frame
                data = ingest(self, frame, reset=False)
            return reason_frame(self._explain_columns(data, n_reasons, self._segments(frame)))
        route = np.asarray(self._routes(self._segments(frame), frame.height), dtype=object)
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

    def _explain_columns(
        self, data: Ingested, n_reasons: int, segments: list[str | None] | None = None
    ) -> dict[str, Any]:
        """The columns of :meth:`explain` for a small input, row by row with each row's card, merged in Python.

        ``segments`` is the segment text of each row (default: read from the segment column of ``data``,
        a String series for a validated record).
        """
        if segments is None and self.segment is not None and self.cards_:
            col = data.columns[self.segment]
            segments = (col if isinstance(col, pl.Series) else pl.Series(col)).cast(pl.String).to_list()
        route = self._routes(segments, data.n_rows)
        out: dict[str, Any] = {}
        for card in sorted(set(route)):
            rows = np.asarray([i for i, c in enumerate(route) if c == card], dtype=np.int64)
            model = self.pooled_ if card == "(pooled)" else self.cards_[card]
            part = model._explain_columns(data if rows.size == data.n_rows else select_rows(data, rows), n_reasons)
            part["card"] = [card] * rows.size
            for name, col in part.items():
                if isinstance(col, np.ndarray) and col.dtype.kind == "f":
                    out.setdefault(name, np.empty(data.n_rows))[rows] = col
                    continue
                merged = out.setdefault(name, [None] * data.n_rows)
                for i, value in zip(rows.tolist(), list(col), strict=True):
                    merged[i] = value
        return out

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
        frame, _ = self._checked_frame(X)
        route = np.asarray(self._routes(self._segments(frame), frame.height), dtype=object)
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
