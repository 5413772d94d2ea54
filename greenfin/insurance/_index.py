"""Weather-index insurance: index from station history, payout (trigger/exit/tick or tiers), pricing, basis risk.

Payout (reference §2.13): deficit index ``SI · min(1, max(0, (trigger − I)/(trigger − exit)))``, excess
mirrored; tick = SI/|trigger − exit| per index unit; a tiered design pays the share of the deepest tier
reached. Pricing: burn analysis (the historical payouts, their mean = burning cost) and fitted-distribution
pricing (normal or gamma fit to the index, expected payout by quadrature on 20,000 quantiles). Basis risk
against farm yield losses: correlation, hit rate (POD), false-alarm ratio, threat score, probability of no
payout in a loss year and hedging effectiveness (reduction of the revenue semi-variance).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats

from greenfin._typing import FloatArray, PathLikeStr
from greenfin._validation import ColumnSpec, spec_error_from, validate_frame
from greenfin.errors import DataError, SpecError
from greenfin.insurance._crop import detrend_yields
from greenfin.insurance._params import param_table

__all__ = [
    "IndexDesign",
    "IndexPricing",
    "basis_risk",
    "index_by_year",
    "index_payout",
    "load_index_design",
    "price_index",
]


class IndexDesign(BaseModel):
    """A weather-index contract on one station variable over a seasonal window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Design name.")
    description: str = Field(default="", description="What the index insures.")
    variable: Literal["precip_mm", "tmin_c", "tmax_c"] = Field(description="Station variable.")
    aggregation: Literal["sum", "min", "max", "mean", "count_below", "count_above"] = Field(
        description="How days of the window are combined into the index."
    )
    threshold: float | None = Field(default=None, description="Day threshold for count_below / count_above.")
    window_start: str = Field(pattern=r"^\d\d-\d\d$", description="First day of the window, MM-DD.")
    window_end: str = Field(pattern=r"^\d\d-\d\d$", description="Last day of the window, MM-DD (same year).")
    kind: Literal["deficit", "excess"] = Field(description="Pays when the index is below (deficit) / above (excess).")
    trigger: float = Field(description="Index level where payment starts.")
    exit: float = Field(description="Index level of full payment (below trigger for deficit, above for excess).")
    sum_insured_cny_per_mu: float = Field(gt=0, description="Sum insured per mu.")
    tiers: tuple[tuple[float, float], ...] = Field(
        default=(), description="Optional tiers (index level, payout share); replace the linear payout when given."
    )

    @model_validator(mode="after")
    def _check(self) -> IndexDesign:
        if self.kind == "deficit" and not self.exit < self.trigger:
            raise ValueError(f"a deficit index needs exit < trigger; got trigger {self.trigger}, exit {self.exit}")
        if self.kind == "excess" and not self.exit > self.trigger:
            raise ValueError(f"an excess index needs exit > trigger; got trigger {self.trigger}, exit {self.exit}")
        if self.aggregation.startswith("count") and self.threshold is None:
            raise ValueError("count_below / count_above need a day threshold")
        if any(not 0 <= s <= 1 for _, s in self.tiers):
            raise ValueError("tier payout shares must be in [0, 1]")
        if self.window_end < self.window_start:
            raise ValueError("the window must lie within one calendar year (window_end >= window_start)")
        return self

    @property
    def tick_cny_per_unit(self) -> float:
        """Payout per index unit, ``SI / |trigger - exit|``."""
        return self.sum_insured_cny_per_mu / abs(self.trigger - self.exit)


def load_index_design(path: PathLikeStr) -> IndexDesign:
    """Read an index design from JSON.

    Parameters
    ----------
    path : str or path-like
        JSON file with the fields of :class:`IndexDesign`.

    Returns
    -------
    IndexDesign
        The validated design.

    Raises
    ------
    SpecError
        If the file is missing, not JSON or a field is invalid.
    """
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"Design file {p} does not exist; check the path.")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"{p} is not valid JSON (line {exc.lineno}): {exc.msg}.") from None
    if isinstance(raw.get("tiers"), list):
        raw["tiers"] = tuple(tuple(t) for t in raw["tiers"])
    try:
        return IndexDesign.model_validate(raw)
    except ValidationError as exc:
        raise spec_error_from(exc, f"IndexDesign ({p.name})") from None


def index_payout(index: Any, design: IndexDesign) -> FloatArray:
    """Payout per mu for index values.

    Parameters
    ----------
    index : array_like
        Index values.
    design : IndexDesign
        Contract.

    Returns
    -------
    numpy.ndarray of float64
        Payout, CNY per mu.

    Examples
    --------
    >>> d = IndexDesign(name="d", variable="precip_mm", aggregation="sum", window_start="07-01",
    ...                 window_end="08-31", kind="deficit", trigger=200.0, exit=100.0, sum_insured_cny_per_mu=300.0)
    >>> index_payout([250.0, 150.0, 50.0], d).tolist()
    [0.0, 150.0, 300.0]
    """
    x = np.asarray(index, dtype=np.float64)
    si = design.sum_insured_cny_per_mu
    if design.tiers:
        share = np.zeros_like(x)
        for level, s in design.tiers:
            hit = x <= level if design.kind == "deficit" else x >= level
            share = np.where(hit, np.maximum(share, s), share)
        return np.asarray(si * share, dtype=np.float64)
    if design.kind == "deficit":
        frac = (design.trigger - x) / (design.trigger - design.exit)
    else:
        frac = (x - design.trigger) / (design.exit - design.trigger)
    return np.asarray(si * np.clip(frac, 0.0, 1.0), dtype=np.float64)


STATION_COLUMNS = (
    ColumnSpec(name="date", kind="date", description="observation date YYYY-MM-DD"),
    ColumnSpec(name="precip_mm", kind="float", ge=0, nullable=True, description="daily rainfall, mm"),
    ColumnSpec(name="tmin_c", kind="float", ge=-40, le=50, nullable=True, description="daily minimum temperature"),
    ColumnSpec(name="tmax_c", kind="float", ge=-40, le=50, nullable=True, description="daily maximum temperature"),
)


def index_by_year(station: pl.DataFrame, design: IndexDesign, *, source: str = "station") -> pl.DataFrame:
    """The index value of each complete year of station history.

    Parameters
    ----------
    station : polars.DataFrame
        Daily ``date`` and the design's variable (``precip_mm``, ``tmin_c`` or ``tmax_c``).
    design : IndexDesign
        Contract.
    source : str
        Name of the input for messages.

    Returns
    -------
    polars.DataFrame
        ``year``, ``index``, ``payout_cny_per_mu``.

    Raises
    ------
    DataError
        If a window has missing days (gaps) or a value is out of range.
    """
    specs = [c for c in STATION_COLUMNS if c.name in ("date", design.variable)]
    frame = validate_frame(station, specs, source=source)
    md = pl.col("date").dt.strftime("%m-%d")
    window = frame.filter((md >= design.window_start) & (md <= design.window_end))
    if window.height == 0:
        raise DataError(f"no observations between {design.window_start} and {design.window_end}.", source=source)
    start = np.datetime64(f"2001-{design.window_start}")
    end = np.datetime64(f"2001-{design.window_end}")
    days_needed = int((end - start).astype(int)) + 1
    var = pl.col(design.variable)
    agg = {
        "sum": var.sum(),
        "min": var.min(),
        "max": var.max(),
        "mean": var.mean(),
        "count_below": (var < (design.threshold or 0.0)).sum().cast(pl.Float64),
        "count_above": (var > (design.threshold or 0.0)).sum().cast(pl.Float64),
    }[design.aggregation]
    by_year = (
        window.group_by(pl.col("date").dt.year().alias("year"))
        .agg(agg.alias("index"), var.is_not_null().sum().alias("days"))
        .sort("year")
    )
    gaps = by_year.filter(
        pl.col("days") < days_needed - (1 if design.window_end >= "02-29" > design.window_start else 0)
    )
    if gaps.height:
        raise DataError(
            f"missing days in the index window in years {gaps['year'].to_list()[:10]}; fill them from the backup "
            "station (Chinese station convention) or drop those years.",
            source=source,
            column=design.variable,
        )
    return by_year.select(
        "year",
        pl.col("index").cast(pl.Float64),
        pl.Series("payout_cny_per_mu", index_payout(by_year["index"].to_numpy(), design)),
    )


def basis_risk(
    payout_cny: Any, loss_cny: Any, *, premium_cny: float = 0.0, revenue_cny: float | None = None
) -> dict[str, float]:
    """Basis-risk measures of index payouts against actual losses (reference §2.13).

    Parameters
    ----------
    payout_cny : array_like
        Index payout per year (per mu).
    loss_cny : array_like
        Actual loss per year (per mu); a loss year has loss > 0.
    premium_cny : float
        Premium per mu, for hedging effectiveness.
    revenue_cny : float or None
        Expected revenue per mu (default: 10 x the mean loss, only a level for the semi-variance).

    Returns
    -------
    dict
        ``correlation``, ``hit_rate`` (POD), ``false_alarm_ratio``, ``threat_score``,
        ``p_zero_payout_in_loss_year``, ``hedging_effectiveness`` (semi-variance reduction).

    Examples
    --------
    >>> r = basis_risk([0, 10, 0, 5], [0, 8, 3, 0])
    >>> r["hit_rate"], r["false_alarm_ratio"], r["threat_score"]
    (0.5, 0.5, 0.3333333333333333)
    """
    pay = np.asarray(payout_cny, dtype=np.float64)
    loss = np.asarray(loss_cny, dtype=np.float64)
    paid, lost = pay > 0, loss > 0
    hits = float(np.sum(paid & lost))
    misses = float(np.sum(~paid & lost))
    false = float(np.sum(paid & ~lost))
    corr = float(np.corrcoef(pay, loss)[0, 1]) if pay.std() > 0 and loss.std() > 0 else float("nan")
    level = revenue_cny if revenue_cny is not None else 10.0 * max(float(loss.mean()), 1.0)
    bare = level - loss
    hedged = bare + pay - premium_cny

    def semivar(x: FloatArray) -> float:
        return float(np.mean(np.minimum(x - bare.mean(), 0.0) ** 2))

    sv = semivar(bare)
    return {
        "correlation": corr,
        "hit_rate": hits / (hits + misses) if hits + misses else float("nan"),
        "false_alarm_ratio": false / (hits + false) if hits + false else float("nan"),
        "threat_score": hits / (hits + misses + false) if hits + misses + false else float("nan"),
        "p_zero_payout_in_loss_year": misses / (hits + misses) if hits + misses else float("nan"),
        "hedging_effectiveness": 1.0 - semivar(hedged) / sv if sv > 0 else float("nan"),
    }


@dataclass(frozen=True)
class IndexPricing:
    """Result of :func:`price_index`.

    Parameters
    ----------
    years : polars.DataFrame
        Index, payout and (when yields are given) yield loss per year.
    summary : dict
        Burn cost, fitted-distribution cost, rates and basis-risk measures.
    """

    years: pl.DataFrame
    summary: dict[str, Any]


def price_index(
    station: pl.DataFrame,
    design: IndexDesign,
    *,
    yields: pl.DataFrame | None = None,
    price_cny_per_kg: float | None = None,
    source: str = "station",
) -> IndexPricing:
    """Price an index design from station history: burn analysis, fitted distribution and basis risk.

    Parameters
    ----------
    station : polars.DataFrame
        Daily station history (see :func:`index_by_year`).
    design : IndexDesign
        Contract.
    yields : polars.DataFrame or None
        Optional ``year``, ``yield_kg_per_mu`` (e.g. county average) for basis risk; detrended linearly,
        a loss year is a yield more than ``loss_year_threshold`` below trend.
    price_cny_per_kg : float or None
        Price to value yield losses (default ``crop.json``).
    source : str
        Name of the station input for messages.

    Returns
    -------
    IndexPricing
        Per-year table and summary.

    Raises
    ------
    DataError
        On gaps in the station record or fewer than 10 years.
    """
    years = index_by_year(station, design, source=source)
    if years.height < 10:
        raise DataError(f"only {years.height} complete years; burn analysis needs at least 10.", source=source)
    idx = years["index"].to_numpy()
    pay = years["payout_cny_per_mu"].to_numpy()
    if design.variable == "precip_mm" and design.aggregation == "sum":
        shape, loc, scale = stats.gamma.fit(np.maximum(idx, 1e-6), floc=0.0)
        dist_name, dist = "gamma", stats.gamma(shape, loc=loc, scale=scale)
    else:
        dist_name, dist = "normal", stats.norm(float(idx.mean()), float(idx.std(ddof=1)))
    u = (np.arange(20_000) + 0.5) / 20_000
    fitted_cost = float(index_payout(dist.ppf(u), design).mean())
    si = design.sum_insured_cny_per_mu
    summary: dict[str, Any] = {
        "design": design.name,
        "years": int(years.height),
        "first_year": int(years["year"].min()),  # type: ignore[arg-type]
        "last_year": int(years["year"].max()),  # type: ignore[arg-type]
        "tick_cny_per_unit": design.tick_cny_per_unit,
        "burn_cost_cny_per_mu": float(pay.mean()),
        "burn_rate": float(pay.mean() / si),
        "burn_sd_cny_per_mu": float(pay.std(ddof=1)),
        "payout_frequency": float(np.mean(pay > 0)),
        "max_payout_cny_per_mu": float(pay.max()),
        "fitted_distribution": dist_name,
        "fitted_cost_cny_per_mu": fitted_cost,
        "fitted_rate": fitted_cost / si,
    }
    if yields is not None:
        y = yields.sort("year").join(years, on="year", how="inner")
        if y.height < 10:
            raise DataError("fewer than 10 years overlap between yields and station history.", source="yields")
        adj, top = detrend_yields(y["year"].to_numpy(), y["yield_kg_per_mu"].to_numpy())
        threshold = float(param_table("index").value("loss_year_threshold"))
        price = price_cny_per_kg or float(param_table("crop").value("rice_price_cny_per_kg"))
        loss = np.maximum((1.0 - threshold) * top - adj, 0.0) * price
        y = y.with_columns(pl.Series("yield_loss_cny_per_mu", loss))
        years = years.join(y.select("year", "yield_loss_cny_per_mu"), on="year", how="left")
        summary.update(basis_risk(y["payout_cny_per_mu"].to_numpy(), loss, premium_cny=float(pay.mean())))
        summary["loss_years"] = int(np.sum(loss > 0))
    if not math.isfinite(summary["fitted_cost_cny_per_mu"]):
        raise SpecError("the fitted index distribution gave no finite expected payout; check trigger and exit.")
    return IndexPricing(years, summary)
