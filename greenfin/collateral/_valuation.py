"""Valuation kernels, one method family per right type, vectorised over a portfolio (numpy, grouped by type).

Every kernel is a pure function of float64 arrays; Python loops run only over species groups and over
years of a cash-flow horizon, never over rights.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, NamedTuple

import numpy as np
import polars as pl

from greenfin._typing import BoolArray, FloatArray
from greenfin.collateral._columns import Columns, FrameColumns
from greenfin.collateral._params import fval, sval, tval
from greenfin.collateral._prices import last_price
from greenfin.collateral._rights import DAYS_PER_YEAR, PERMIT_TYPES, SPECIES, SPECIES_CODE, TYPE_CODE
from greenfin.errors import DataError

__all__ = [
    "POLICY_CLASSES",
    "STAND_CLASSES",
    "Valued",
    "forest_values",
    "land_expectation_value",
    "policy_class_codes",
    "sink_income_values",
    "value_columns",
    "value_frame",
]

STAND_CLASSES: Final[tuple[str, ...]] = (
    "young",
    "middle_aged",
    "near_mature",
    "mature",
    "over_mature",
    "pre_production",
    "initial_production",
    "peak_production",
    "declining",
    "past_production",
    "forest_land",
)
"""Stand classes (龄组 for timber; 产期 for economic forest) in the order of their integer codes."""

POLICY_CLASSES: Final[tuple[str, ...]] = ("young", "middle", "mature", "forest_land")
"""Rows of the 林权 policy-cap tier table (assessment.md §8.2), in the order of their integer codes."""

# policy class of each stand class (row of the 林权 tier table, assessment.md §8.2)
_POLICY_CLASS: Final[tuple[str, ...]] = (
    "young",
    "middle",
    "middle",
    "mature",
    "mature",
    "young",
    "middle",
    "mature",
    "middle",
    "young",
    "forest_land",
)

METHODS: Final[dict[str, str]] = {  # key -> label; the key's position is its integer code
    "replacement_cost": "重置成本法 replacement cost (LY/T 2407-2015)",
    "harvest_present_value": "收获现值法 harvest present value (LY/T 2407-2015)",
    "market_back_calculation": "市场价倒算法 market-price back-calculation (LY/T 2407-2015)",
    "income_method": "收益现值法 income method (LY/T 2407-2015)",
    "issued_credit_receivable": "expected issued credits x price, discounted (future receivable)",
    "mark_to_market": "mark to market at the last close",
    "volume_x_price": "volume x price limited to the remaining permit term",
    "rent_x_area_x_term": "rent x area x remaining term (Pingluo rule)",
    "one_year_rent": "one year of rent x area (transferred land, annual-rent limitation)",
    "realisable_npv": "NPV of realisable cash flows (never GEP itself)",
    "seasonal_ticket_npv": "visitors x ticket price, seasonal, with a shock, discounted",
    "land_expectation_value": "林地期望价法 land expectation value (Faustmann; LY/T 2407-2015), within the term",
    "rent_capitalisation": "年金资本化法 forest-land rent capitalised over the remaining term (LY/T 2407-2015)",
}
METHOD_KEYS: Final[tuple[str, ...]] = tuple(METHODS)
_M: Final[dict[str, int]] = {k: i for i, k in enumerate(METHOD_KEYS)}


def _timber_volume(species: str, age: FloatArray) -> FloatArray:
    a = fval("forest", f"{species}.yield_a_m3_per_ha")
    k = fval("forest", f"{species}.yield_k_per_year")
    c = fval("forest", f"{species}.yield_c")
    return np.asarray(a * (1.0 - np.exp(-k * np.maximum(age, 0.0))) ** c, dtype=np.float64)


def _replacement_cost(species: str, age: FloatArray) -> FloatArray:
    p = fval("forest", "investment_return_rate")
    growth = (1.0 + p) ** age
    est = fval("forest", f"{species}.establishment_cost_cny_per_ha")
    ann = fval("forest", f"{species}.annual_cost_cny_per_ha")
    return np.asarray(est * growth + ann * (growth - 1.0) / p, dtype=np.float64)


def _economic_income(species: str, age: FloatArray) -> FloatArray:
    pre, _init, peak, decline = tval("forest", f"{species}.age_classes_years")
    inc = fval("forest", f"{species}.peak_net_income_cny_per_ha_per_year")
    k = fval("forest", f"{species}.yield_k_per_year")
    c = fval("forest", f"{species}.yield_c")
    d = fval("forest", f"{species}.decline_rate_per_year")
    ramp = (1.0 - np.exp(-k * np.maximum(age - pre, 0.0))) ** c
    fall = (1.0 - d) ** np.maximum(age - peak, 0.0)
    return np.asarray(np.where((age > pre) & (age <= decline), inc * ramp * fall, 0.0), dtype=np.float64)


def land_expectation_value(
    harvest_cny: FloatArray | float,
    establishment_cny: FloatArray | float,
    annual_cost_cny: FloatArray | float,
    rate: float,
    rotation_years: FloatArray | float,
    thinnings: tuple[tuple[float, FloatArray | float], ...] = (),
) -> FloatArray:
    """Land expectation value (林地期望价, Faustmann) of bare forest land under a perpetual rotation.

    ``SEV = [A_u + sum_a D_a (1+p)^(u-a) - C (1+p)^u] / ((1+p)^u - 1) - v / p``

    Parameters
    ----------
    harvest_cny : float or numpy.ndarray
        Final-harvest net income A_u per unit area at rotation age u.
    establishment_cny : float or numpy.ndarray
        Establishment cost C at the start of each rotation.
    annual_cost_cny : float or numpy.ndarray
        Annual management cost v.
    rate : float
        Interest (investment-return) rate p, a fraction.
    rotation_years : float or numpy.ndarray
        Rotation length u in years.
    thinnings : tuple of (age, income)
        Thinning incomes D_a at ages a.

    Returns
    -------
    numpy.ndarray
        SEV per unit area (may be negative when the rotation does not pay).

    References
    ----------
    LY/T 2407-2015 林地期望价法; 森林经理学 worked example (睦霖题库, www.274949.com/2911/t31487816.html).

    Examples
    --------
    >>> round(float(land_expectation_value(30000.0, 1000.0, 300.0, 0.06, 30.0, ((20.0, 1000.0), (25.0, 2000.0)))), 1)
    1055.4
    """
    u = np.asarray(rotation_years, dtype=np.float64)
    grow = (1.0 + rate) ** u
    income = np.asarray(harvest_cny, dtype=np.float64)
    for age, thinning in thinnings:
        income = income + np.asarray(thinning, dtype=np.float64) * (1.0 + rate) ** (u - age)
    sev = (income - np.asarray(establishment_cny, dtype=np.float64) * grow) / (grow - 1.0)
    return np.asarray(sev - np.asarray(annual_cost_cny, dtype=np.float64) / rate, dtype=np.float64)


def _species_sev(name: str) -> float:
    """SEV per ha of bare land planted with ``name`` (timber: harvest at rotation; economic: income cycle)."""
    p = fval("forest", "investment_return_rate")
    est = fval("forest", f"{name}.establishment_cost_cny_per_ha")
    ann = fval("forest", f"{name}.annual_cost_cny_per_ha")
    bounds = tval("forest", f"{name}.age_classes_years")
    if sval("forest", f"{name}.kind") == "timber":
        u = bounds[2] + 1.0
        price = fval("forest", f"{name}.timber_price_cny_per_m3")
        stump = fval("forest", f"{name}.outturn_rate") * (
            price - fval("forest", f"{name}.harvest_cost_cny_per_m3") - fval("forest", "profit_rate") * price
        )
        harvest = float(_timber_volume(name, np.array([u]))[0]) * stump
        return float(land_expectation_value(harvest, est, ann, p, u))
    pre, cycle = bounds[0], bounds[3]
    ages = np.arange(pre + 1.0, cycle + 1.0)
    incomes = _economic_income(name, ages)
    thinnings = tuple((float(a), float(i)) for a, i in zip(ages, incomes, strict=True))
    # management cost only before production (production-stage incomes are net of it)
    pre_cost = ann * ((1.0 + p) ** pre - 1.0) / p * (1.0 + p) ** (cycle - pre)
    return float(land_expectation_value(-pre_cost, est, 0.0, p, cycle, thinnings))


def forest_values(
    species: np.ndarray,
    age: FloatArray,
    area_ha: FloatArray,
    remaining_years: FloatArray,
    land_only: np.ndarray | None = None,
    land_rent_cny_per_ha: FloatArray | None = None,
) -> tuple[FloatArray, np.ndarray, np.ndarray]:
    """Appraised value of forest rights by stand age (LY/T 2407-2015), vectorised.

    Timber (chinese_fir, masson_pine, broadleaf): young stands at replacement cost
    ``K [C1 (1+P)^a + c ((1+P)^a - 1)/P]``; middle-aged and near-mature stands at the harvest value less
    the cost of growing on, discounted, ``K [V(h) s - c ((1+P)^(h-a) - 1)/P] / (1+P)^(h-a)`` at the
    rotation age ``h = u``, or at the term end when that comes first and gives less; mature and
    over-mature stands by market-price back-calculation ``K V(a) s`` with stumpage
    ``s = outturn (W - C - F)``. Economic forest (bamboo, oil_tea): replacement cost before production,
    then the income method over the productive years left within the term. Bare forest land (``land_only``):
    land expectation value per ha x ``(1 - (1+P)^-T)`` for the remaining term T, or, where a market land
    rent is given, that rent capitalised over T (年金资本化法).

    Parameters
    ----------
    species : numpy.ndarray
        Species group code per right (index into ``SPECIES``).
    age : numpy.ndarray
        Stand age in years.
    area_ha : numpy.ndarray
        Area in hectares.
    remaining_years : numpy.ndarray
        Remaining term of the forest right in years.
    land_only : numpy.ndarray or None
        True for a forest-land use right without standing timber (林地使用权).
    land_rent_cny_per_ha : numpy.ndarray or None
        Market forest-land rent per ha and year (NaN where unknown) for bare land.

    Returns
    -------
    tuple
        ``(value_cny, stand_class_code, method_code)``: value in yuan, index into :data:`STAND_CLASSES`, and
        index into ``METHOD_KEYS``.
    """
    sp = np.asarray(species)
    n = sp.shape[0]
    value = np.zeros(n)
    klass = np.zeros(n, dtype=np.int64)
    method = np.full(n, _M["replacement_cost"], dtype=np.int16)
    k_adj = fval("forest", "adjustment_factor_k")
    p = fval("forest", "investment_return_rate")
    profit = fval("forest", "profit_rate")
    for name in SPECIES:
        m = sp == SPECIES_CODE[name]
        if not m.any():
            continue
        a = age[m]
        rem = np.maximum(remaining_years[m], 0.0)
        bounds = tval("forest", f"{name}.age_classes_years")
        per_ha = np.zeros(a.shape[0])
        if sval("forest", f"{name}.kind") == "timber":
            young, middle, near, mature = bounds
            u = near + 1.0
            price = fval("forest", f"{name}.timber_price_cny_per_m3")
            stump = fval("forest", f"{name}.outturn_rate") * (
                price - fval("forest", f"{name}.harvest_cost_cny_per_m3") - profit * price
            )
            ann = fval("forest", f"{name}.annual_cost_cny_per_ha")
            code = np.select([a <= young, a <= middle, a <= near, a <= mature], [0, 1, 2, 3], 4)
            is_young = code == 0
            is_grow = (code == 1) | (code == 2)

            def harvest_value(h: FloatArray, a: FloatArray = a) -> FloatArray:
                wait = np.maximum(h - a, 0.0)
                grown = _timber_volume(name, h) * stump - ann * ((1.0 + p) ** wait - 1.0) / p  # noqa: B023
                return np.asarray(grown / (1.0 + p) ** wait, dtype=np.float64)

            # a term ending before rotation forces harvest at term end; it may lower the value, never raise it
            grow_on = np.minimum(harvest_value(np.full_like(a, u)), harvest_value(np.minimum(u, a + rem)))
            per_ha = np.where(
                is_young, _replacement_cost(name, a), np.where(is_grow, grow_on, _timber_volume(name, a) * stump)
            )
            meth = np.where(
                is_young,
                _M["replacement_cost"],
                np.where(is_grow, _M["harvest_present_value"], _M["market_back_calculation"]),
            )
        else:
            pre, init, peak, decline = bounds
            code = np.select([a <= pre, a <= init, a <= peak, a <= decline], [5, 6, 7, 8], 9)
            income = np.zeros(a.shape[0])
            horizon = np.floor(np.minimum(rem, np.maximum(decline - a, 0.0)))
            for year in range(1, int(horizon.max(initial=0.0)) + 1):
                live = horizon >= year
                income += np.where(live, _economic_income(name, a + year) / (1.0 + p) ** year, 0.0)
            per_ha = np.where(code == 5, _replacement_cost(name, a), income)
            meth = np.where(code == 5, _M["replacement_cost"], _M["income_method"])
        if land_only is not None and land_only[m].any():
            bare = land_only[m]
            term_share = 1.0 - (1.0 + p) ** -rem
            rent = np.full(a.shape[0], np.nan) if land_rent_cny_per_ha is None else land_rent_cny_per_ha[m]
            by_rent = bare & ~np.isnan(rent)
            capitalised = np.nan_to_num(rent) * term_share / p
            per_ha = np.where(by_rent, capitalised, np.where(bare, max(_species_sev(name), 0.0) * term_share, per_ha))
            code = np.where(bare, STAND_CLASSES.index("forest_land"), code)
            meth = np.where(by_rent, _M["rent_capitalisation"], np.where(bare, _M["land_expectation_value"], meth))
        value[m] = k_adj * np.maximum(per_ha, 0.0) * area_ha[m]
        klass[m] = code
        method[m] = meth
    return value, klass, method


def annual_sink_tco2e(species: np.ndarray, age: FloatArray, area_ha: FloatArray) -> FloatArray:
    """Net creditable sequestration in the year after ``age`` (tCO2e/year), from the growth curve.

    ``species`` holds species codes (index into ``SPECIES``; -1 for none).
    """
    out = np.zeros(species.shape[0])
    cf = fval("forest", "carbon_fraction") * fval("forest", "co2_per_c")
    for name in SPECIES:
        m = species == SPECIES_CODE[name]
        if not m.any():
            continue
        if sval("forest", f"{name}.kind") == "timber":
            dv = _timber_volume(name, age[m] + 1.0) - _timber_volume(name, age[m])
            factor = (
                fval("forest", f"{name}.wood_density_t_per_m3")
                * fval("forest", f"{name}.biomass_expansion_factor")
                * (1.0 + fval("forest", f"{name}.root_shoot_ratio"))
                * cf
            )
            out[m] = dv * factor * area_ha[m]
        else:
            out[m] = fval("forest", f"{name}.sink_tco2e_per_ha_per_year") * area_ha[m]
    return out


def sink_income_values(
    fixed_tco2e: FloatArray,
    species: np.ndarray,
    age: FloatArray,
    area_ha: FloatArray,
    remaining_years: FloatArray,
    price_cny: FloatArray,
) -> FloatArray:
    """Carbon-sink income right as a future receivable: expected issued credits x price path, discounted.

    Vintage ``y`` (1, 2, ...) of credits (the stated ``annual_sink_tco2e``, or the growth-curve sequestration
    less the buffer deduction) is issued ``lag`` years later with probability ``p_issue`` and sold at
    ``price (1+g)^(y+lag)``; only issuances within the right's remaining term and the crediting period count.

    Parameters
    ----------
    fixed_tco2e : numpy.ndarray
        Stated credits per year (NaN to derive them from species, age and area).
    species : numpy.ndarray
        Species group code (-1 where credits are stated).
    age : numpy.ndarray
        Stand age in years (NaN where credits are stated).
    area_ha : numpy.ndarray
        Area in hectares (NaN where credits are stated).
    remaining_years : numpy.ndarray
        Remaining term of the right.
    price_cny : numpy.ndarray
        Credit price today, CNY per tCO2e.

    Returns
    -------
    numpy.ndarray
        Value in yuan.
    """
    lag = fval("valuation", "sink_issuance_lag_years")
    p_issue = fval("valuation", "sink_issuance_probability")
    buffer = fval("valuation", "sink_buffer_deduction")
    r = fval("valuation", "sink_discount_rate")
    g = fval("valuation", "sink_price_growth_per_year")
    period = fval("valuation", "sink_crediting_period_years")
    stated = ~np.isnan(fixed_tco2e)
    last = np.floor(np.minimum(np.maximum(remaining_years, 0.0) - lag, period))
    value = np.zeros(fixed_tco2e.shape[0])
    sp = np.where(stated, -1, species)
    for year in range(1, int(last.max(initial=0.0)) + 1):
        live = last >= year
        if not live.any():
            break
        derived = annual_sink_tco2e(sp, np.nan_to_num(age) + year - 1.0, np.nan_to_num(area_ha)) * (1.0 - buffer)
        credits = np.where(stated, fixed_tco2e, derived)
        t = year + lag
        value += np.where(live, p_issue * credits * price_cny * ((1.0 + g) / (1.0 + r)) ** t, 0.0)
    return value


def _growing_annuity(cash: FloatArray, growth: FloatArray, rate: float, years: FloatArray) -> FloatArray:
    ratio = (1.0 + growth) / (1.0 + rate)
    same = np.isclose(ratio, 1.0)
    safe = np.where(same, 0.5, ratio)
    level = cash / (1.0 + rate) * np.where(same, years, (1.0 - safe**years) / (1.0 - safe))
    return np.asarray(level, dtype=np.float64)


def _scenic(visitors: FloatArray, ticket: FloatArray, years: FloatArray) -> FloatArray:
    r = fval("valuation", "scenic_discount_rate")
    weights = np.asarray(tval("valuation", "scenic_seasonality"))
    weights = weights / weights.sum()
    months = (np.arange(12) + 0.5) / 12.0
    within = float((weights * (1.0 + r) ** -months).sum())
    v = 1.0 / (1.0 + r)

    def annuity_due(n: FloatArray) -> FloatArray:
        return np.asarray((1.0 - v**n) / (1.0 - v), dtype=np.float64)

    depth = fval("valuation", "scenic_shock_depth")
    shock_years = fval("valuation", "scenic_shock_years")
    revenue = visitors * ticket * within
    return np.asarray(revenue * (annuity_due(years) - depth * annuity_due(np.minimum(years, shock_years))))


def _series_prices(
    cols: Columns, mask: BoolArray, default: str, prices: pl.DataFrame | None, as_of: dt.date
) -> FloatArray:
    """Price per right: the row's unit_price_cny, else the last close of its price series."""
    stated = cols.num("unit_price_cny")
    out = stated.copy()
    need = mask & np.isnan(stated)
    if not need.any():
        return out
    label_codes, distinct = cols.labels("price_series")
    names = (*distinct, default)
    series = np.where(label_codes >= 0, label_codes, len(distinct))
    for k in sorted(set(series[need].tolist()), key=lambda i: names[i]):
        name = names[k]
        if prices is None:
            raise DataError(
                f"no price for right type(s) valued on series {name!r}: give unit_price_cny per right or a price"
                " history (--prices FILE with columns series, date, price_cny; the bundled sample is"
                " greenfin.datasets.sample_path('cea_prices')).",
                column="unit_price_cny",
            )
        close, _day = last_price(prices, name, as_of)
        out[need & (series == k)] = close
    return out


class Valued(NamedTuple):
    """Valuation of each right as arrays: type code, value, method code, stand-class code (-1 none), term."""

    types: np.ndarray
    value_cny: FloatArray
    method: np.ndarray
    stand_class: np.ndarray
    remaining_years: FloatArray


def value_columns(cols: Columns, as_of: dt.date, prices: pl.DataFrame | None) -> Valued:
    """Value validated rights read through :class:`~greenfin.collateral._columns.Columns` (one kernel per type).

    ``remaining_years`` is signed (negative when expired); ``value_cny`` is 0 for expired rights.
    """
    n = cols.height
    types = cols.code("right_type", TYPE_CODE)
    remaining = cols.days_from("term_end", as_of) / DAYS_PER_YEAR
    rem = np.maximum(remaining, 0.0)
    value = np.zeros(n)
    method = np.full(n, -1, dtype=np.int16)
    klass = np.full(n, -1, dtype=np.int64)
    area = cols.num("area_ha")
    age = cols.num("stand_age_years")
    species = cols.code("species_group", SPECIES_CODE)
    unit_price = cols.num("unit_price_cny")

    m = types == TYPE_CODE["forest_right"]
    if m.any():
        bare = cols.flag("land_only")
        rent = cols.num("rent_cny_per_ha_per_year")
        v, k, meth = forest_values(species[m], age[m], area[m], rem[m], bare[m], rent[m])
        value[m], klass[m], method[m] = v, k, meth

    m = types == TYPE_CODE["carbon_allowance"]
    if m.any():
        price = _series_prices(cols, m, "cea", prices, as_of)
        value[m] = cols.num("allowance_tco2e")[m] * price[m] * (1.0 - fval("valuation", "cea_sale_cost"))
        method[m] = _M["mark_to_market"]

    m = types == TYPE_CODE["carbon_sink_income"]
    if m.any():
        has_series = cols.present("price_series") & np.isnan(unit_price)
        price = np.where(np.isnan(unit_price), fval("valuation", "ccer_price_cny_per_tco2e"), unit_price)
        if (m & has_series).any():
            price = np.where(m & has_series, _series_prices(cols, m & has_series, "ccer", prices, as_of), price)
        value[m] = sink_income_values(cols.num("annual_sink_tco2e")[m], species[m], age[m], area[m], rem[m], price[m])
        method[m] = _M["issued_credit_receivable"]

    m = np.isin(types, [TYPE_CODE[t] for t in PERMIT_TYPES])
    if m.any():
        qty = cols.num("permit_quantity_per_year")[m]
        term = cols.num("price_term_years")[m]
        share = np.where(np.isnan(term), 1.0, np.minimum(1.0, rem[m] / term))
        value[m] = qty * unit_price[m] * share
        method[m] = _M["volume_x_price"]

    m = types == TYPE_CODE["land_management_right"]
    if m.any():
        transferred = cols.flag("transferred")[m]
        years = np.where(transferred, np.minimum(rem[m], fval("valuation", "land_transferred_rent_years")), rem[m])
        value[m] = cols.num("rent_cny_per_ha_per_year")[m] * area[m] * years
        method[m] = np.where(transferred, _M["one_year_rent"], _M["rent_x_area_x_term"])

    m = types == TYPE_CODE["eco_income_right"]
    if m.any():
        growth = np.nan_to_num(cols.num("cash_flow_growth_per_year")[m])
        cash = cols.num("realisable_cash_flow_cny_per_year")[m]
        value[m] = _growing_annuity(cash, growth, fval("valuation", "eco_income_discount_rate"), rem[m])
        method[m] = _M["realisable_npv"]

    m = types == TYPE_CODE["scenic_fee_right"]
    if m.any():
        value[m] = _scenic(cols.num("visitors_per_year")[m], cols.num("ticket_price_cny")[m], rem[m])
        method[m] = _M["seasonal_ticket_npv"]

    value = np.where(remaining > 0.0, np.maximum(value, 0.0), 0.0)
    return Valued(types, value, method, klass, remaining)


def policy_class_codes(stand_class: np.ndarray) -> np.ndarray:
    """Row of the 林权 tier table (index into ``POLICY_CLASSES``) of each stand-class code (-1 stays -1)."""
    lookup = np.array([POLICY_CLASSES.index(c) for c in _POLICY_CLASS] + [-1], dtype=np.int64)
    return lookup[np.where(stand_class >= 0, stand_class, len(_POLICY_CLASS))]


def value_frame(frame: pl.DataFrame, as_of: dt.date, prices: pl.DataFrame | None) -> pl.DataFrame:
    """Value a validated rights table: one row per right with value_cny, method, stand class, remaining term."""
    valued = value_columns(FrameColumns(frame), as_of, prices)
    class_codes = pl.Series("code", valued.stand_class)
    return pl.DataFrame(
        {
            "right_id": frame["right_id"],
            "borrower_id": frame["borrower_id"],
            "right_type": frame["right_type"],
            "parcel_id": frame["parcel_id"],
            "method": pl.Series(valued.method).replace_strict(
                dict(enumerate(METHOD_KEYS)), default=None, return_dtype=pl.String
            ),
            "stand_class": class_codes.replace_strict(
                dict(enumerate(STAND_CLASSES)), default=None, return_dtype=pl.String
            ),
            "policy_class": class_codes.replace_strict(
                dict(enumerate(_POLICY_CLASS)), default=None, return_dtype=pl.String
            ),
            "value_cny": valued.value_cny,
            "remaining_term_years": np.maximum(valued.remaining_years, 0.0),
        }
    )
