"""Crop yield, full-cost (完全成本) and income (收入) insurance from yield histories (reference §2.8).

Per farm (and for the pooled county average): detrend the yields (linear or quadratic), adjust to the
current trend level (multiplicative ``y'_t = y_t ŷ_T/ŷ_t`` or additive ``y'_t = y_t + ŷ_T − ŷ_t``), smooth
with an empirical, Gaussian-kernel or beta yield distribution, then price by simulation with common random
numbers (so rates are monotone in coverage exactly):

* yield cover at coverage c: ``price × E[(c ŷ_T − Y)^+]``, rate on liability ``c ŷ_T price``;
* full-cost cover: ``SI × E[(c ŷ_T − Y)^+] / ŷ_T`` (pays the full-cost sum insured in proportion to the
  yield shortfall below the coverage level);
* income cover: ``E[(c' ŷ_T E[P] − Y P)^+]`` with price P lognormal and a Gaussian copula between yield and
  price, c' = min(c, cap) (cap 80 % of expected income, 财金〔2021〕49号).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field
from scipy import special

from greenfin._typing import FloatArray
from greenfin._validation import ColumnSpec, validate_frame
from greenfin.errors import DataError
from greenfin.insurance._params import param_table

__all__ = ["CropCover", "CropPricing", "default_crop_cover", "detrend_yields", "price_crop"]


class CropCover(BaseModel):
    """Terms and model choices for crop pricing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    coverage_levels: tuple[float, ...] = Field(min_length=1, description="Coverage levels c in (0, 1].")
    full_cost_si_cny_per_mu: float = Field(gt=0, description="Full-cost (完全成本) sum insured per mu.")
    price_cny_per_kg: float = Field(gt=0, description="Expected crop price, CNY/kg.")
    price_volatility: float = Field(ge=0, description="Log-price standard deviation over the season.")
    yield_price_correlation: float = Field(ge=-1, le=1, description="Gaussian-copula correlation of yield and price.")
    income_cap: float = Field(gt=0, le=1, description="Income cover capped at this share of expected income.")
    trend: Literal["linear", "quadratic"] = Field(description="Trend model of the yields.")
    adjustment: Literal["multiplicative", "additive"] = Field(description="How yields are brought to trend level.")
    distribution: Literal["empirical", "kernel", "beta"] = Field(description="Yield distribution.")
    draws: int = Field(ge=1000, description="Simulation draws per farm.")
    seed: int = Field(description="Seed of the simulation.")

    def model_post_init(self, context: Any) -> None:
        """Check the coverage levels are in (0, 1].

        Parameters
        ----------
        context : Any
            Pydantic context (unused).
        """
        if any(not 0 < c <= 1 for c in self.coverage_levels):
            raise ValueError(f"coverage levels must be in (0, 1]; got {self.coverage_levels}")


def default_crop_cover() -> CropCover:
    """Rice cover from ``crop.json`` (linear trend, multiplicative adjustment, kernel yields).

    Returns
    -------
    CropCover
        Default terms.

    Examples
    --------
    >>> default_crop_cover().full_cost_si_cny_per_mu
    1100.0
    """
    t = param_table("crop")
    return CropCover(
        coverage_levels=tuple(t.value("coverage_levels")),
        full_cost_si_cny_per_mu=t.value("rice_full_cost_si_cny_per_mu"),
        price_cny_per_kg=t.value("rice_price_cny_per_kg"),
        price_volatility=t.value("price_volatility"),
        yield_price_correlation=t.value("yield_price_correlation"),
        income_cap=t.value("income_cover_cap"),
        trend="linear",
        adjustment="multiplicative",
        distribution="kernel",
        draws=20_000,
        seed=20260630,
    )


HISTORY_COLUMNS = (
    ColumnSpec(name="farm_id", kind="str", description="farm or unit id"),
    ColumnSpec(name="year", kind="int", ge=1900, le=2100, description="harvest year"),
    ColumnSpec(name="yield_kg_per_mu", kind="float", gt=0, description="yield, kg per mu"),
)


def _check_gaps(frame: pl.DataFrame, source: str) -> None:
    stats = frame.group_by("farm_id").agg(
        pl.col("year").min().alias("first"), pl.col("year").max().alias("last"), pl.col("year").n_unique().alias("n")
    )
    dup = frame.group_by("farm_id", "year").len().filter(pl.col("len") > 1)
    if dup.height:
        row = dup.row(0, named=True)
        raise DataError(
            f"farm {row['farm_id']} has {row['len']} rows for {row['year']}; keep one yield per farm and year.",
            source=source,
            column="year",
        )
    gaps = stats.filter(pl.col("last") - pl.col("first") + 1 != pl.col("n"))
    if gaps.height:
        farm = gaps.row(0, named=True)
        years = set(frame.filter(pl.col("farm_id") == farm["farm_id"])["year"].to_list())
        missing = [y for y in range(farm["first"], farm["last"] + 1) if y not in years]
        raise DataError(
            f"farm {farm['farm_id']} has gaps in its yields: years {missing[:10]} missing. Fill them (e.g. from "
            "county statistics) or drop the farm; detrending needs consecutive years.",
            source=source,
            column="yield_kg_per_mu",
        )
    short = stats.filter(pl.col("n") < 8)
    if short.height:
        raise DataError(
            f"farm {short['farm_id'][0]} has only {short['n'][0]} years; at least 8 are needed to detrend.",
            source=source,
        )


def detrend_yields(
    years: Any, yields: Any, *, trend: str = "linear", adjustment: str = "multiplicative"
) -> tuple[FloatArray, float]:
    """Detrend yields and bring them to the latest year's trend level.

    Parameters
    ----------
    years : array_like of int
        Consecutive years.
    yields : array_like of float
        Yields.
    trend : {"linear", "quadratic"}
        Trend model (least squares).
    adjustment : {"multiplicative", "additive"}
        ``y_t ŷ_T/ŷ_t`` or ``y_t + ŷ_T − ŷ_t``.

    Returns
    -------
    tuple
        ``(adjusted yields, trend yield of the last year ŷ_T)``.

    Examples
    --------
    >>> y, top = detrend_yields([2020, 2021, 2022], [400.0, 420.0, 440.0])
    >>> [round(float(v), 6) for v in y], round(top, 6)
    ([440.0, 440.0, 440.0], 440.0)
    """
    t = np.asarray(years, dtype=np.float64)
    y = np.asarray(yields, dtype=np.float64)
    x = t - t.mean()
    coef = np.polyfit(x, y, 2 if trend == "quadratic" else 1)
    fitted = np.polyval(coef, x)
    top = float(np.polyval(coef, x[-1]))
    if np.any(fitted <= 0) or top <= 0:
        raise DataError("the fitted yield trend is not positive; use trend='linear' or a longer history.")
    adjusted = y * top / fitted if adjustment == "multiplicative" else y + top - fitted
    return np.maximum(adjusted, 0.0), top


def _yield_sample(y: FloatArray, how: str, n: int, rng: np.random.Generator) -> FloatArray:
    if how == "empirical":
        return np.sort(rng.choice(y, n))
    if how == "kernel":
        sd = float(y.std(ddof=1))
        iqr = float(np.subtract(*np.percentile(y, [75, 25])))
        spread = min(sd, iqr / 1.34) if iqr > 0 else sd
        bw = 0.9 * spread * y.size ** (-0.2)
        return np.sort(np.maximum(rng.choice(y, n) + bw * rng.standard_normal(n), 0.0))
    top = 1.3 * float(y.max())
    m, v = float(y.mean()) / top, float(y.var(ddof=1)) / top**2
    common = m * (1 - m) / v - 1.0
    if common <= 0:
        raise DataError("yields too dispersed for a beta fit; use distribution='kernel'.")
    return np.sort(top * rng.beta(m * common, (1 - m) * common, n))


@dataclass(frozen=True)
class CropPricing:
    """Result of :func:`price_crop`.

    Parameters
    ----------
    rates : polars.DataFrame
        One row per farm (and ``county`` for the pooled average yield) and coverage level.
    trend : polars.DataFrame
        Trend yield and detrended statistics per farm; with a ``price_cny_per_kg`` column in the history, also the
        observed price volatility and yield–price correlation of the county average (to compare with the
        assumed ``price_volatility`` and ``yield_price_correlation``).
    """

    rates: pl.DataFrame
    trend: pl.DataFrame


def price_crop(history: pl.DataFrame, cover: CropCover | None = None, *, source: str = "yield history") -> CropPricing:
    """Yield, full-cost and income cover rates per farm and coverage level.

    Parameters
    ----------
    history : polars.DataFrame
        ``farm_id``, ``year``, ``yield_kg_per_mu``; consecutive years per farm (>= 8).
    cover : CropCover or None
        Terms (default :func:`default_crop_cover`).
    source : str
        Name of the input for messages.

    Returns
    -------
    CropPricing
        Rates (pure, as fractions of liability / SI / guaranteed income) and expected indemnities per mu.

    Raises
    ------
    DataError
        On missing columns, non-positive yields, duplicate years or gaps in a farm's years.
    """
    cover = cover or default_crop_cover()
    frame = validate_frame(history, HISTORY_COLUMNS, source=source)
    _check_gaps(frame, source)
    pooled = (
        frame.group_by("year").agg(pl.col("yield_kg_per_mu").mean()).with_columns(pl.lit("county").alias("farm_id"))
    )
    units = pl.concat(
        [
            frame.select("farm_id", "year", "yield_kg_per_mu"),
            pooled.select(frame.select("farm_id", "year", "yield_kg_per_mu").columns),
        ]
    )
    rng = np.random.default_rng(cover.seed)
    n = cover.draws
    z1 = rng.standard_normal(n)
    z2 = cover.yield_price_correlation * z1 + math.sqrt(1 - cover.yield_price_correlation**2) * rng.standard_normal(n)
    u = special.ndtr(z1)
    price = cover.price_cny_per_kg * np.exp(cover.price_volatility * z2 - 0.5 * cover.price_volatility**2)
    rows, trows = [], []
    for farm in sorted(units["farm_id"].unique().to_list()):
        part = units.filter(pl.col("farm_id") == farm).sort("year")
        adj, top = detrend_yields(
            part["year"].to_numpy(), part["yield_kg_per_mu"].to_numpy(), trend=cover.trend, adjustment=cover.adjustment
        )
        sample = _yield_sample(adj, cover.distribution, n, np.random.default_rng(cover.seed + 1))
        y = sample[np.minimum((u * n).astype(np.int64), n - 1)]
        expected_income = top * cover.price_cny_per_kg
        trows.append(
            {
                "farm_id": farm,
                "years": part.height,
                "trend_yield_kg_per_mu": top,
                "cv_detrended": float(adj.std(ddof=1) / adj.mean()),
            }
        )
        for c in cover.coverage_levels:
            short = np.maximum(c * top - y, 0.0)
            yield_loss = cover.price_cny_per_kg * float(short.mean())
            full_cost = cover.full_cost_si_cny_per_mu * float(short.mean()) / top
            c_inc = min(c, cover.income_cap)
            income_loss = float(np.maximum(c_inc * expected_income - y * price, 0.0).mean())
            rows.append(
                {
                    "farm_id": farm,
                    "coverage": c,
                    "yield_liability_cny_per_mu": c * expected_income,
                    "yield_loss_cost_cny_per_mu": yield_loss,
                    "yield_rate": yield_loss / (c * expected_income),
                    "full_cost_si_cny_per_mu": cover.full_cost_si_cny_per_mu,
                    "full_cost_loss_cost_cny_per_mu": full_cost,
                    "full_cost_rate": full_cost / cover.full_cost_si_cny_per_mu,
                    "income_coverage": c_inc,
                    "income_guarantee_cny_per_mu": c_inc * expected_income,
                    "income_loss_cost_cny_per_mu": income_loss,
                    "income_rate": income_loss / (c_inc * expected_income),
                }
            )
    trend = pl.DataFrame(trows)
    if "price_cny_per_kg" in history.columns:
        trend = trend.join(_observed_price_dependence(history, cover), how="cross")
    return CropPricing(pl.DataFrame(rows), trend)


def _observed_price_dependence(history: pl.DataFrame, cover: CropCover) -> pl.DataFrame:
    """Price volatility and yield–price correlation seen in the history (for comparison with the assumed ones)."""
    yearly = (
        history.group_by("year")
        .agg(pl.col("yield_kg_per_mu").mean(), pl.col("price_cny_per_kg").mean())
        .drop_nulls()
        .sort("year")
    )
    if yearly.height < 8 or (yearly["price_cny_per_kg"] <= 0).any():
        return pl.DataFrame({"price_volatility_observed": [None], "yield_price_correlation_observed": [None]})
    years = yearly["year"].to_numpy().astype(np.float64)
    adj, top = detrend_yields(years, yearly["yield_kg_per_mu"].to_numpy(), trend=cover.trend)
    log_p = np.log(yearly["price_cny_per_kg"].to_numpy())
    resid = log_p - np.polyval(np.polyfit(years - years.mean(), log_p, 1), years - years.mean())
    corr = float(np.corrcoef(adj / top, resid)[0, 1])
    return pl.DataFrame(
        {"price_volatility_observed": [float(resid.std(ddof=2))], "yield_price_correlation_observed": [corr]}
    )
