"""The securitization parameter table (standard curves, structural limits), loaded once."""

from __future__ import annotations

from functools import lru_cache

from greenfin.provenance import ParamTable, load_param_table

__all__ = ["params", "pvalue"]


@lru_cache(maxsize=1)
def params() -> ParamTable:
    """The sourced parameters of :mod:`greenfin.securitization`.

    Returns
    -------
    ParamTable
        The table from ``data/securitization_params.json``.
    """
    return load_param_table("greenfin.securitization", "data/securitization_params.json")


def pvalue(name: str) -> float:
    """A numeric parameter's value.

    Parameters
    ----------
    name : str
        Parameter name.

    Returns
    -------
    float
        The value.
    """
    return float(params().value(name))
