"""GEP-linked transfers: eco-compensation (生态补偿) or transfer amounts from a county's GEP level and change.

The rule is data (``greenfin/assessment/data/gep_transfer_rules.json``)::

    dGEP_t     = GEP_t - GEP_t-1                          (absolute basis; relative basis: dGEP_t / GEP_t-1)
    transfer_t = level_rate × GEP_t + increase_rate × max(dGEP_t, 0) - decrease_rate × max(-dGEP_t, 0)
    transfer_t = min(max(transfer_t, floor_cny), cap_cny)

Input is a plain county GEP accounts table ``county_id, year, gep_cny`` (what ``greenfin.gep`` produces), so
the function works with or without that package. With ``change_basis = "relative"`` the change rates multiply
the relative change times the previous year's GEP, which equals the absolute form; it is kept for rules
written per percentage point.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from greenfin.assessment._rules import SourcedValue
from greenfin.assessment._schema import validate_gep_accounts
from greenfin.errors import SpecError
from greenfin.money import round_half_up

__all__ = ["GepTransferRule", "gep_transfers", "list_gep_transfer_rules", "load_gep_transfer_rule"]


class GepTransferRule(BaseModel):
    """A transfer rule linking money to GEP level and change.

    Examples
    --------
    >>> load_gep_transfer_rule("gep-increment-reward").increase_rate.value
    0.01
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Rule id.")
    title_en: str = Field(description="English title.")
    title_zh: str = Field(description="Chinese title.")
    level_rate: SourcedValue = Field(description="Yuan paid per yuan of GEP level (fraction).")
    increase_rate: SourcedValue = Field(description="Yuan paid per yuan of GEP increase (fraction).")
    decrease_rate: SourcedValue = Field(description="Yuan deducted per yuan of GEP decrease (fraction).")
    change_basis: Literal["absolute", "relative"] = Field(description="How the change is measured.")
    floor_cny: float = Field(description="Lowest transfer (0: no negative transfers).")
    cap_cny: float | None = Field(description="Highest transfer, or None for no cap.")
    note: str = Field(default="", description="Caveats.")


def _rules() -> dict[str, GepTransferRule]:
    text = (
        resources.files("greenfin.assessment").joinpath("data", "gep_transfer_rules.json").read_text(encoding="utf-8")
    )
    return {r["id"]: GepTransferRule.model_validate(r) for r in json.loads(text)["rules"]}


def list_gep_transfer_rules() -> tuple[str, ...]:
    """Ids of the bundled GEP transfer rules.

    Returns
    -------
    tuple of str
        Sorted ids.
    """
    return tuple(sorted(_rules()))


def load_gep_transfer_rule(rule_id: str) -> GepTransferRule:
    """Load a bundled GEP transfer rule.

    Parameters
    ----------
    rule_id : str
        Rule id, see :func:`list_gep_transfer_rules`.

    Returns
    -------
    GepTransferRule
        The rule.

    Raises
    ------
    SpecError
        If the id is unknown.
    """
    rules = _rules()
    if rule_id not in rules:
        raise SpecError(f"Unknown GEP transfer rule {rule_id!r}; use one of {', '.join(sorted(rules))}.")
    return rules[rule_id]


def gep_transfers(gep_accounts: pl.DataFrame, rule: GepTransferRule, *, source: str = "GEP accounts") -> pl.DataFrame:
    """Transfer or eco-compensation amount per county and year from GEP level and change.

    Parameters
    ----------
    gep_accounts : polars.DataFrame
        ``county_id, year, gep_cny`` (constant prices), e.g. from ``greenfin.gep``.
    rule : GepTransferRule
        The rule (data).
    source : str
        Table name for messages.

    Returns
    -------
    polars.DataFrame
        ``county_id, year, gep_cny, gep_prev_cny, gep_change_cny, gep_change_frac, level_component_cny,
        change_component_cny, transfer_cny`` for each year with a previous year (transfer rounded half-up
        to the fen).

    Raises
    ------
    DataError
        If the table is invalid or a county-year is duplicated.

    Examples
    --------
    >>> gep = pl.DataFrame({"county_id": ["369901"] * 2, "year": [2024, 2025], "gep_cny": [100e8, 104e8]})
    >>> gep_transfers(gep, load_gep_transfer_rule("level-and-change")).select("transfer_cny").item()
    18400000.0
    """
    acc = validate_gep_accounts(gep_accounts, source=source)
    prev = acc.with_columns((pl.col("year") + 1).alias("year")).rename({"gep_cny": "gep_prev_cny"})
    out = acc.join(prev, on=["county_id", "year"], how="inner")
    change = pl.col("gep_cny") - pl.col("gep_prev_cny")
    frac = change / pl.col("gep_prev_cny")
    basis = change if rule.change_basis == "absolute" else frac * pl.col("gep_prev_cny")
    level = rule.level_rate.value * pl.col("gep_cny")
    delta = rule.increase_rate.value * pl.max_horizontal(
        basis, pl.lit(0.0)
    ) - rule.decrease_rate.value * pl.max_horizontal(-basis, pl.lit(0.0))
    out = out.with_columns(
        change.alias("gep_change_cny"),
        frac.alias("gep_change_frac"),
        level.alias("level_component_cny"),
        delta.alias("change_component_cny"),
    )
    total = pl.max_horizontal(pl.col("level_component_cny") + pl.col("change_component_cny"), pl.lit(rule.floor_cny))
    if rule.cap_cny is not None:
        total = pl.min_horizontal(total, pl.lit(rule.cap_cny))
    out = out.with_columns(total.alias("transfer_cny"))
    return out.with_columns(
        pl.Series("transfer_cny", round_half_up(out["transfer_cny"].to_numpy(), 2)),
        pl.lit(rule.id).alias("rule_id"),
    ).sort("county_id", "year")
