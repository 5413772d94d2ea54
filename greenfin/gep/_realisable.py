"""Realisable (cash-flow-bearing) vs non-realisable GEP, with the payer of each realisable stream.

Lenders value collateral on realisable flows only (reference/gep.md §6.3): sales of products, tariffs,
tickets, compensation and carbon sales. The shares live in ``rulesets/realisable.json`` with provenance;
they are greenfin assumptions (⚠) until a project's own VEP contracts replace them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from greenfin.errors import DataError
from greenfin.gep._ids import INDICATORS
from greenfin.provenance import Confidence

__all__ = ["RealisableRule", "load_realisable", "realisable_split"]


class RealisableRule(BaseModel):
    """Realisable share of one indicator and who pays it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    share: float = Field(ge=0.0, le=1.0, description="Share of the value that produces a cash flow (fraction).")
    payer_type: str = Field(description="Payer kind: market_buyers, tariff_payers, grid_company, visitors, ...")
    payer_en: str = Field(description="Who pays, in English.")
    payer_zh: str = Field(description="Who pays, in Chinese.")
    source: str = Field(description="Where the share comes from.")
    confidence: Confidence = Field(description="confirmed (✔), secondary (≈) or unverified (⚠).")


class _RealisableTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Table id.")
    version: str = Field(description="Version.")
    title_en: str = Field(description="English title.")
    title_zh: str = Field(description="Chinese title.")
    description: str = Field(description="Scope.")
    indicators: Mapping[str, RealisableRule] = Field(description="Rule per indicator id.")


@cache
def load_realisable() -> Mapping[str, RealisableRule]:
    """The bundled realisable shares and payers per indicator (``rulesets/realisable.json``).

    Returns
    -------
    mapping
        Indicator id -> :class:`RealisableRule`.
    """
    text = resources.files("greenfin.gep").joinpath("rulesets", "realisable.json").read_text(encoding="utf-8")
    table = _RealisableTable.model_validate(json.loads(text))
    missing = set(INDICATORS) - set(table.indicators)
    if missing:  # pragma: no cover - the bundled file is tested
        raise ValueError(f"realisable.json lacks {sorted(missing)}")
    return table.indicators


def realisable_split(values: pl.DataFrame, *, value_col: str = "value_cny") -> pl.DataFrame:
    """Split indicator values into realisable and non-realisable parts, naming the payer of each stream.

    Parameters
    ----------
    values : polars.DataFrame
        Must hold ``indicator`` (DESIGN.md id) and ``value_col`` (yuan).
    value_col : str, default "value_cny"
        The value column.

    Returns
    -------
    polars.DataFrame
        ``values`` plus ``realisable_cny``, ``non_realisable_cny``, ``realisable_share``, ``payer_type``,
        ``payer_en``, ``payer_zh``.

    Raises
    ------
    DataError
        If a column is missing or an indicator id is unknown.

    Examples
    --------
    >>> out = realisable_split(pl.DataFrame({"indicator": ["agriculture", "climate_regulation"],
    ...                                      "value_cny": [100.0, 50.0]}))
    >>> out["realisable_cny"].to_list(), out["payer_type"].to_list()
    ([100.0, 0.0], ['market_buyers', 'none'])
    """
    for col in ("indicator", value_col):
        if col not in values.columns:
            raise DataError(f"required column {col!r} is missing.", source="values", column=col)
    rules = load_realisable()
    unknown = sorted(set(values["indicator"].to_list()) - set(rules))
    if unknown:
        raise DataError(f"unknown indicator(s) {unknown}; use DESIGN.md ids.", source="values", column="indicator")
    lut = pl.DataFrame(
        [
            {
                "indicator": i,
                "realisable_share": r.share,
                "payer_type": r.payer_type,
                "payer_en": r.payer_en,
                "payer_zh": r.payer_zh,
            }
            for i, r in rules.items()
        ]
    )
    out = values.join(lut, on="indicator", how="left", maintain_order="left")
    return out.with_columns(
        (pl.col(value_col) * pl.col("realisable_share")).alias("realisable_cny"),
        (pl.col(value_col) * (1.0 - pl.col("realisable_share"))).alias("non_realisable_cny"),
    )
