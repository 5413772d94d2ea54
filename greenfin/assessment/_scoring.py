"""Bank green-finance scoring: loan-level report -> bank-quarter panel -> indicators -> points -> ranking.

Formulas (PBoC 2021 reading, ``shared/reference/assessment.md`` section 1.3; V() and H() are pluggable
per indicator in the rulebook and the proposal is marked unverified there)::

    H_i = P_H * (x_i - min_j x_j) / (max_j x_j - min_j x_j)       higher is better (inverted when lower)
    V_i = P_V * min(1, x_i,t / mean(x_i,t-1..t-3))                 higher is better; min(1, mean / x) when lower
    Quant_i = sum over indicators (V_i + H_i)                      0..100
    Qual_i  = sum of qualitative items                             0..100
    Score_i = w_quant * Quant_i + w_qual * Qual_i

Kernels are numpy float64, vectorised over banks; Python loops run only over indicators and quarters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from greenfin._typing import FloatArray
from greenfin.assessment._rules import CrossSectionalForm, Guards, Indicator, LongitudinalForm, Override, Rulebook
from greenfin.assessment._schema import NPL_CLASSES, parse_quarter
from greenfin.errors import SpecError

__all__ = [
    "BankAssessment",
    "aggregate_loans",
    "bank_quarter_panel",
    "cross_sectional_points",
    "indicator_values",
    "longitudinal_points",
    "score_banks",
]

_GUARD_FRACTION = {"full": 1.0, "half": 0.5, "zero": 0.0}


def aggregate_loans(loans: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Sum classified loans to one row per bank and quarter.

    Parameters
    ----------
    loans : polars.DataFrame or polars.LazyFrame
        Loans after :func:`greenfin.assessment.classify_loans` (``bank_code, quarter, balance_cny,
        green_harmonised, eco_product_flag, five_class`` and optionally ``interest_rate``).

    Returns
    -------
    polars.DataFrame
        ``bank_code, quarter, n_loans, n_green_loans, total_loans_cny, green_loans_cny, green_npl_cny,
        eco_green_loans_cny, green_rate_x_balance_cny`` (partial sums: frames from chunks of loans can be
        concatenated and summed again).
    """
    lazy = loans.lazy()
    cols = lazy.collect_schema().names()
    green = pl.col("green_harmonised")
    bal = pl.col("balance_cny")
    rate = pl.col("interest_rate") if "interest_rate" in cols else pl.lit(None, dtype=pl.Float64)
    return (
        lazy.group_by("bank_code", "quarter")
        .agg(
            pl.len().cast(pl.Int64).alias("n_loans"),
            green.sum().cast(pl.Int64).alias("n_green_loans"),
            bal.sum().alias("total_loans_cny"),
            bal.filter(green).sum().alias("green_loans_cny"),
            bal.filter(green & pl.col("five_class").is_in(list(NPL_CLASSES))).sum().alias("green_npl_cny"),
            bal.filter(green & pl.col("eco_product_flag")).sum().alias("eco_green_loans_cny"),
            (bal * rate).filter(green & rate.is_not_null()).sum().alias("green_rate_x_balance_cny"),
            bal.filter(green & rate.is_not_null()).sum().alias("green_rated_balance_cny"),
        )
        .sort("bank_code", "quarter")
        .collect()
    )


def bank_quarter_panel(aggregates: pl.DataFrame, bank_quarters: pl.DataFrame | None = None) -> pl.DataFrame:
    """Build the bank-quarter panel: loan aggregates joined to the bank-quarter file.

    Parameters
    ----------
    aggregates : polars.DataFrame
        Output of :func:`aggregate_loans` (several chunks may be concatenated: they are summed again).
    bank_quarters : polars.DataFrame or None
        Validated bank-quarter file (green bonds, denominator, qualitative points, peer group). Without
        it, green bonds count as zero, the denominator ``total_business`` is unavailable, qualitative
        points are missing and every bank is in one peer group ``all``.

    Returns
    -------
    polars.DataFrame
        One row per bank and quarter with ``q_index`` (consecutive quarters differ by one).
    """
    agg = aggregates.group_by("bank_code", "quarter").agg(pl.all().exclude("bank_code", "quarter").sum())
    agg = agg.with_columns(
        (pl.col("green_rate_x_balance_cny") / pl.col("green_rated_balance_cny")).alias("green_loan_rate")
    )
    if bank_quarters is not None:
        extra = bank_quarters
        if "bank_name" in extra.columns:
            extra = extra.drop("bank_name")
        agg = agg.join(extra, on=["bank_code", "quarter"], how="left")
    else:
        agg = agg.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("green_bonds_held_cny"),
            pl.lit(None, dtype=pl.Float64).alias("green_bond_default_cny"),
            pl.lit(None, dtype=pl.Float64).alias("denominator_total_business_cny"),
            pl.lit("all").alias("peer_group"),
        )
    q_index = pl.col("quarter").str.slice(0, 4).cast(pl.Int64) * 4 + pl.col("quarter").str.slice(5, 1).cast(pl.Int64)
    return agg.with_columns(
        (q_index - 1).alias("q_index"),
        pl.col("peer_group").fill_null("all"),
    ).sort("bank_code", "quarter")


def _metric_expr(ind: Indicator, denominator: str) -> tuple[pl.Expr, pl.Expr | None]:
    """(value at t, optional companion needed at t-4) for one indicator."""
    g = pl.col("green_loans_cny")
    if ind.scope == "loans_and_bonds":
        g = g + pl.col("green_bonds_held_cny").fill_null(0.0)
        risk = pl.col("green_npl_cny") + pl.col("green_bond_default_cny").fill_null(0.0)
    else:
        risk = pl.col("green_npl_cny")
    d = pl.col("denominator_total_business_cny") if denominator == "total_business" else pl.col("total_loans_cny")
    safe = pl.when(g > 0)
    if ind.metric == "share":
        return pl.when(d > 0).then(g / d), None
    if ind.metric == "market_share":
        total = g.sum().over("quarter", "peer_group")
        return pl.when(total > 0).then(g / total), None
    if ind.metric == "risk_share":
        return safe.then(risk / g), None
    if ind.metric == "cost":
        return pl.col("green_loan_rate"), None
    if ind.metric == "eco_share":
        return pl.when(pl.col("green_loans_cny") > 0).then(
            pl.col("eco_green_loans_cny") / pl.col("green_loans_cny")
        ), None
    return g, d  # growth and increment_share need the value four quarters back


def indicator_values(panel: pl.DataFrame, rulebook: Rulebook) -> pl.DataFrame:
    """Indicator values of every bank and quarter of the panel.

    Parameters
    ----------
    panel : polars.DataFrame
        Output of :func:`bank_quarter_panel`.
    rulebook : Rulebook
        The scheme (indicators, denominator).

    Returns
    -------
    polars.DataFrame
        Long table ``bank_code, quarter, q_index, peer_group, indicator, value`` (null when undefined:
        zero base, zero green loans, missing quarter four back).

    Raises
    ------
    SpecError
        If the rulebook's denominator is ``total_business`` and the panel has no bank-quarter file values.
    """
    if rulebook.denominator == "total_business" and panel["denominator_total_business_cny"].is_null().all():
        uses_d = any(i.metric in ("share", "increment_share") for i in rulebook.indicators)
        if uses_d:
            raise SpecError(
                f"Rulebook {rulebook.id} divides by total business (denominator_total_business_cny), which comes "
                "from the bank-quarter file. Pass it (--banks FILE), or use a rulebook variant with "
                "denominator 'total_loans' (greenfin.evolve(rulebook, denominator='total_loans'); "
                "CLI: --denominator total_loans)."
            )
    frames = []
    base = panel.select("bank_code", "quarter", "q_index", "peer_group")
    for ind in rulebook.indicators:
        value, denom = _metric_expr(ind, rulebook.denominator)
        if denom is None:
            frames.append(base.with_columns(panel.select(value.cast(pl.Float64)).to_series().alias("value")))
            continue
        cur = panel.select("bank_code", "q_index", value.alias("_g"), denom.alias("_d"))
        lag = cur.with_columns((pl.col("q_index") + 4).alias("q_index")).rename({"_g": "_g4", "_d": "_d4"})
        joined = cur.join(lag, on=["bank_code", "q_index"], how="left")
        if ind.metric == "growth":
            expr = pl.when(pl.col("_g4") > 0).then(pl.col("_g") / pl.col("_g4") - 1.0)
        else:
            step = pl.col("_d") - pl.col("_d4")
            expr = pl.when(step > 0).then((pl.col("_g") - pl.col("_g4")) / step)
        vals = joined.select("bank_code", "q_index", expr.cast(pl.Float64).alias("value"))
        frames.append(base.join(vals, on=["bank_code", "q_index"], how="left", maintain_order="left"))
    out = pl.concat(
        [f.with_columns(pl.lit(ind.id).alias("indicator")) for f, ind in zip(frames, rulebook.indicators, strict=True)]
    )
    return out.select("bank_code", "quarter", "q_index", "peer_group", "indicator", "value")


def _finite(values: FloatArray) -> FloatArray:
    """Values as float64 with infinities (e.g. growth on a denormal base) treated as undefined (NaN)."""
    arr = np.asarray(values, dtype=np.float64)
    out: FloatArray = np.where(np.isfinite(arr), arr, np.nan)
    return out


def longitudinal_points(
    x: FloatArray, history: FloatArray, form: LongitudinalForm, direction: str, guards: Guards
) -> FloatArray:
    """Longitudinal (纵向) points: the current value against the mean of the bank's own previous quarters.

    Parameters
    ----------
    x : numpy.ndarray
        Current values, shape (n_banks,); NaN where undefined.
    history : numpy.ndarray
        Previous values, shape (n_banks, window), most recent first; NaN where missing or undefined.
    form : LongitudinalForm
        Formula and maximum points.
    direction : {"higher", "lower"}
        Whether a higher value is better.
    guards : Guards
        Edge-case choices.

    Returns
    -------
    numpy.ndarray
        Points in ``[0, form.points]``.

    Examples
    --------
    >>> from greenfin.assessment import load_rulebook
    >>> rb = load_rulebook("pboc-2021")
    >>> ind = rb.indicators[0]
    >>> longitudinal_points(np.array([0.08, 0.12]), np.array([[0.1, 0.1, 0.1], [0.1, 0.1, 0.1]]),
    ...                     ind.longitudinal, "higher", rb.guards).round(6).tolist()
    [8.0, 10.0]
    """
    pts = form.points
    x = _finite(x)
    hist = _finite(history)
    complete = ~np.isnan(hist).any(axis=1) if guards.missing_history == "zero" else np.ones(x.shape[0], dtype=bool)
    n_avail = (~np.isnan(hist)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        xbar = np.where(n_avail > 0, np.nansum(hist, axis=1) / np.maximum(n_avail, 1), np.nan)
        tol = 1e-12 * np.abs(xbar)  # the mean of equal values can exceed them by one ulp
        if form.form == "not_worse_than_mean":
            better = x >= xbar - tol if direction == "higher" else x <= xbar + tol
            out = np.where(better, pts, 0.0)
        elif direction == "higher":
            ratio = np.where(x >= xbar - tol, 1.0, np.clip(x / xbar, 0.0, 1.0))
            nonpos = (x >= xbar - tol) * pts if guards.nonpositive_history == "full_if_not_worse" else np.zeros_like(x)
            out = np.where(xbar > 0, pts * ratio, nonpos)
        else:
            ratio = np.where(x <= xbar + tol, 1.0, np.clip(xbar / x, 0.0, 1.0))
            out = np.where(x <= 0, pts, np.where(xbar >= 0, pts * ratio, 0.0))
    out = np.where(n_avail == 0, pts * _GUARD_FRACTION[guards.no_history], out)
    out = np.where(complete, out, 0.0)
    out = np.where(np.isnan(x), 0.0, out)
    result: FloatArray = np.clip(np.nan_to_num(out, nan=0.0), 0.0, pts)
    return result


def cross_sectional_points(
    x: FloatArray, groups: Sequence[str] | np.ndarray, form: CrossSectionalForm, direction: str, guards: Guards
) -> FloatArray:
    """Cross-sectional (横向) points: the bank against its peers scored in the same quarter.

    Parameters
    ----------
    x : numpy.ndarray
        Values, shape (n_banks,); NaN where undefined (0 points, excluded from min and max).
    groups : sequence of str
        Peer group of each bank.
    form : CrossSectionalForm
        Formula and maximum points.
    direction : {"higher", "lower"}
        Whether a higher value is better.
    guards : Guards
        Edge-case choices (``equal_peers``).

    Returns
    -------
    numpy.ndarray
        Points in ``[0, form.points]``.

    Examples
    --------
    >>> from greenfin.assessment import load_rulebook
    >>> rb = load_rulebook("pboc-2021")
    >>> cross_sectional_points(np.array([0.1, 0.2, 0.3]), ["a"] * 3, rb.indicators[0].cross_sectional,
    ...                        "higher", rb.guards).round(6).tolist()
    [0.0, 7.5, 15.0]
    """
    pts = form.points
    x = _finite(x)
    g = np.asarray(groups, dtype=object)
    out = np.zeros_like(x)
    for group in np.unique(g):
        m = (g == group) & ~np.isnan(x)
        if not m.any():
            continue
        xs = x[m]
        lo, hi = xs.min(), xs.max()
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if form.form == "min_max":
                if hi - lo <= 0:
                    frac = np.full_like(xs, _GUARD_FRACTION[guards.equal_peers])
                elif direction == "higher":
                    frac = (xs - lo) / (hi - lo)
                else:
                    frac = (hi - xs) / (hi - lo)
            elif direction == "higher":
                frac = np.where(hi > 0, np.clip(xs, 0.0, None) / hi, _GUARD_FRACTION[guards.equal_peers])
            else:
                best = max(lo, 0.0)
                frac = np.where(xs <= 0, 1.0, best / xs)
        out[m] = pts * np.clip(np.nan_to_num(frac, nan=0.0), 0.0, 1.0)
    return out


@dataclass(frozen=True)
class BankAssessment:
    """Scores of the banks for one or more quarters under one rulebook.

    Parameters
    ----------
    rulebook_id : str
        Rulebook used.
    quarters : tuple of str
        Quarters scored.
    scores : polars.DataFrame
        One row per bank and quarter: points per indicator, ``quantitative_score``, ``qualitative_score``,
        ``total_score`` (null without qualitative points), ``rank`` (by total, else quantitative), ``grade``.
    breakdown : polars.DataFrame
        One row per bank, quarter and indicator: value, own-history mean, peer min/max/count, longitudinal and
        cross-sectional points, the guard applied and the formulas' status.
    warnings : polars.DataFrame
        Data issues met (missing quarters, zero green loans, undefined values), one row each.
    overrides : polars.DataFrame
        Manual overrides applied, with computed and new points, reason and author.
    """

    rulebook_id: str
    quarters: tuple[str, ...]
    scores: pl.DataFrame
    breakdown: pl.DataFrame
    warnings: pl.DataFrame
    overrides: pl.DataFrame


def _history(values: pl.DataFrame, banks: list[str], q: int, window: int) -> FloatArray:
    sub = values.filter(pl.col("q_index").is_between(q - window, q - 1))
    hist = np.full((len(banks), window), np.nan)
    pos = {b: i for i, b in enumerate(banks)}
    for bank, qi, v in sub.select("bank_code", "q_index", "value").iter_rows():
        if v is not None and bank in pos:  # banks absent from the scored quarter are not scored
            hist[pos[bank], q - 1 - qi] = v
    return hist


def _guard_label(x: float, hist: FloatArray, peers_equal: bool) -> str:
    labels = []
    if np.isnan(x):
        labels.append("undefined_value")
    if np.isnan(hist).all():
        labels.append("no_history")
    elif np.isnan(hist).any():
        labels.append("missing_history")
    if peers_equal:
        labels.append("equal_peers")
    return ";".join(labels)


def _score_quarter(
    panel: pl.DataFrame, values: pl.DataFrame, rulebook: Rulebook, quarter: str
) -> tuple[pl.DataFrame, pl.DataFrame, list[dict[str, str]]]:
    q = parse_quarter(quarter)
    cur = panel.filter(pl.col("q_index") == q).sort("bank_code")
    banks = cur["bank_code"].to_list()
    groups = cur["peer_group"].to_list()
    warnings: list[dict[str, str]] = []
    for bank, green in cur.select("bank_code", "green_loans_cny").iter_rows():
        if not green:
            warnings.append({"bank_code": bank, "quarter": quarter, "issue": "zero green loans: ratios on G undefined"})
    rows: list[dict[str, object]] = []
    points = np.zeros((len(banks), len(rulebook.indicators)))
    for k, ind in enumerate(rulebook.indicators):
        vals = values.filter(pl.col("indicator") == ind.id)
        now = dict(vals.filter(pl.col("q_index") == q).select("bank_code", "value").iter_rows())
        x = _finite(np.array([np.nan if now.get(b) is None else now[b] for b in banks], dtype=np.float64))
        hist = _finite(_history(vals, banks, q, ind.longitudinal.window))
        lon = longitudinal_points(x, hist, ind.longitudinal, ind.direction, rulebook.guards)
        crs = cross_sectional_points(x, groups, ind.cross_sectional, ind.direction, rulebook.guards)
        points[:, k] = lon + crs
        n_avail = (~np.isnan(hist)).sum(axis=1)
        with np.errstate(invalid="ignore"):
            xbar = np.where(n_avail > 0, np.nansum(hist, axis=1) / np.maximum(n_avail, 1), np.nan)
        for i, bank in enumerate(banks):
            peer = np.array([not np.isnan(x[j]) and groups[j] == groups[i] for j in range(len(banks))])
            pmin = float(x[peer].min()) if peer.any() else None
            pmax = float(x[peer].max()) if peer.any() else None
            guard = _guard_label(x[i], hist[i], pmin is not None and pmin == pmax)
            if guard:
                warnings.append({"bank_code": bank, "quarter": quarter, "issue": f"{ind.id}: {guard}"})
            rows.append(
                {
                    "bank_code": bank,
                    "quarter": quarter,
                    "indicator": ind.id,
                    "name_en": ind.name_en,
                    "name_zh": ind.name_zh,
                    "direction": ind.direction,
                    "value": None if np.isnan(x[i]) else float(x[i]),
                    "history_mean": None if np.isnan(xbar[i]) else float(xbar[i]),
                    "history_quarters": int(n_avail[i]),
                    "peer_group": groups[i],
                    "peer_n": int(peer.sum()),
                    "peer_min": pmin,
                    "peer_max": pmax,
                    "longitudinal_points": float(lon[i]),
                    "longitudinal_max": ind.longitudinal.points,
                    "cross_sectional_points": float(crs[i]),
                    "cross_sectional_max": ind.cross_sectional.points,
                    "points": float(lon[i] + crs[i]),
                    "max_points": ind.points,
                    "guard": guard,
                    "formula_status": f"V:{ind.longitudinal.status}; H:{ind.cross_sectional.status}",
                }
            )
    score = pl.DataFrame({"bank_code": banks, "quarter": [quarter] * len(banks), "peer_group": groups})
    score = score.with_columns(
        [pl.Series(ind.id, points[:, k]) for k, ind in enumerate(rulebook.indicators)]
        + [pl.Series("quantitative_score", points.sum(axis=1))]
    )
    if rulebook.qualitative and all(item.column in cur.columns for item in rulebook.qualitative):
        qual = cur.select(pl.sum_horizontal(*[pl.col(i.column) for i in rulebook.qualitative]).alias("q"))
        nulls = cur.select(pl.any_horizontal(*[pl.col(i.column).is_null() for i in rulebook.qualitative]))
        qual_arr = np.where(nulls.to_series().to_numpy(), np.nan, qual.to_series().to_numpy().astype(np.float64))
        total_max = sum(i.max_points for i in rulebook.qualitative)
        qual_arr = qual_arr / total_max * 100.0
    else:
        qual_arr = np.full(len(banks), np.nan)
    score = score.with_columns(pl.Series("qualitative_score", qual_arr).fill_nan(None))
    breakdown = pl.DataFrame(rows, infer_schema_length=None)
    return score, breakdown, warnings


def _apply_overrides(
    scores: pl.DataFrame, rulebook: Rulebook, overrides: Sequence[Override]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    maxima = {ind.id: ind.points for ind in rulebook.indicators} | {"qualitative": 100.0, "total": 100.0}
    log: list[dict[str, object]] = []
    for ov in overrides:
        if ov.target not in maxima:
            raise SpecError(
                f"Override target {ov.target!r} is unknown for rulebook {rulebook.id}; use one of {sorted(maxima)}."
            )
        if ov.points > maxima[ov.target]:
            raise SpecError(
                f"Override of {ov.target} for {ov.bank_code} {ov.quarter} gives {ov.points} points, above the maximum "
                f"{maxima[ov.target]}; give points within the indicator's range."
            )
        mask = (pl.col("bank_code") == ov.bank_code) & (pl.col("quarter") == ov.quarter)
        hit = scores.filter(mask)
        if hit.height == 0:
            raise SpecError(
                f"Override for bank {ov.bank_code} quarter {ov.quarter}: that bank-quarter was not scored; check both."
            )
        column = {"qualitative": "qualitative_score", "total": "_total_override"}.get(ov.target, ov.target)
        before = hit[column][0] if column in hit.columns else None
        if column not in scores.columns:
            scores = scores.with_columns(pl.lit(None, dtype=pl.Float64).alias(column))
        scores = scores.with_columns(pl.when(mask).then(pl.lit(ov.points)).otherwise(pl.col(column)).alias(column))
        log.append(
            {
                "bank_code": ov.bank_code,
                "quarter": ov.quarter,
                "target": ov.target,
                "computed_points": before,
                "override_points": ov.points,
                "reason": ov.reason,
                "author": ov.author,
            }
        )
    schema = {
        "bank_code": pl.String,
        "quarter": pl.String,
        "target": pl.String,
        "computed_points": pl.Float64,
        "override_points": pl.Float64,
        "reason": pl.String,
        "author": pl.String,
    }
    return scores, pl.DataFrame(log, schema=schema)


def score_banks(
    panel: pl.DataFrame,
    rulebook: Rulebook,
    quarters: str | Sequence[str],
    *,
    overrides: Sequence[Override] = (),
) -> BankAssessment:
    """Score every bank present in each quarter under a rulebook, with rankings and a breakdown.

    Parameters
    ----------
    panel : polars.DataFrame
        Output of :func:`bank_quarter_panel`.
    rulebook : Rulebook
        The scheme, e.g. ``load_rulebook("pboc-2021")``.
    quarters : str or sequence of str
        Quarter(s) to score, e.g. ``"2025Q2"``; earlier quarters of the panel serve as history.
    overrides : sequence of Override
        Manual overrides (each with a reason and an author), applied after the computation.

    Returns
    -------
    BankAssessment
        Scores, breakdown, warnings and the overrides applied.

    Raises
    ------
    SpecError
        If a quarter is absent from the panel or an override is invalid.
    DataError
        If a quarter label is malformed.

    Examples
    --------
    >>> from greenfin.assessment import load_rulebook
    >>> from greenfin.datasets import load_sample
    >>> from greenfin.assessment import (classify_loans, validate_loans, validate_bank_quarters,
    ...     aggregate_loans, bank_quarter_panel)
    >>> loans = classify_loans(validate_loans(load_sample("assessment_loans")))
    >>> panel = bank_quarter_panel(aggregate_loans(loans), validate_bank_quarters(load_sample("assessment_banks")))
    >>> result = score_banks(panel, load_rulebook("pboc-2021"), "2025Q2")
    >>> result.scores.height, bool(result.scores["total_score"].is_between(0, 100).all())
    (20, True)
    """
    wanted = (quarters,) if isinstance(quarters, str) else tuple(quarters)
    present = set(panel["quarter"].unique().to_list())
    for quarter in wanted:
        parse_quarter(quarter)
        if quarter not in present:
            raise SpecError(
                f"Quarter {quarter} is not in the loan data (quarters present: {', '.join(sorted(present))}); "
                "pick one of them."
            )
    values = indicator_values(panel, rulebook)
    parts = [_score_quarter(panel, values, rulebook, quarter) for quarter in wanted]
    scores = pl.concat([p[0] for p in parts], how="vertical_relaxed")
    breakdown = pl.concat([p[1] for p in parts], how="vertical_relaxed")
    warn_rows = [w for p in parts for w in p[2]]
    all_banks = set(panel["bank_code"].unique().to_list())
    for quarter in wanted:
        scored = set(scores.filter(pl.col("quarter") == quarter)["bank_code"].to_list())
        for bank in sorted(all_banks - scored):
            warn_rows.append({"bank_code": bank, "quarter": quarter, "issue": "no loans reported: bank not scored"})
    scores, override_log = _apply_overrides(scores, rulebook, overrides)
    ind_ids = [ind.id for ind in rulebook.indicators]
    wq, wl = rulebook.quantitative_weight.value, rulebook.qualitative_weight.value
    scores = scores.with_columns(pl.sum_horizontal(*ind_ids).alias("quantitative_score"))
    total = wq * pl.col("quantitative_score") + wl * pl.col("qualitative_score")
    if "_total_override" in scores.columns:
        total = pl.coalesce(pl.col("_total_override"), total)
    scores = scores.with_columns(total.alias("total_score"))
    has_total = scores.group_by("quarter").agg(pl.col("total_score").is_not_null().all().alias("_all"))
    scores = scores.join(has_total, on="quarter", how="left")
    basis = pl.when(pl.col("_all")).then(pl.col("total_score")).otherwise(pl.col("quantitative_score"))
    scores = scores.with_columns(
        basis.rank(method="min", descending=True).over("quarter").cast(pl.Int64).alias("rank"),
        pl.when(pl.col("_all")).then(pl.lit("total")).otherwise(pl.lit("quantitative")).alias("rank_basis"),
    )
    grade: pl.Expr = pl.lit(None, dtype=pl.String)
    for band in sorted(rulebook.grade_bands, key=lambda b: b.min_score):
        grade = pl.when(basis >= band.min_score).then(pl.lit(band.grade)).otherwise(grade)
    scores = scores.with_columns(grade.alias("grade")).drop("_all", "_total_override", strict=False)
    scores = scores.sort("quarter", "rank", "bank_code")
    warnings = pl.DataFrame(warn_rows, schema={"bank_code": pl.String, "quarter": pl.String, "issue": pl.String})
    return BankAssessment(rulebook.id, wanted, scores, breakdown, warnings, override_log)
