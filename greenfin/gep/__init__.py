"""GEP accounting (生态系统生产总值核算) at region (county) and parcel (地块) level under named rule sets.

Public names:

- :func:`load_rules`, :func:`list_rules`, :class:`RuleSet`: the versioned rule sets ``national-2022``,
  ``jiangxi-db36-1402-2021`` and ``rcees-classic`` (data files with provenance per coefficient and price).
- :func:`apply_overrides`, :func:`read_overrides`: user prices or coefficients, marked in every output.
- :func:`account_region`: region accounts from region-level quantities (``greenfin gep value``).
- :func:`account_parcels`: parcel accounts that add up exactly (in fen) to the region accounts.
- :func:`account_parcels_chunked`: the same for tables larger than memory, in two passes over chunks.
- :class:`GepAccount`: the result (county, regions, components, parcels, flags, notes).
- :func:`standard_layout`: the standard's 实物量/价值量 table with subtotals, total, shares, GEP/GDP.
- :func:`monte_carlo`: P10/P50/P90 per indicator and total (seeded, vectorised).
- :func:`realisable_split`: realisable (cash-flow-bearing) vs non-realisable value with the payer type.
- :func:`deflate`: move an amount between price years with the bundled CPI table.
- :data:`INDICATORS`: the DESIGN.md indicator ids with category, labels and headline unit.
"""

from __future__ import annotations

from greenfin.gep._analysis import monte_carlo, standard_layout
from greenfin.gep._engine import GepAccount, account_parcels, account_parcels_chunked, account_region
from greenfin.gep._ids import INDICATORS
from greenfin.gep._realisable import realisable_split
from greenfin.gep._rules import RuleSet, apply_overrides, list_rules, load_deflator, load_rules, read_overrides

__all__ = [
    "INDICATORS",
    "GepAccount",
    "RuleSet",
    "account_parcels",
    "account_parcels_chunked",
    "account_region",
    "apply_overrides",
    "deflate",
    "list_rules",
    "load_rules",
    "monte_carlo",
    "read_overrides",
    "realisable_split",
    "standard_layout",
]


def deflate(value_cny: float, from_year: int, to_year: int) -> float:
    """Move an amount from the price level of ``from_year`` to that of ``to_year`` (China CPI table).

    Parameters
    ----------
    value_cny : float
        Amount at ``from_year`` prices (yuan).
    from_year, to_year : int
        Price years inside the bundled table (2000-2025).

    Returns
    -------
    float
        Amount at ``to_year`` prices.

    Raises
    ------
    SpecError
        If a year is outside the table.

    Examples
    --------
    >>> round(deflate(100.0, 2020, 2020), 6)
    100.0
    >>> deflate(100.0, 2010, 2025) > 100.0
    True
    """
    return load_deflator().convert(value_cny, from_year, to_year)
