"""Reason codes (主要扣分原因) and counterfactuals, built from the per-feature points of the canonical path.

Texts are assembled column-wise in polars from small lookup tables (feature × bin), so explaining a
million rows builds no Python string per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from greenfin._typing import FloatArray, IntArray

BinText = tuple[IntArray, Sequence[Sequence[str]]]
"""Bin index of each row and feature (n_rows, n_features), and the bin labels of each feature."""


def _none(n: int) -> pl.Series:
    return pl.Series([None] * n, dtype=pl.String)


def _texts(
    j: IntArray,
    rows: IntArray,
    labels_en: Sequence[str],
    labels_zh: Sequence[str],
    values: np.ndarray[Any, Any] | BinText,
) -> tuple[pl.Series, pl.Series]:
    """Per-row prefixes ``label = value: -`` (en) and ``label（value）扣`` (zh) for feature ``j`` of each row."""
    if isinstance(values, tuple):
        codes, bin_labels = values
        sizes = np.asarray([len(b) for b in bin_labels], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        table_en = [f"{labels_en[f]} = {b}: -" for f, bl in enumerate(bin_labels) for b in bl]
        table_zh = [f"{labels_zh[f]}（{b}）扣" for f, bl in enumerate(bin_labels) for b in bl]
        key = pl.Series(offsets[j] + codes[rows, j])
        return pl.Series(table_en, dtype=pl.String).gather(key), pl.Series(table_zh, dtype=pl.String).gather(key)
    val = pl.Series(values[rows, j].astype(str))
    js = pl.Series(j)
    en = pl.Series(list(labels_en), dtype=pl.String).gather(js) + " = " + val + ": -"
    zh = pl.Series(list(labels_zh), dtype=pl.String).gather(js) + "（" + val + "）扣"
    return en, zh


def top_reasons(
    lost: FloatArray,
    features: Sequence[str],
    labels_en: Sequence[str],
    labels_zh: Sequence[str],
    values: np.ndarray[Any, Any] | BinText,
    n_reasons: int = 3,
) -> dict[str, Any]:
    """The ``n_reasons`` features that cost each row most points, as feature ids and en/zh texts.

    ``lost`` is (n_rows, n_features) points lost against the feature's best outcome (scorecard) or the
    points a feature's contribution removed (boosted); only positive losses are reasons. ``values``
    describes each row's value: an (n_rows, n_features) object array of texts, or bin codes with the
    bin labels of each feature.
    """
    n, k = lost.shape
    out: dict[str, Any] = {}
    order = np.zeros((n, 0), dtype=np.int64) if k == 0 else np.argsort(-lost, axis=1, kind="stable")
    rows = np.arange(n)
    feats = pl.Series(list(features), dtype=pl.String)
    for r in range(n_reasons):
        key = f"reason_{r + 1}"
        if r >= k:
            out[f"{key}_feature"], out[f"{key}_en"], out[f"{key}_zh"] = _none(n), _none(n), _none(n)
            out[f"{key}_points"] = np.zeros(n)
            continue
        j: IntArray = order[:, r]
        amount = lost[rows, j]
        has = pl.Series(amount > 1e-9)
        pts = pl.Series(np.round(amount, 0)).cast(pl.Int64).cast(pl.String)
        en, zh = _texts(j, rows, labels_en, labels_zh, values)
        out[f"{key}_feature"] = feats.gather(pl.Series(j)).zip_with(has, _none(n))
        out[f"{key}_en"] = (en + pts + " pts").zip_with(has, _none(n))
        out[f"{key}_zh"] = (zh + pts + "分").zip_with(has, _none(n))
        out[f"{key}_points"] = np.where(amount > 1e-9, amount, 0.0)
    return out


def counterfactuals(
    top_feature: IntArray,
    has: np.ndarray[Any, Any],
    gain: FloatArray,
    points: FloatArray,
    labels_en: Sequence[str],
    labels_zh: Sequence[str],
    targets: Sequence[str],
) -> tuple[pl.Series, pl.Series]:
    """English and Chinese hints: "changing X to Y would add Z points (to P)" / "若……可提升至……分".

    ``targets`` holds, per feature, the label of its best bin; ``top_feature`` the feature of each row.
    """
    js = pl.Series(top_feature)
    tgt = pl.Series(list(targets), dtype=pl.String).gather(js)
    return counterfactual_texts(top_feature, tgt, has, gain, points, labels_en, labels_zh)


def counterfactual_texts(
    top_feature: IntArray,
    target_text: pl.Series,
    has: np.ndarray[Any, Any],
    gain: FloatArray,
    points: FloatArray,
    labels_en: Sequence[str],
    labels_zh: Sequence[str],
) -> tuple[pl.Series, pl.Series]:
    """The counterfactual sentences for per-row targets (``target_text``: the value to move each row to)."""
    n = len(points)
    js = pl.Series(top_feature)
    lab_en = pl.Series(list(labels_en), dtype=pl.String).gather(js)
    lab_zh = pl.Series(list(labels_zh), dtype=pl.String).gather(js)
    gain_s = pl.Series(np.round(gain, 0)).cast(pl.Int64).cast(pl.String)
    new_s = pl.Series(np.round(points + gain, 0)).cast(pl.Int64).cast(pl.String)
    en = "Changing " + lab_en + " to " + target_text + " would add " + gain_s + " points (to " + new_s + ")"
    zh = "若" + lab_zh + "为" + target_text + "，可提升至" + new_s + "分（+" + gain_s + "分）"
    mask = pl.Series(np.asarray(has, dtype=bool))
    return en.zip_with(mask, _none(n)), zh.zip_with(mask, _none(n))
