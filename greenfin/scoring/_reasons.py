"""Reason codes (主要扣分原因) and counterfactuals, built from the per-feature points of the canonical path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from greenfin._typing import FloatArray, IntArray


def top_reasons(
    lost: FloatArray,
    features: Sequence[str],
    labels_en: Sequence[str],
    labels_zh: Sequence[str],
    value_text: np.ndarray[Any, Any],
    n_reasons: int = 3,
) -> dict[str, Any]:
    """The ``n_reasons`` features that cost each row most points, as feature ids and en/zh texts.

    ``lost`` is (n_rows, n_features) points lost against the feature's best outcome (scorecard) or the
    points a feature's contribution removed (boosted); only positive losses are reasons.
    ``value_text`` (n_rows, n_features, object) describes each row's value (its bin or value).
    """
    n, k = lost.shape
    out: dict[str, Any] = {}
    order = np.zeros((n, 0), dtype=np.int64) if k == 0 else np.argsort(-lost, axis=1, kind="stable")
    rows = np.arange(n)
    lab_en = np.asarray(list(labels_en), dtype=object)
    lab_zh = np.asarray(list(labels_zh), dtype=object)
    feats = np.asarray(list(features), dtype=object)
    for r in range(n_reasons):
        if r < k:
            j: IntArray = order[:, r]
            amount = lost[rows, j]
            has = amount > 1e-9
            pts = pl.Series(np.round(amount, 0)).cast(pl.Int64).cast(pl.String)
            val = pl.Series(value_text[rows, j].astype(str))
            en = pl.Series(lab_en[j].astype(str)) + " = " + val + ": -" + pts + " pts"
            zh = pl.Series(lab_zh[j].astype(str)) + "（" + val + "）扣" + pts + "分"
            mask = pl.Series(has)
            out[f"reason_{r + 1}_feature"] = pl.Series(feats[j].astype(str)).zip_with(
                mask, pl.Series([None] * n, dtype=pl.String)
            )
            out[f"reason_{r + 1}_en"] = en.zip_with(mask, pl.Series([None] * n, dtype=pl.String))
            out[f"reason_{r + 1}_zh"] = zh.zip_with(mask, pl.Series([None] * n, dtype=pl.String))
            out[f"reason_{r + 1}_points"] = np.where(has, amount, 0.0)
        else:
            out[f"reason_{r + 1}_feature"] = pl.Series([None] * n, dtype=pl.String)
            out[f"reason_{r + 1}_en"] = pl.Series([None] * n, dtype=pl.String)
            out[f"reason_{r + 1}_zh"] = pl.Series([None] * n, dtype=pl.String)
            out[f"reason_{r + 1}_points"] = np.zeros(n)
    return out


def counterfactuals(
    top_feature: IntArray,
    has: np.ndarray[Any, Any],
    gain: FloatArray,
    points: FloatArray,
    labels_en: Sequence[str],
    labels_zh: Sequence[str],
    target_text: np.ndarray[Any, Any],
) -> tuple[pl.Series, pl.Series]:
    """English and Chinese counterfactual hints: "changing X to Y would add Z points (to P)" / "若……可提升至……分"."""
    n = len(points)
    lab_en = np.asarray(list(labels_en), dtype=object)[top_feature].astype(str)
    lab_zh = np.asarray(list(labels_zh), dtype=object)[top_feature].astype(str)
    gain_s = pl.Series(np.round(gain, 0)).cast(pl.Int64).cast(pl.String)
    new_s = pl.Series(np.round(points + gain, 0)).cast(pl.Int64).cast(pl.String)
    tgt = pl.Series(target_text.astype(str))
    en = "Changing " + pl.Series(lab_en) + " to " + tgt + " would add " + gain_s + " points (to " + new_s + ")"
    zh = "若" + pl.Series(lab_zh) + "为" + tgt + "，可提升至" + new_s + "分（+" + gain_s + "分）"
    none = pl.Series([None] * n, dtype=pl.String)
    mask = pl.Series(np.asarray(has, dtype=bool))
    return en.zip_with(mask, none), zh.zip_with(mask, none)
