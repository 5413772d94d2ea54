"""Eco features from GEP accounts, grouped validation and the within- vs between-group lift report, fairness."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from greenfin.errors import DataError
from greenfin.scoring._scale import scoring_params

__all__ = ["county_gep_features", "eco_features", "fairness_report", "group_lift_report", "grouped_validation"]


def county_gep_features(accounts: pl.DataFrame) -> pl.DataFrame:
    """County-level GEP features: latest GEP, its trend, and GEP per hectare / per capita when given.

    Parameters
    ----------
    accounts : polars.DataFrame
        County GEP accounts with ``county_id``, ``year``, ``gep_cny`` and optionally ``area_ha`` and
        ``population`` (e.g. the ``assessment_gep_accounts`` sample or ``greenfin.gep`` output).

    Returns
    -------
    polars.DataFrame
        One row per county: county_id, county_gep_cny (latest year), gep_trend_per_year (log-linear slope,
        a fraction per year), county_gep_per_ha_cny and county_gep_per_capita_cny (null without area or
        population).

    Raises
    ------
    DataError
        If a needed column is missing.

    Examples
    --------
    >>> acc = pl.DataFrame({"county_id": ["A"] * 3, "year": [2023, 2024, 2025], "gep_cny": [100.0, 110.0, 121.0]})
    >>> round(county_gep_features(acc)["gep_trend_per_year"][0], 4)
    0.1
    """
    missing = [c for c in ("county_id", "year", "gep_cny") if c not in accounts.columns]
    if missing:
        raise DataError(f"county accounts lack columns {missing}; pass county_id, year, gep_cny.", source="accounts")
    rows = []
    for (cid,), part in accounts.sort("year").group_by(["county_id"], maintain_order=True):
        yr = part["year"].to_numpy().astype(np.float64)
        g = part["gep_cny"].to_numpy().astype(np.float64)
        slope = float(np.polyfit(yr, np.log(g), 1)[0]) if yr.size >= 2 else float("nan")
        last = part.row(part.height - 1, named=True)
        area = last.get("area_ha")
        pop = last.get("population")
        rows.append(
            {
                "county_id": cid,
                "county_gep_cny": float(g[-1]),
                "gep_trend_per_year": float(np.expm1(slope)),
                "county_gep_per_ha_cny": float(g[-1]) / area if area else None,
                "county_gep_per_capita_cny": float(g[-1]) / pop if pop else None,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "county_id": accounts.schema["county_id"],
            "county_gep_cny": pl.Float64,
            "gep_trend_per_year": pl.Float64,
            "county_gep_per_ha_cny": pl.Float64,
            "county_gep_per_capita_cny": pl.Float64,
        },
    )


def eco_features(
    borrowers: pl.DataFrame, parcels: pl.DataFrame | None = None, counties: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Add eco features to a borrower table: pledged-parcel GEP per hectare, realisable share, village GEP.

    With ``parcels`` (a GEP parcel table with parcel_id, village_id, area_ha, gep_cny and optionally
    realisable_cny, e.g. ``ctx.results["gep"]["parcels"]``), the village GEP per hectare and its
    realisable share are computed from the accounts, and a borrower's pledged-parcel GEP per hectare is
    taken as the village value when the borrower table has none. Without ``parcels`` the borrower
    table's own columns are used as they are.

    Parameters
    ----------
    borrowers : polars.DataFrame
        Borrowers with ``village_id`` (and optionally ``parcel_gep_per_ha_cny``).
    parcels : polars.DataFrame or None
        Parcel GEP accounts.
    counties : polars.DataFrame or None
        County GEP accounts (see :func:`county_gep_features`); joined on ``county_id``, or broadcast when
        the borrowers have no ``county_id`` and the accounts hold one county.

    Returns
    -------
    polars.DataFrame
        ``borrowers`` with ``village_gep_per_ha_cny`` (audit-only: a village aggregate),
        ``parcel_gep_per_ha_cny`` and ``parcel_realisable_share`` (allowed: pledged-right attributes).

    Raises
    ------
    DataError
        If ``parcels`` lacks a needed column.

    Examples
    --------
    >>> b = pl.DataFrame({"borrower_id": ["B1"], "village_id": ["T01V01"]})
    >>> p = pl.DataFrame({"parcel_id": ["P1", "P2"], "village_id": ["T01V01"] * 2, "area_ha": [1.0, 3.0],
    ...                   "gep_cny": [100_000.0, 100_000.0], "realisable_cny": [50_000.0, 30_000.0]})
    >>> eco_features(b, p)["village_gep_per_ha_cny"].to_list()
    [50000.0]
    """
    out = borrowers
    if counties is not None:
        feats = county_gep_features(counties)
        if "county_id" in borrowers.columns:
            out = out.join(
                feats.with_columns(pl.col("county_id").cast(borrowers.schema["county_id"])), on="county_id", how="left"
            )
        elif feats.height == 1:
            out = out.with_columns([pl.lit(feats[c][0]).alias(c) for c in feats.columns if c != "county_id"])
        else:
            raise DataError("borrowers have no county_id but the accounts hold several counties; add county_id.")
    if parcels is None:
        return out
    need = ("village_id", "area_ha", "gep_cny")
    missing = [c for c in need if c not in parcels.columns]
    if missing:
        raise DataError(
            f"GEP parcel table lacks columns {missing}; pass the gep stage's parcels table.", source="parcels"
        )
    real = pl.col("realisable_cny") if "realisable_cny" in parcels.columns else pl.col("gep_cny") * np.nan
    village = parcels.group_by("village_id").agg(
        (pl.col("gep_cny").sum() / pl.col("area_ha").sum()).alias("_v_gep_ha"),
        (real.sum() / pl.col("gep_cny").sum()).alias("_v_real_share"),
    )
    out = out.join(village, on="village_id", how="left")
    parcel_col = (
        pl.coalesce(pl.col("parcel_gep_per_ha_cny"), pl.col("_v_gep_ha"))
        if "parcel_gep_per_ha_cny" in borrowers.columns
        else pl.col("_v_gep_ha")
    )
    out = out.with_columns(
        pl.col("_v_gep_ha").alias("village_gep_per_ha_cny"),
        parcel_col.alias("parcel_gep_per_ha_cny"),
        pl.col("_v_real_share").alias("parcel_realisable_share"),
    )
    return out.drop("_v_gep_ha", "_v_real_share")


def grouped_validation(estimator: Any, X: pl.DataFrame, y: Any, groups: Any, *, n_splits: int = 5) -> pl.DataFrame:  # noqa: N803  # sklearn's name for the feature matrix
    """Cross-validated AUC with folds grouped by county (or township): no group is in train and test.

    Parameters
    ----------
    estimator : Scorecard or BoostedPD
        Unfitted estimator (cloned per fold).
    X : polars.DataFrame
        Features.
    y : array-like
        Binary target.
    groups : array-like
        Group of each row (county id; township id in the one-county sample).
    n_splits : int
        Folds (at most the number of groups).

    Returns
    -------
    polars.DataFrame
        Fold, n_test_groups, n_test, auc.
    """
    g = np.asarray(groups).astype(str)
    yy = np.asarray(y.to_numpy() if isinstance(y, pl.Series) else y)
    k = min(n_splits, len(set(g.tolist())))
    if k < 2:
        raise DataError("grouped validation needs at least two groups; pass county (or township) ids.")
    rows = []
    for i, (tr, te) in enumerate(GroupKFold(n_splits=k).split(np.zeros(len(g)), yy, g)):
        m = clone(estimator).fit(X[tr], yy[tr])
        p = m.predict_proba(X[te])[:, m.bad_index_]
        ev = yy[te] == m.classes_[m.bad_index_]
        auc = float(roc_auc_score(ev, p)) if 0 < ev.sum() < ev.size else float("nan")
        rows.append({"fold": i, "n_test_groups": len(set(g[te].tolist())), "n_test": int(te.size), "auc": auc})
    return pl.DataFrame(rows)


def group_lift_report(X: pl.DataFrame, y: Any, groups: Any, features: tuple[str, ...] | None = None) -> pl.DataFrame:  # noqa: N803  # sklearn's name for the feature matrix
    """Within-group vs between-group discrimination of each numeric feature.

    A group-level feature (county GEP) is constant inside a group, so all its lift is *between* groups:
    it says which county is riskier, not which borrower. The report shows, per feature, the pooled AUC,
    the size-weighted mean AUC within groups (0.5 = no individual information) and the AUC of the group
    means (between-group ranking), each oriented so that 0.5 is no information and higher is better.

    Parameters
    ----------
    X : polars.DataFrame
        Features.
    y : array-like of {0, 1}
        Outcome, 1 = bad.
    groups : array-like
        Group of each row.
    features : tuple of str or None
        Features to report (None: every numeric column).

    Returns
    -------
    polars.DataFrame
        Feature, pooled_auc, within_group_auc, between_group_auc, within_share (share of the pooled lift
        over 0.5 that survives within groups).
    """
    yy = np.asarray(y.to_numpy() if isinstance(y, pl.Series) else y).astype(bool)
    g = np.asarray(groups).astype(str)
    names = features or tuple(c for c in X.columns if X[c].dtype.is_numeric())
    rows = []
    for f in names:
        x = X[f].cast(pl.Float64).to_numpy()
        ok = ~np.isnan(x)
        if ok.sum() < 10 or yy[ok].all() or not yy[ok].any():
            continue
        pooled = float(roc_auc_score(yy[ok], x[ok]))
        sign = 1.0 if pooled >= 0.5 else -1.0
        pooled = max(pooled, 1 - pooled)
        w_auc, w_n = 0.0, 0
        frame = pl.DataFrame({"g": g[ok], "x": sign * x[ok], "y": yy[ok]})
        for _, part in frame.group_by("g"):
            py = part["y"].to_numpy()
            if 0 < py.sum() < py.size:
                w_auc += float(roc_auc_score(py, part["x"].to_numpy())) * py.size
                w_n += py.size
        within = w_auc / w_n if w_n else float("nan")
        means = frame.group_by("g").agg(pl.col("x").mean().alias("gx"))
        gx = frame.join(means, on="g")["gx"].to_numpy()
        between = float(roc_auc_score(frame["y"].to_numpy(), gx)) if np.unique(gx).size > 1 else 0.5
        share = (within - 0.5) / (pooled - 0.5) if pooled > 0.5 else float("nan")
        rows.append(
            {
                "feature": f,
                "pooled_auc": pooled,
                "within_group_auc": within,
                "between_group_auc": between,
                "within_share": share,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "feature": pl.String,
            "pooled_auc": pl.Float64,
            "within_group_auc": pl.Float64,
            "between_group_auc": pl.Float64,
            "within_share": pl.Float64,
        },
    )


def fairness_report(
    y: Any, pd: Any, sensitive_features: dict[str, Any], *, pd_cutoff: float | None = None
) -> pl.DataFrame:
    """Approval-rate ratio, AUC and calibration by group of each audit-only attribute (PIPL Art. 24).

    Parameters
    ----------
    y : array-like of {0, 1}
        Outcome, 1 = bad.
    pd : array-like of float
        Model PDs.
    sensitive_features : dict of str to array-like
        Audit-only attributes (sex, age band, foreign worker, village ...), never model inputs.
    pd_cutoff : float or None
        Approve when PD is at most this (None: the sourced house cut-off).

    Returns
    -------
    polars.DataFrame
        Attribute, group, n, approval_rate, approval_ratio (to the best-treated group; the four-fifths
        reading flags < 0.8), auc, mean_pd, observed_rate, calibration_gap (mean PD - observed rate).
    """
    cutoff = float(scoring_params().value("approval_pd_cutoff")) if pd_cutoff is None else pd_cutoff
    yy = np.asarray(y.to_numpy() if isinstance(y, pl.Series) else y).astype(bool)
    p = np.asarray(pd, dtype=np.float64)
    rows = []
    for attr, values in sensitive_features.items():
        v = np.asarray(values.to_numpy() if isinstance(values, pl.Series) else values).astype(str)
        part = []
        for grp in sorted(set(v.tolist())):
            m = v == grp
            ym, pm = yy[m], p[m]
            auc = float(roc_auc_score(ym, pm)) if 0 < ym.sum() < ym.size else float("nan")
            part.append(
                {
                    "attribute": attr,
                    "group": grp,
                    "n": int(m.sum()),
                    "approval_rate": float(np.mean(pm <= cutoff)),
                    "auc": auc,
                    "mean_pd": float(pm.mean()),
                    "observed_rate": float(ym.mean()),
                    "calibration_gap": float(pm.mean() - ym.mean()),
                }
            )
        best = max(r["approval_rate"] for r in part) or 1.0
        for r in part:
            r["approval_ratio"] = r["approval_rate"] / best
        rows += part
    cols = [
        "attribute",
        "group",
        "n",
        "approval_rate",
        "approval_ratio",
        "auc",
        "mean_pd",
        "observed_rate",
        "calibration_gap",
    ]
    return pl.DataFrame(rows).select(cols)
