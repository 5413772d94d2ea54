"""Loading the sourced parameter tables of the collateral package (``greenfin/collateral/data/*.json``)."""

from __future__ import annotations

from functools import cache
from typing import Final

import polars as pl

from greenfin.provenance import ParamTable, load_param_table

__all__ = ["PARAM_FILES", "all_param_tables", "param_frame", "table"]

PARAM_FILES: Final[dict[str, str]] = {
    "forest": "data/forest.json",
    "valuation": "data/valuation.json",
    "haircuts": "data/haircuts.json",
    "policy_caps": "data/policy_caps.json",
    "margins": "data/margins.json",
}


@cache
def table(name: str) -> ParamTable:
    """The parameter table ``name`` (one of :data:`PARAM_FILES`), loaded once."""
    return load_param_table("greenfin.collateral", PARAM_FILES[name])


def all_param_tables() -> tuple[ParamTable, ...]:
    """Every parameter table of the package, in a fixed order."""
    return tuple(table(name) for name in PARAM_FILES)


def param_frame() -> pl.DataFrame:
    """Every collateral parameter as one table (name, value, unit, confidence, mark, source, note)."""
    return pl.concat([t.to_frame() for t in all_param_tables()], how="vertical_relaxed")


def fval(name: str, key: str) -> float:
    """A float parameter ``key`` of table ``name``."""
    return float(table(name).value(key))


def tval(name: str, key: str) -> tuple[float, ...]:
    """A tuple-of-floats parameter ``key`` of table ``name``."""
    value = table(name).value(key)
    return tuple(float(x) for x in value)


def sval(name: str, key: str) -> str:
    """A string parameter ``key`` of table ``name``."""
    return str(table(name).value(key))
