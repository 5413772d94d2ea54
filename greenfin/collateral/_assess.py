"""Public valuation and advance-rate functions: value, haircut build-up, policy caps, binding bound, margins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from typing import Any, Final, Literal, NamedTuple

import numpy as np
import polars as pl

from greenfin._typing import BoolArray, FloatArray
from greenfin.collateral._columns import Columns, FrameColumns, RecordColumns, codes
from greenfin.collateral._params import fval, table
from greenfin.collateral._prices import drawdown_quantile, validate_prices, volatility_drawdown
from greenfin.collateral._rights import (
    REGISTRIES,
    RIGHT_TYPES,
    TYPE_CODE,
    refusal_codes,
    refusal_text,
    refusal_texts,
    validate_right_record,
    validate_rights,
)
from greenfin.collateral._valuation import (
    METHOD_KEYS,
    POLICY_CLASSES,
    STAND_CLASSES,
    Valued,
    policy_class_codes,
    value_columns,
    value_frame,
)
from greenfin.errors import DataError, SpecError, param_error

__all__ = [
    "ASSESSMENT_SCHEMA",
    "BINDING_BOUNDS",
    "MARGIN_ACTIONS",
    "assess_collateral",
    "assess_right",
    "margin_action",
    "value_rights",
]

BINDING_BOUNDS: Final[tuple[str, ...]] = ("model", "policy_cap", "hard_cap", "not_accepted", "refused")
"""Which bound set the advance rate: the haircut model, the policy cap of the type and tier, the hard cap
(林权 60%), a policy cap of zero (not accepted in this tier) or a refusal (expired, tenor past term, ...)."""

MARGIN_ACTIONS: Final[tuple[str, ...]] = ("ok", "top_up", "dispose")
"""What a current loan-to-value triggers: nothing, a top-up (警戒线) or disposal (处置线)."""

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
    cols: Columns, as_of: dt.date, prices: pl.DataFrame | None, horizon: FloatArray, vol: FloatArray, types: np.ndarray
) -> tuple[FloatArray, np.ndarray, tuple[str, ...]]:
    """Price haircut per right, and its basis: code per right into the returned labels (0 = volatility)."""
    q = fval("haircuts", "drawdown_quantile")
    h = volatility_drawdown(vol, horizon, q)
    basis = np.zeros(cols.height, dtype=np.int16)
    labels = ["volatility"]
    if prices is not None:
        label_codes, distinct = cols.labels("price_series")
        names = (*distinct, "cea")
        series = np.where(
            label_codes >= 0, label_codes, np.where(types == TYPE_CODE["carbon_allowance"], len(distinct), -1)
        )
        history = prices.filter(pl.col("date") <= as_of)
        present = set(history["series"].unique().to_list())
        for k in sorted({int(c) for c in series[series >= 0] if names[c] in present}, key=lambda c: names[c]):
            name = names[k]
            closes = history.filter(pl.col("series") == name)["price_cny"].to_numpy()
            on_series = series == k
            for days in np.unique(horizon[on_series]):
                sel = on_series & (horizon == days)
                h[sel] = drawdown_quantile(closes, int(days), q)
            basis[on_series] = len(labels)
            labels.append(f"history:{name}")
    return h, basis, tuple(labels)


@cache
def _type_table(key: str) -> FloatArray:
    return np.array([fval("haircuts", f"{t}.{key}") for t in RIGHT_TYPES], dtype=np.float64)


def _per_type(key: str, types: np.ndarray) -> FloatArray:
    return np.asarray(_type_table(key)[types], dtype=np.float64)


def _policy_caps(types: np.ndarray, policy_class: np.ndarray, tier: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """Policy cap and hard cap per right from codes: type, stand policy class (-1 none), tier (0/1)."""
    tiers = ("normal", "exchange")
    by_type = np.array(
        [[fval("policy_caps", f"{t}.{lv}") if t != "forest_right" else 1.0 for lv in tiers] for t in RIGHT_TYPES]
    )
    forest = np.array([[fval("policy_caps", f"forest_right.{c}.{lv}") for lv in tiers] for c in POLICY_CLASSES])
    caps = by_type[types, tier]
    is_forest = (types == TYPE_CODE["forest_right"]) & (policy_class >= 0)
    caps[is_forest] = forest[policy_class[is_forest], tier[is_forest]]
    hard = np.where(types == TYPE_CODE["forest_right"], fval("policy_caps", "forest_right.hard_cap"), 1.0)
    return np.asarray(caps, dtype=np.float64), np.asarray(hard, dtype=np.float64)


class _Assessed(NamedTuple):
    """Every output column of an assessment as arrays (codes where the output is a label)."""

    valued: Valued
    numbers: dict[str, FloatArray]
    basis: np.ndarray
    basis_labels: tuple[str, ...]
    bound: np.ndarray
    refusal: np.ndarray
    reasons: np.ndarray
    insured: BoolArray
    loan: FloatArray
    has_loan: BoolArray
    action: np.ndarray


def _assess(cols: Columns, as_of: dt.date, prices: pl.DataFrame | None, on_refusal: str) -> _Assessed:
    """The assessment of validated rights (shared by the table and the single-right entry points)."""
    valued = value_columns(cols, as_of, prices)
    remaining = valued.remaining_years
    types = valued.types
    refusal = refusal_codes(cols, types, remaining)
    refused = refusal >= 0
    if on_refusal == "raise" and refused.any():
        i = int(np.flatnonzero(refused)[0])
        tenor = float(np.nan_to_num(cols.num("loan_tenor_years")[i]))
        raise SpecError(
            f"Right {cols.value('right_id', i)!r} ({cols.value('right_type', i)}) is refused:"
            f" {refusal_text(cols, i, int(refusal[i]), tenor, float(remaining[i]))}"
            f" ({int(refused.sum())} refused right(s) in all; pass on_refusal='flag' to list them all.)"
        )
    insured = cols.flag("insured")
    horizon = _per_type("liquidation_horizon_days", types)
    stated_vol = cols.num("price_volatility_per_year")
    vol = np.where(np.isnan(stated_vol), _per_type("price_volatility_per_year", types), stated_vol)
    h_price, basis, basis_labels = _price_haircut(cols, as_of, prices, horizon, vol, types)
    h_liq = _per_type("h_liquidity", types)
    storage = cols.flag("storage_agency") & (types == TYPE_CODE["forest_right"])
    h_liq[storage] = fval("haircuts", "forest_right.h_liquidity_with_storage_agency")
    registry = cols.code("registry", {r: i for i, r in enumerate(REGISTRIES)}, fill="none")
    addon = np.array([fval("haircuts", f"legal_addon.{r}") for r in REGISTRIES])[registry]
    h_legal = 1.0 - (1.0 - _per_type("h_legal", types)) * (1.0 - addon)
    h_phys = np.where(insured, _per_type("h_physical_insured", types), _per_type("h_physical_uninsured", types))
    h_model = 1.0 - (1.0 - h_price) * (1.0 - h_liq) * (1.0 - h_legal) * (1.0 - h_phys)
    model_rate = 1.0 - h_model
    tier = cols.code("policy_tier", {"normal": 0, "exchange": 1}, fill="normal")
    cap, hard = _policy_caps(types, policy_class_codes(valued.stand_class), tier)
    rate = np.minimum(np.minimum(model_rate, cap), hard)
    bound = np.where(
        refused,
        4,
        np.where(cap <= 0.0, 3, np.where(model_rate <= np.minimum(cap, hard), 0, np.where(cap <= hard, 1, 2))),
    )
    rate = np.where(refused, 0.0, np.maximum(rate, 0.0))
    value = valued.value_cny
    loan = cols.num("loan_cny")
    with np.errstate(divide="ignore", invalid="ignore"):
        ltv = np.where(value > 0.0, loan / np.where(value > 0.0, value, 1.0), np.where(loan > 0.0, np.inf, 0.0))
    warn, dispose = margin_lines(types)
    action = np.where(ltv >= dispose, 2, np.where(ltv >= warn, 1, 0))
    tenor_cap = np.full(cols.height, np.inf)
    tenor_cap[types == TYPE_CODE["forest_right"]] = fval("policy_caps", "forest_right.max_tenor_years")
    tenor_cap[types == TYPE_CODE["discharge_right"]] = fval("policy_caps", "discharge_right.max_tenor_years")
    numbers = {
        "value_cny": value,
        "remaining_term_years": np.maximum(remaining, 0.0),
        "h_price": h_price,
        "h_liquidity": h_liq,
        "h_legal": h_legal,
        "h_physical": h_phys,
        "haircut_model": h_model,
        "model_advance_rate": model_rate,
        "policy_cap": cap,
        "hard_cap": hard,
        "advance_rate": rate,
        "haircut": 1.0 - rate,
        "max_loan_cny": value * rate,
        "max_tenor_years": np.maximum(np.minimum(remaining, tenor_cap), 0.0),
        "current_ltv": ltv,
    }
    return _Assessed(
        valued=valued,
        numbers=numbers,
        basis=basis,
        basis_labels=basis_labels,
        bound=bound,
        refusal=refusal,
        reasons=refusal_texts(cols, refusal, remaining),
        insured=insured,
        loan=loan,
        has_loan=~np.isnan(loan),
        action=action,
    )


def _check_on_refusal(on_refusal: str, caller: str) -> None:
    if on_refusal not in ("raise", "flag"):
        raise param_error(caller, "on_refusal", "'raise' or 'flag'", on_refusal, "Use 'flag' to keep refused rights.")


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

    See Also
    --------
    assess_right : The same assessment of one right given as a mapping (no table; for single requests).

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
    _check_on_refusal(on_refusal, "assess_collateral")
    frame = validate_rights(rights, source=source)
    checked = validate_prices(prices, source="price table") if prices is not None else None
    out = _assess(FrameColumns(frame), as_of, checked, on_refusal)
    has_loan = pl.Series(out.has_loan)
    reasons = pl.repeat(None, frame.height, dtype=pl.String, eager=True)
    refused = np.flatnonzero(out.refusal >= 0)
    if refused.size:
        reasons = reasons.scatter(refused, pl.Series(out.reasons[refused].tolist(), dtype=pl.String))
    class_codes = pl.Series(out.valued.stand_class)
    numbers = {k: pl.Series(k, v) for k, v in out.numbers.items()}
    return pl.DataFrame(
        {
            "right_id": frame["right_id"],
            "borrower_id": frame["borrower_id"],
            "right_type": frame["right_type"],
            "parcel_id": frame["parcel_id"],
            "method": pl.Series(out.valued.method).replace_strict(
                dict(enumerate(METHOD_KEYS)), default=None, return_dtype=pl.String
            ),
            "stand_class": class_codes.replace_strict(
                dict(enumerate(STAND_CLASSES)), default=None, return_dtype=pl.String
            ),
            **{k: numbers[k] for k in ("value_cny", "remaining_term_years")},
            "price_basis": pl.Series(out.basis).replace_strict(
                dict(enumerate(out.basis_labels)), return_dtype=pl.String
            ),
            **{k: numbers[k] for k in ASSESSMENT_SCHEMA if k in numbers and k != "current_ltv"},
            "binding_bound": pl.Series(out.bound).replace_strict(
                dict(enumerate(BINDING_BOUNDS)), return_dtype=pl.String
            ),
            "eligible": pl.Series(out.refusal < 0),
            "refusal_reason": reasons,
            "insured": pl.Series(out.insured),
            "loan_cny": pl.Series(out.loan).fill_nan(None),
            "current_ltv": numbers["current_ltv"].zip_with(has_loan, pl.Series([None], dtype=pl.Float64)),
            "margin_action": pl.Series(out.action)
            .replace_strict(dict(enumerate(MARGIN_ACTIONS)), return_dtype=pl.String)
            .zip_with(has_loan, pl.Series([None], dtype=pl.String)),
        }
    ).select(list(ASSESSMENT_SCHEMA))


def assess_right(
    right: Mapping[str, Any],
    *,
    as_of: dt.date,
    on_refusal: Literal["raise", "flag"] = "raise",
    source: str = "right",
) -> dict[str, Any]:
    """Assess one right given as a mapping: the row :func:`assess_collateral` gives for it, without a table.

    For single requests (one API call, one loan officer's question): the same checks, kernels and messages
    as :func:`assess_collateral` on a one-row table, at a fraction of the cost, because no polars query
    runs. It takes no price history: a right valued on a price series (a carbon allowance, or a sink right
    naming a ``price_series``) needs its price in ``unit_price_cny``, and the price haircut comes from the
    stated or default volatility.

    Parameters
    ----------
    right : Mapping
        Column name -> value (see ``greenfin.collateral.RIGHTS_COLUMNS``; dates as ``datetime.date`` or
        ``YYYY-MM-DD``).
    as_of : datetime.date
        Valuation date.
    on_refusal : {"raise", "flag"}, default "raise"
        Raise if the right is refused, or return it with ``eligible`` False and the reason.
    source : str, default "right"
        Name of the input for error messages.

    Returns
    -------
    dict
        Keys of :data:`ASSESSMENT_SCHEMA` with Python values (None where the table has a null).

    Raises
    ------
    SpecError
        With ``on_refusal="raise"``: the right is refused.
    DataError
        A bad right (the message names the column and the fix).

    Examples
    --------
    >>> import datetime as dt
    >>> water = {"right_id": "W1", "borrower_id": "B1", "right_type": "water_right", "term_end": "2035-12-31",
    ...     "permit_quantity_per_year": 1.36e8, "unit_price_cny": 0.15, "registry": "movable_unified"}
    >>> row = assess_right(water, as_of=dt.date(2026, 6, 30))
    >>> row["max_loan_cny"], row["binding_bound"]
    (10200000.0, 'policy_cap')
    """
    _check_on_refusal(on_refusal, "assess_right")
    record = validate_right_record(right, source=source)
    on_series = record["right_type"] == "carbon_allowance" or (
        record["right_type"] == "carbon_sink_income" and record["price_series"] is not None
    )
    if on_series and record["unit_price_cny"] is None:
        raise DataError(
            f"a {record['right_type']} valued on a price series needs unit_price_cny here: one right is "
            "valued without a price history. Give the last close (CNY per tCO2e) in unit_price_cny, or "
            "value it with assess_collateral(rights, prices=...) on a price table.",
            source=source,
            column="unit_price_cny",
            row=1,
        )
    out = _assess(RecordColumns([record]), as_of, None, on_refusal)
    has_loan = bool(out.has_loan[0])
    method = int(out.valued.method[0])
    klass = int(out.valued.stand_class[0])
    row: dict[str, Any] = {
        "right_id": record["right_id"],
        "borrower_id": record["borrower_id"],
        "right_type": record["right_type"],
        "parcel_id": record["parcel_id"],
        "method": METHOD_KEYS[method] if method >= 0 else None,
        "stand_class": STAND_CLASSES[klass] if klass >= 0 else None,
        "price_basis": out.basis_labels[int(out.basis[0])],
        "binding_bound": BINDING_BOUNDS[int(out.bound[0])],
        "eligible": bool(out.refusal[0] < 0),
        "refusal_reason": out.reasons[0],
        "insured": bool(out.insured[0]),
        "loan_cny": float(out.loan[0]) if has_loan else None,
        "margin_action": MARGIN_ACTIONS[int(out.action[0])] if has_loan else None,
    }
    row.update({k: float(v[0]) for k, v in out.numbers.items()})
    if not has_loan:
        row["current_ltv"] = None
    return {k: row[k] for k in ASSESSMENT_SCHEMA}


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
