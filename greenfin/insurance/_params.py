"""The sourced parameter tables of the insurance package (JSON files in ``greenfin/insurance/data``)."""

from __future__ import annotations

from functools import cache

from greenfin.provenance import ParamTable, load_param_table

__all__ = ["param_table"]

_FILES = {
    "premium": "premium.json",
    "forest": "forest.json",
    "crop": "crop.json",
    "index": "index.json",
    "carbon": "carbon.json",
}


@cache
def param_table(name: str) -> ParamTable:
    """Load one of the package's parameter tables: premium, forest, crop, index or carbon.

    Parameters
    ----------
    name : str
        Table name.

    Returns
    -------
    ParamTable
        The table, with value, unit, source and confidence of each parameter.

    Examples
    --------
    >>> param_table("premium").value("policy_expense_ratio_max")
    0.2
    """
    return load_param_table("greenfin.insurance", f"data/{_FILES[name]}")
