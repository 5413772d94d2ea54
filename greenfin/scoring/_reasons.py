"""Reason codes (主要扣分原因) and counterfactuals, built from the per-feature points of the canonical path.

Texts are assembled column-wise in polars from small lookup tables (feature × bin), so explaining a
million rows builds no Python string per row. Up to ``SMALL_ROWS`` rows (one API request) the same texts
are built with ``str`` formatting instead, since every polars query has a fixed cost of about 0.1 ms; the
text columns are then lists. :func:`reason_frame` turns either kind into the output frame and
:func:`first_row` reads one row without building a frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import polars as pl

from greenfin._typing import FloatArray, IntArray
from greenfin.scoring._frame import small

BinText = tuple[IntArray, Sequence[Sequence[str]]]
"""Bin index of each row and feature (n_rows, n_features), and the bin labels of each feature."""

Texts: TypeAlias = "pl.Series | list[str | None]"
"""A text column: a polars String series, or a list of str / None for a small input (see ``SMALL_ROWS``)."""


def _none(n: int) -> pl.Series:
    return pl.Series([None] * n, dtype=pl.String)


def _int_text(x: float) -> str:
    """``x`` (already rounded) as polars writes it after a cast to Int64 and then to String."""
    return str(int(x))


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


def _row_value(values: np.ndarray[Any, Any] | BinText, row: int, j: int) -> str:
    """The value text of feature ``j`` in ``row``: its bin label, or its text (as ``numpy.astype(str)``)."""
    if isinstance(values, tuple):
        codes, bin_labels = values
        return bin_labels[j][int(codes[row, j])]
    return str(values[row, j])


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
    bin labels of each feature. Text columns are polars String series, or lists for a small input.
    """
    n, k = lost.shape
    out: dict[str, Any] = {}
    order = np.zeros((n, 0), dtype=np.int64) if k == 0 else np.argsort(-lost, axis=1, kind="stable")
    rows = np.arange(n)
    few = small(n)
    for r in range(n_reasons):
        key = f"reason_{r + 1}"
        if r >= k:
            none: Texts = [None] * n if few else _none(n)
            out[f"{key}_feature"], out[f"{key}_en"], out[f"{key}_zh"] = none, none, none
            out[f"{key}_points"] = np.zeros(n)
            continue
        j: IntArray = order[:, r]
        amount = lost[rows, j]
        if few:  # a few rows: the same texts with str formatting, no polars query
            feature_col: list[str | None] = []
            en_col: list[str | None] = []
            zh_col: list[str | None] = []
            for i, (jj, a, pts) in enumerate(
                zip(j.tolist(), amount.tolist(), np.round(amount, 0).tolist(), strict=True)
            ):
                if a > 1e-9:
                    value, lost_text = _row_value(values, i, jj), _int_text(pts)
                    feature_col.append(features[jj])
                    en_col.append(f"{labels_en[jj]} = {value}: -{lost_text} pts")
                    zh_col.append(f"{labels_zh[jj]}（{value}）扣{lost_text}分")
                else:
                    feature_col.append(None)
                    en_col.append(None)
                    zh_col.append(None)
            out[f"{key}_feature"], out[f"{key}_en"], out[f"{key}_zh"] = feature_col, en_col, zh_col
        else:
            has = pl.Series(amount > 1e-9)
            pts_s = pl.Series(np.round(amount, 0)).cast(pl.Int64).cast(pl.String)
            en, zh = _texts(j, rows, labels_en, labels_zh, values)
            feats = pl.Series(list(features), dtype=pl.String)
            out[f"{key}_feature"] = feats.gather(pl.Series(j)).zip_with(has, _none(n))
            out[f"{key}_en"] = (en + pts_s + " pts").zip_with(has, _none(n))
            out[f"{key}_zh"] = (zh + pts_s + "分").zip_with(has, _none(n))
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
) -> tuple[Texts, Texts]:
    """English and Chinese hints: "changing X to Y would add Z points (to P)" / "若……可提升至……分".

    ``targets`` holds, per feature, the label of its best bin; ``top_feature`` the feature of each row.
    """
    tgt: Texts
    if small(len(points)):
        tgt = [targets[j] for j in top_feature.tolist()]
    else:
        tgt = pl.Series(list(targets), dtype=pl.String).gather(pl.Series(top_feature))
    return counterfactual_texts(top_feature, tgt, has, gain, points, labels_en, labels_zh)


def counterfactual_texts(
    top_feature: IntArray,
    target_text: Texts,
    has: np.ndarray[Any, Any],
    gain: FloatArray,
    points: FloatArray,
    labels_en: Sequence[str],
    labels_zh: Sequence[str],
) -> tuple[Texts, Texts]:
    """The counterfactual sentences for per-row targets (``target_text``: the value to move each row to)."""
    n = len(points)
    gain_r, new_r = np.round(gain, 0), np.round(points + gain, 0)
    mask = np.asarray(has, dtype=bool)
    if small(n):  # a few rows: str formatting, no polars query (a null target gives a null text, as in polars)
        targets = target_text.to_list() if isinstance(target_text, pl.Series) else target_text
        en: list[str | None] = []
        zh: list[str | None] = []
        for j, t, m, g, p in zip(
            top_feature.tolist(), targets, mask.tolist(), gain_r.tolist(), new_r.tolist(), strict=True
        ):
            if not m or t is None:
                en.append(None)
                zh.append(None)
                continue
            g_text, p_text = _int_text(g), _int_text(p)
            en.append(f"Changing {labels_en[j]} to {t} would add {g_text} points (to {p_text})")
            zh.append(f"若{labels_zh[j]}为{t}，可提升至{p_text}分（+{g_text}分）")
        return en, zh
    tgt = target_text if isinstance(target_text, pl.Series) else pl.Series(target_text, dtype=pl.String)
    js = pl.Series(top_feature)
    lab_en = pl.Series(list(labels_en), dtype=pl.String).gather(js)
    lab_zh = pl.Series(list(labels_zh), dtype=pl.String).gather(js)
    gain_s = pl.Series(gain_r).cast(pl.Int64).cast(pl.String)
    new_s = pl.Series(new_r).cast(pl.Int64).cast(pl.String)
    en_s = "Changing " + lab_en + " to " + tgt + " would add " + gain_s + " points (to " + new_s + ")"
    zh_s = "若" + lab_zh + "为" + tgt + "，可提升至" + new_s + "分（+" + gain_s + "分）"
    mask_s = pl.Series(mask)
    return en_s.zip_with(mask_s, _none(n)), zh_s.zip_with(mask_s, _none(n))


def _is_number(col: Any) -> bool:
    return isinstance(col, np.ndarray) and col.dtype.kind == "f"


def reason_frame(columns: Mapping[str, Any]) -> pl.DataFrame:
    """The output frame of ``explain``: float arrays as Float64, every other column (series, list, array) as String."""
    out = []
    for name, col in columns.items():
        if _is_number(col):
            out.append(pl.Series(name, col))
        elif isinstance(col, pl.Series):
            out.append(col.alias(name))
        elif isinstance(col, np.ndarray):
            out.append(pl.Series(name, col.astype(str)))
        else:
            out.append(pl.Series(name, col, dtype=pl.String))
    return pl.DataFrame(out)


def first_row(columns: Mapping[str, Any]) -> dict[str, Any]:
    """Row 0 of the columns of ``explain`` as Python values, equal to ``reason_frame(columns).row(0, named=True)``."""
    row: dict[str, Any] = {}
    for name, col in columns.items():
        if _is_number(col):
            row[name] = float(col[0])
        elif isinstance(col, np.ndarray):
            row[name] = str(col[0])
        else:
            row[name] = col[0]
    return row
