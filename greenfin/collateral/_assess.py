"""Public valuation and advance-rate functions: value, haircut build-up, policy caps, binding bound, margins."""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

import numpy as np
import polars as pl

from greenfin._typing import FloatArray
from greenfin.collateral._params import fval, table
from greenfin.collateral._prices import drawdown_quantile, validate_prices, volatility_drawdown
from greenfin.collateral._rights import (
    REGISTRIES,
    RIGHT_TYPES,
    TYPE_CODE,
    codes,
    refusals,
    remaining_term_years,
    validate_rights,
)
from greenfin.collateral._valuation import value_frame
from greenfin.errors import SpecError, param_error

__all__ = ["ASSESSMENT_SCHEMA", "BINDING_BOUNDS", "assess_collateral", "margin_action", "value_rights"]

BINDING_BOUNDS: Final[tuple[str, ...]] = ("model", "policy_cap", "hard_cap", "not_accepted", "refused")
"""Which bound set the advance rate: the haircut model, the policy cap of the type and tier, the hard cap
(林权 60%), a policy cap of zero (not accepted in this tier) or a refusal (expired, tenor past term, ...)."""

ASSESSMENT_SCHEMA: Final[dict[str, str]] = {
    "right_id": "right id",
    "borrower_id": "borrower id",
    "right_type": "one of RIGHT_TYPES",
    "parcel_id": "forest parcel id (forest and sink rights; null otherwise)",
    "method": "valuation method key",
    "stand_class": "stand class of forest rights (龄组 / 产期), else null",
    "value_cny": "appraised value today, CNY (0 when expired)",
    "remaining_term_years": "years to term_end (0 when expired)",
    "price_basis": "'history:<series>' or 'volatility'",
    "h_price": "price haircut: drawdown quantile over the liquidation horizon",
    "h_liquidity": "forced-sale discount",
    "h_legal": "enforceability haircut (registry certainty)",
    "h_physical": "uninsured physical loss haircut",
    "haircut_model": "1-(1-H_price)(1-H_liquidity)(1-H_legal)(1-H_physical)",
    "model_advance_rate": "1 - haircut_model",
    "policy_cap": "policy cap of type, stand class and tier",
    "hard_cap": "hard cap (林权 60%; 1 for types without one)",
    "advance_rate": "min(model, policy, hard cap); 0 when refused",
    "haircut": "1 - advance_rate (the effective haircut)",
    "max_loan_cny": "value_cny x advance_rate",
    "binding_bound": "one of BINDING_BOUNDS",
    "max_tenor_years": "min(remaining term, tenor cap of the type)",
    "eligible": "False when refused",
    "refusal_reason": "why refused, else null",
    "insured": "insurance in force",
    "loan_cny": "outstanding loan from the input (null when not given)",
    "current_ltv": "loan_cny / value_cny (null without a loan)",
    "margin_action": "ok / top_up (警戒线) / dispose (处置线) at the current LTV (null without a loan)",
}
"""Columns of :func:`assess_collateral` output, in order."""


def value_rights(
    rights: pl.DataFrame,
    *,
    as_of: dt.date,
    prices: pl.DataFrame | None = None,
    source: str = "rights table",
) -> pl.DataFrame:
    """Value every right of a portfolio by the method family of its type.

    Parameters
    ----------
    rights : polars.DataFrame
        One row per right (see ``greenfin.collateral.RIGHTS_COLUMNS``): ``right_id``, ``borrower_id``,
        ``right_type``, ``term_end`` and the columns its type needs.
    as_of : datetime.date
        Valuation date.
    prices : polars.DataFrame or None
        Long price history (``series``, ``date``, ``price_cny``) for marks to market and price haircuts.
    source : str, default "rights table"
        Name of the input for error messages.

    Returns
    -------
    polars.DataFrame
        ``right_id, borrower_id, right_type, parcel_id, method, stand_class, policy_class, value_cny,
        remaining_term_years``.

    Raises
    ------
    DataError
        A bad rights or price table (names file, column, row and fix).

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> water = pl.DataFrame({"right_id": ["W1"], "borrower_id": ["B1"], "right_type": ["water_right"],
    ...     "term_end": ["2035-12-31"], "permit_quantity_per_year": [1.36e8], "unit_price_cny": [0.15]})
    >>> value_rights(water, as_of=dt.date(2026, 6, 30))["value_cny"][0]
    20400000.0
    """
    frame = validate_rights(rights, source=source)
    checked = validate_prices(prices, source="price table") if prices is not None else None
    return value_frame(frame, as_of, checked)


def _price_haircut(
    frame: pl.DataFrame, as_of: dt.date, prices: pl.DataFrame | None, horizon: FloatArray, vol: FloatArray
) -> tuple[FloatArray, pl.Series]:
    q = fval("haircuts", "drawdown_quantile")
    h = volatility_drawdown(vol, horizon, q)
    basis = np.zeros(frame.height, dtype=np.int16)
    labels = {0: "volatility"}
    if prices is not None:
        names = (
            pl.when(pl.col("price_series").is_not_null())
            .then(pl.col("price_series"))
            .when(pl.col("right_type") == "carbon_allowance")
            .then(pl.lit("cea"))
            .otherwise(pl.lit(None, dtype=pl.String))
        )
        series = frame.select(names.alias("s"))["s"]
        history = prices.filter(pl.col("date") <= as_of)
        present = set(history["series"].unique().to_list())
        for k, name in enumerate(sorted(n for n in series.drop_nulls().unique().to_list() if n in present), start=1):
            closes = history.filter(pl.col("series") == name)["price_cny"].to_numpy()
            on_series = (series == name).fill_null(False).to_numpy()
            for days in np.unique(horizon[on_series]):
                sel = on_series & (horizon == days)
                h[sel] = drawdown_quantile(closes, int(days), q)
            basis[on_series] = k
            labels[k] = f"history:{name}"
    return h, pl.Series("price_basis", basis).replace_strict(labels, return_dtype=pl.String)


def _per_type(key: str, types: np.ndarray) -> FloatArray:
    table_values = np.array([fval("haircuts", f"{t}.{key}") for t in RIGHT_TYPES])
    return np.asarray(table_values[types], dtype=np.float64)


_CLASSES: Final[tuple[str, ...]] = ("young", "middle", "mature", "forest_land")


def _policy_caps(types: np.ndarray, policy_class: np.ndarray, tier: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """Policy cap and hard cap per right from codes: type, stand policy class (-1 none), tier (0/1)."""
    tiers = ("normal", "exchange")
    by_type = np.array(
        [[fval("policy_caps", f"{t}.{lv}") if t != "forest_right" else 1.0 for lv in tiers] for t in RIGHT_TYPES]
    )
    forest = np.array([[fval("policy_caps", f"forest_right.{c}.{lv}") for lv in tiers] for c in _CLASSES])
    caps = by_type[types, tier]
    is_forest = (types == TYPE_CODE["forest_right"]) & (policy_class >= 0)
    caps[is_forest] = forest[policy_class[is_forest], tier[is_forest]]
    hard = np.where(types == TYPE_CODE["forest_right"], fval("policy_caps", "forest_right.hard_cap"), 1.0)
    return np.asarray(caps, dtype=np.float64), np.asarray(hard, dtype=np.float64)


def assess_collateral(
    rights: pl.DataFrame,
    *,
    as_of: dt.date,
    prices: pl.DataFrame | None = None,
    on_refusal: Literal["raise", "flag"] = "raise",
    source: str = "rights table",
) -> pl.DataFrame:
    """Value each right, build its haircut, apply policy caps and say which bound binds.

    ``H = 1 - (1-H_price)(1-H_liquidity)(1-H_legal)(1-H_physical)``; H_price is the q-quantile drawdown over
    the type's liquidation horizon, from the right's price history when one is given (``price_series``;
    ``cea`` for allowances) else from a stated volatility (the row's ``price_volatility_per_year``, or the
    type's value in data/haircuts.json). H_liquidity is lower for forest backed by a
    收储 agency, H_physical lower when insurance is in force, H_legal higher for an unregistered pledge.
    The advance rate is the stricter of ``1 - H`` and the policy caps (type, stand class, tier; 林权 hard
    cap 60%); max loan = value x advance rate; tenor may not pass the right's remaining term.

    Parameters
    ----------
    rights : polars.DataFrame
        The rights (see :func:`value_rights`); optional ``policy_tier``, ``registry``, ``insured``,
        ``storage_agency``, ``loan_cny`` and ``loan_tenor_years``.
    as_of : datetime.date
        Valuation date.
    prices : polars.DataFrame or None
        Price history (``series``, ``date``, ``price_cny``).
    on_refusal : {"raise", "flag"}, default "raise"
        Raise on the first refused right, or keep it with ``eligible`` False, advance rate 0 and the reason.
    source : str, default "rights table"
        Name of the input for error messages.

    Returns
    -------
    polars.DataFrame
        Columns of :data:`ASSESSMENT_SCHEMA`.

    Raises
    ------
    SpecError
        With ``on_refusal="raise"``: a right is expired, its requested tenor passes its term, or it is
        public-benefit forest; the message names the right and the reason.
    DataError
        A bad rights or price table.

    References
    ----------
    shared/reference/assessment.md §8.2 (caps), §8.3 (haircut build-up), §8.4 (CEA stress); LY/T 2407-2015.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> water = pl.DataFrame({"right_id": ["W1"], "borrower_id": ["B1"], "right_type": ["water_right"],
    ...     "term_end": ["2035-12-31"], "permit_quantity_per_year": [1.36e8], "unit_price_cny": [0.15],
    ...     "registry": ["movable_unified"]})
    >>> out = assess_collateral(water, as_of=dt.date(2026, 6, 30))
    >>> out.select("max_loan_cny", "binding_bound").row(0)
    (10200000.0, 'policy_cap')
    """
    if on_refusal not in ("raise", "flag"):
        raise param_error(
            "assess_collateral", "on_refusal", "'raise' or 'flag'", on_refusal, "Use 'flag' to keep refused rights."
        )
    frame = validate_rights(rights, source=source)
    checked = validate_prices(prices, source="price table") if prices is not None else None
    valued = value_frame(frame, as_of, checked)
    remaining = remaining_term_years(frame["term_end"], as_of)
    refused, reasons = refusals(frame, remaining)
    if on_refusal == "raise" and refused.any():
        i = int(np.flatnonzero(refused)[0])
        raise SpecError(
            f"Right {frame['right_id'][i]!r} ({frame['right_type'][i]}) is refused: {reasons[i]}"
            f" ({int(refused.sum())} refused right(s) in all; pass on_refusal='flag' to list them all.)"
        )
    types = codes(frame["right_type"], TYPE_CODE)
    insured = frame["insured"].fill_null(False).to_numpy()
    horizon = _per_type("liquidation_horizon_days", types)
    stated_vol = frame["price_volatility_per_year"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    vol = np.where(np.isnan(stated_vol), _per_type("price_volatility_per_year", types), stated_vol)
    h_price, basis = _price_haircut(frame, as_of, checked, horizon, vol)
    h_liq = _per_type("h_liquidity", types)
    storage = frame["storage_agency"].fill_null(False).to_numpy() & (types == TYPE_CODE["forest_right"])
    h_liq[storage] = fval("haircuts", "forest_right.h_liquidity_with_storage_agency")
    registry = codes(frame["registry"].fill_null("none"), {r: i for i, r in enumerate(REGISTRIES)})
    addon = np.array([fval("haircuts", f"legal_addon.{r}") for r in REGISTRIES])[registry]
    h_legal = 1.0 - (1.0 - _per_type("h_legal", types)) * (1.0 - addon)
    h_phys = np.where(insured, _per_type("h_physical_insured", types), _per_type("h_physical_uninsured", types))
    h_model = 1.0 - (1.0 - h_price) * (1.0 - h_liq) * (1.0 - h_legal) * (1.0 - h_phys)
    model_rate = 1.0 - h_model
    tier = codes(frame["policy_tier"].fill_null("normal"), {"normal": 0, "exchange": 1})
    policy_class = codes(valued["policy_class"], {c: i for i, c in enumerate(_CLASSES)})
    cap, hard = _policy_caps(types, policy_class, tier)
    rate = np.minimum(np.minimum(model_rate, cap), hard)
    bound = np.where(
        refused,
        4,
        np.where(cap <= 0.0, 3, np.where(model_rate <= np.minimum(cap, hard), 0, np.where(cap <= hard, 1, 2))),
    )
    rate = np.where(refused, 0.0, np.maximum(rate, 0.0))
    value = valued["value_cny"].to_numpy()
    loan = frame["loan_cny"].cast(pl.Float64).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ltv = np.where(value > 0.0, loan / np.where(value > 0.0, value, 1.0), np.where(loan > 0.0, np.inf, 0.0))
    warn, dispose = margin_lines(types)
    action = pl.Series(np.where(ltv >= dispose, 2, np.where(ltv >= warn, 1, 0))).replace_strict(
        {0: "ok", 1: "top_up", 2: "dispose"}, return_dtype=pl.String
    )
    has_loan = frame["loan_cny"].is_not_null()
    tenor_cap = np.full(frame.height, np.inf)
    tenor_cap[types == TYPE_CODE["forest_right"]] = fval("policy_caps", "forest_right.max_tenor_years")
    tenor_cap[types == TYPE_CODE["discharge_right"]] = fval("policy_caps", "discharge_right.max_tenor_years")
    return (
        valued.drop("policy_class")
        .with_columns(
            basis,
            pl.Series("h_price", h_price),
            pl.Series("h_liquidity", h_liq),
            pl.Series("h_legal", h_legal),
            pl.Series("h_physical", h_phys),
            pl.Series("haircut_model", h_model),
            pl.Series("model_advance_rate", model_rate),
            pl.Series("policy_cap", cap),
            pl.Series("hard_cap", hard),
            pl.Series("advance_rate", rate),
            pl.Series("haircut", 1.0 - rate),
            pl.Series("max_loan_cny", value * rate),
            pl.Series("binding_bound", bound).replace_strict(dict(enumerate(BINDING_BOUNDS)), return_dtype=pl.String),
            pl.Series("max_tenor_years", np.maximum(np.minimum(remaining, tenor_cap), 0.0)),
            pl.Series("eligible", ~refused),
            reasons.alias("refusal_reason"),
            pl.Series("insured", insured),
            frame["loan_cny"].cast(pl.Float64).alias("loan_cny"),
            pl.Series("current_ltv", ltv).zip_with(has_loan, pl.Series([None], dtype=pl.Float64)),
            action.zip_with(has_loan, pl.Series([None], dtype=pl.String)).alias("margin_action"),
        )
        .select(list(ASSESSMENT_SCHEMA))
    )


def margin_action(ltv: FloatArray, right_type: np.ndarray) -> np.ndarray:
    """Action a current loan-to-value triggers: ``ok``, ``top_up`` (警戒线) or ``dispose`` (处置线).

    At or above the warning line the borrower must add collateral or repay down to the advance rate; at or
    above the disposal line the lender sells or transfers the right (exchange or 收储 agency). Lines are
    ``1 / coverage`` (data/margins.json), or a type-specific LTV where one is given (CEA).

    Parameters
    ----------
    ltv : numpy.ndarray
        Current loan / current collateral value.
    right_type : numpy.ndarray
        Right type per loan (names of ``RIGHT_TYPES``).

    Returns
    -------
    numpy.ndarray
        Strings ``ok``, ``top_up`` or ``dispose``.

    Examples
    --------
    >>> margin_action(np.array([0.5, 0.65, 0.9]), np.array(["carbon_allowance"] * 3)).tolist()
    ['ok', 'top_up', 'dispose']
    """
    type_codes = codes(pl.Series(np.asarray(right_type, dtype=str)), TYPE_CODE)
    warn, dispose = margin_lines(type_codes)
    x = np.asarray(ltv, dtype=np.float64)
    return np.where(x >= dispose, "dispose", np.where(x >= warn, "top_up", "ok"))


def margin_lines(type_codes: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """Warning (警戒线) and disposal (处置线) LTV per right-type code.

    Parameters
    ----------
    type_codes : numpy.ndarray
        Right-type codes (index into ``RIGHT_TYPES``).

    Returns
    -------
    tuple of numpy.ndarray
        ``(warning_ltv, disposal_ltv)``.
    """
    margins = table("margins")
    warn = np.full(len(RIGHT_TYPES), 1.0 / fval("margins", "warning_coverage"))
    dispose = np.full(len(RIGHT_TYPES), 1.0 / fval("margins", "disposal_coverage"))
    for i, t in enumerate(RIGHT_TYPES):
        if f"{t}.warning_ltv" in margins.params:
            warn[i] = fval("margins", f"{t}.warning_ltv")
            dispose[i] = fval("margins", f"{t}.disposal_ltv")
    return np.asarray(warn[type_codes], dtype=np.float64), np.asarray(dispose[type_codes], dtype=np.float64)
