"""Eco-income rights from GEP accounts: keep only the realisable (cash-flow-bearing) part, per right."""

from __future__ import annotations

import polars as pl

from greenfin.errors import DataError
from greenfin.gep import realisable_split

__all__ = ["realisable_cash_flows"]


def realisable_cash_flows(gep_by_right: pl.DataFrame) -> pl.DataFrame:
    """Annual realisable cash flow of each eco-income right from its GEP/VEP indicator values.

    GEP itself is not collateral (assessment.md §8.1): :func:`greenfin.gep.realisable_split` keeps the
    cash-flow-bearing part of each indicator (product sales, tariffs, tickets, compensation, carbon sales)
    and names its payer; the sum per right is the ``realisable_cash_flow_cny_per_year`` that
    :func:`~greenfin.collateral.value_rights` discounts. Regulating services with no payer contribute 0.

    Parameters
    ----------
    gep_by_right : polars.DataFrame
        ``right_id``, ``indicator`` (DESIGN.md GEP id) and ``value_cny`` (one year's value, yuan).

    Returns
    -------
    polars.DataFrame
        ``right_id, gep_cny, realisable_cash_flow_cny_per_year, non_realisable_cny, payer`` (payer type of
        the largest realisable stream), one row per right.

    Raises
    ------
    DataError
        A column is missing or an indicator id is unknown.

    Examples
    --------
    >>> gep = pl.DataFrame({"right_id": ["E1", "E1"], "indicator": ["recreation", "climate_regulation"],
    ...                     "value_cny": [2.0e6, 9.0e6]})
    >>> out = realisable_cash_flows(gep)
    >>> out["gep_cny"][0], out["realisable_cash_flow_cny_per_year"][0] < out["gep_cny"][0]
    (11000000.0, True)
    """
    if "right_id" not in gep_by_right.columns:
        raise DataError("required column 'right_id' is missing.", source="gep_by_right", column="right_id")
    split = realisable_split(gep_by_right)
    return (
        split.sort("realisable_cny", descending=True)
        .group_by("right_id", maintain_order=True)
        .agg(
            pl.col("value_cny").sum().alias("gep_cny"),
            pl.col("realisable_cny").sum().alias("realisable_cash_flow_cny_per_year"),
            pl.col("non_realisable_cny").sum().alias("non_realisable_cny"),
            pl.col("payer_type").first().alias("payer"),
        )
        .sort("right_id")
    )
