"""Monte Carlo uncertainty of a GEP account and the standard's 实物量/价值量 table layout."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import polars as pl

from greenfin.gep._engine import _STAT_INDICATORS, GepAccount, _value
from greenfin.gep._ids import CATEGORIES, INDICATORS
from greenfin.provenance import ParamTable, load_param_table
from greenfin.units import yuan_to

__all__ = ["monte_carlo", "standard_layout"]


@cache
def _uncertainty() -> ParamTable:
    return load_param_table("greenfin.gep", "rulesets/uncertainty.json")


def monte_carlo(account: GepAccount, *, n_sims: int = 2000, seed: int) -> pl.DataFrame:
    """P10/P50/P90 of each indicator and of GEP under multiplicative log-normal errors of prices and quantities.

    Each price draws one multiplier per simulation (shared by every component that uses it) with a log-sd by
    its confidence mark; each indicator's quantities draw one multiplier per simulation (statistics-based
    indicators and the emission/load caps a narrower one). Caps are applied inside every draw. Spreads:
    ``rulesets/uncertainty.json`` (greenfin assumptions ⚠). Vectorised over simulations and regions.

    Parameters
    ----------
    account : GepAccount
        A region or parcel account.
    n_sims : int, default 2000
        Number of draws.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same result.

    Returns
    -------
    polars.DataFrame
        ``indicator, label_en, label_zh, point_cny, mean_cny, p10_cny, p50_cny, p90_cny``; the last row is
        ``gep`` (the total, from the same joint draws).

    Raises
    ------
    ValueError
        If ``n_sims`` < 10.

    Examples
    --------
    >>> import polars as pl
    >>> from greenfin.gep import account_region
    >>> acc = account_region(pl.DataFrame({"indicator": ["water_conservation"], "component": ["water_m3"],
    ...                                    "quantity": [1e8], "unit": ["m3"]}), year=2025)
    >>> mc = monte_carlo(acc, n_sims=500, seed=1).filter(pl.col("indicator") == "water_conservation")
    >>> bool(mc["p10_cny"][0] < mc["p50_cny"][0] < mc["p90_cny"][0])
    True
    """
    if n_sims < 10:
        raise ValueError(f"n_sims must be at least 10; got {n_sims}. Use e.g. n_sims=2000.")
    rules = account.rules
    unc = _uncertainty()
    rng = np.random.default_rng(seed)
    stat_sd = float(unc.value("quantity_sigma.statistics"))
    prices: dict[str, Any] = {}
    for key in sorted(account.prices):
        base = np.asarray(account.prices[key], dtype=np.float64)
        sd = stat_sd if key.startswith("input:") else float(unc.value(f"price_sigma.{rules.param(key).confidence}"))
        prices[key] = base[None, ...] * np.exp(sd * rng.standard_normal((n_sims, 1)))
    q: dict[str, Any] = {}
    mult: dict[str, Any] = {}
    for key in sorted(account.quantities):
        ind, name = key.split(".", 1)
        is_cap = name.startswith(("emission_", "load_"))
        group = f"{ind}.cap" if is_cap else ind
        if group not in mult:
            sd = stat_sd if (is_cap or ind in _STAT_INDICATORS) else float(unc.value("quantity_sigma.default"))
            mult[group] = np.exp(sd * rng.standard_normal((n_sims, 1)))
        q[key] = np.asarray(account.quantities[key], dtype=np.float64)[None, :] * mult[group]
    by_ind, _, _ = _value(rules, q, prices)
    rows = []
    total = np.zeros(n_sims)
    point = dict(zip(account.county["indicator"].to_list(), account.county["value_cny"].to_list(), strict=True))
    for ind in account.county["indicator"].to_list():
        sims = np.asarray(by_ind.get(ind, np.zeros((n_sims, 1))), dtype=np.float64)
        sims = sims.reshape(n_sims, -1).sum(axis=1) if sims.ndim > 1 else np.broadcast_to(sims, (n_sims,))
        total = total + sims
        rows.append(_row(ind, INDICATORS[ind].label_en, INDICATORS[ind].label_zh, point[ind], sims))
    rows.append(_row("gep", "GEP total", "生态系统生产总值", account.total_cny, total))
    return pl.DataFrame(rows)


def _row(ind: str, en: str, zh: str, point: float, sims: Any) -> dict[str, Any]:
    p10, p50, p90 = np.percentile(sims, [10.0, 50.0, 90.0])
    return {
        "indicator": ind,
        "label_en": en,
        "label_zh": zh,
        "point_cny": point,
        "mean_cny": float(np.mean(sims)),
        "p10_cny": float(p10),
        "p50_cny": float(p50),
        "p90_cny": float(p90),
    }


def standard_layout(account: GepAccount) -> pl.DataFrame:
    """The account in the standard's layout: 实物量 and 价值量 per indicator, category subtotals, total, shares.

    Parameters
    ----------
    account : GepAccount
        A region or parcel account.

    Returns
    -------
    polars.DataFrame
        Rows: each category's indicators then its subtotal, then the GEP total and, when GDP is known, GEP/GDP.
        Columns ``row_type, category, indicator, item_en, item_zh, quantity, quantity_unit, value_cny,
        value_yi_cny, share, realisable_cny, non_realisable_cny, payer, confidence, overridden``.

    Examples
    --------
    >>> import polars as pl
    >>> from greenfin.gep import account_region
    >>> acc = account_region(pl.DataFrame({"indicator": ["water_conservation", "gdp"],
    ...     "component": ["water_m3", "gdp_yuan"], "quantity": [1e8, 2e10], "unit": ["m3", "yuan"]}), year=2025)
    >>> standard_layout(acc)["row_type"].to_list()[-2:]
    ['total', 'ratio']
    """
    c = account.county
    total = account.total_cny
    rows: list[dict[str, Any]] = []
    for cat, (en, zh) in CATEGORIES.items():
        part = c.filter(pl.col("category") == cat)
        for r in part.iter_rows(named=True):
            rows.append(
                {
                    "row_type": "indicator",
                    "category": cat,
                    "indicator": r["indicator"],
                    "item_en": r["label_en"],
                    "item_zh": r["label_zh"],
                    "quantity": r["quantity"],
                    "quantity_unit": r["quantity_unit"],
                    "value_cny": r["value_cny"],
                    "realisable_cny": r["realisable_cny"],
                    "non_realisable_cny": r["non_realisable_cny"],
                    "payer": r["payer"],
                    "confidence": r["confidence"],
                    "overridden": r["overridden"],
                }
            )
        value = float(part["value_cny"].sum()) if part.height else 0.0
        rows.append(
            {
                "row_type": "subtotal",
                "category": cat,
                "indicator": f"subtotal_{cat}",
                "item_en": f"Subtotal: {en}",
                "item_zh": f"{zh}小计",
                "quantity": None,
                "quantity_unit": "",
                "value_cny": value,
                "realisable_cny": float(part["realisable_cny"].sum()) if part.height else 0.0,
                "non_realisable_cny": float(part["non_realisable_cny"].sum()) if part.height else 0.0,
                "payer": "",
                "confidence": "",
                "overridden": bool(part["overridden"].any()) if part.height else False,
            }
        )
    rows.append(
        {
            "row_type": "total",
            "category": "",
            "indicator": "gep",
            "item_en": "GEP total",
            "item_zh": "生态系统生产总值 GEP",
            "quantity": None,
            "quantity_unit": "",
            "value_cny": total,
            "realisable_cny": float(c["realisable_cny"].sum()),
            "non_realisable_cny": float(c["non_realisable_cny"].sum()),
            "payer": "",
            "confidence": "",
            "overridden": bool(c["overridden"].any()),
        }
    )
    frame = pl.DataFrame(rows, schema_overrides={"quantity": pl.Float64})
    frame = frame.with_columns(
        (pl.col("value_cny") / total if total > 0 else pl.lit(None, dtype=pl.Float64)).alias("share"),
        pl.Series("value_yi_cny", yuan_to(frame["value_cny"].to_numpy(), "yi_yuan")),
    )
    if account.gdp_cny:
        ratio = pl.DataFrame(
            [
                {
                    "row_type": "ratio",
                    "category": "",
                    "indicator": "gep_gdp_ratio",
                    "item_en": "GEP / GDP",
                    "item_zh": "GEP 与 GDP 之比",
                    "quantity": total / account.gdp_cny,
                    "quantity_unit": "1",
                    "value_cny": None,
                    "realisable_cny": None,
                    "non_realisable_cny": None,
                    "payer": "",
                    "confidence": "",
                    "overridden": False,
                    "share": None,
                    "value_yi_cny": None,
                }
            ],
            schema=frame.schema,
        )
        frame = pl.concat([frame, ratio])
    return frame.select(
        "row_type",
        "category",
        "indicator",
        "item_en",
        "item_zh",
        "quantity",
        "quantity_unit",
        "value_cny",
        "value_yi_cny",
        "share",
        "realisable_cny",
        "non_realisable_cny",
        "payer",
        "confidence",
        "overridden",
    )


LAYOUT_LABELS: dict[str, str] = {
    "item_en": "Item 项目",
    "item_zh": "项目（中文）",
    "quantity": "Physical quantity 实物量",
    "quantity_unit": "Unit 单位",
    "value_cny": "Value 价值量 (CNY 元)",
    "value_yi_cny": "Value 价值量 (亿元)",
    "share": "Share of GEP 占比",
    "realisable_cny": "Realisable 可实现价值 (CNY)",
    "non_realisable_cny": "Non-realisable 不可实现价值 (CNY)",
    "payer": "Payer 付费方",
    "confidence": "Confidence 可信度",
    "overridden": "Overridden 用户覆盖",
}
"""Bilingual column labels of :func:`standard_layout`."""
