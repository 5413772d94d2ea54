"""The rights table: its columns, the boundary validation and the per-right refusals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import polars as pl

from greenfin._typing import FloatArray
from greenfin._validation import ColumnSpec, validate_frame, validate_record
from greenfin.collateral._columns import Columns
from greenfin.collateral._params import table
from greenfin.errors import DataError

__all__ = [
    "DAYS_PER_YEAR",
    "POLICY_TIERS",
    "REFUSALS",
    "REGISTRIES",
    "RIGHTS_COLUMNS",
    "RIGHT_TYPES",
    "SPECIES",
    "refusal_codes",
    "refusal_text",
    "refusal_texts",
    "validate_right_record",
    "validate_rights",
]

RIGHT_TYPES: Final[tuple[str, ...]] = (
    "forest_right",
    "carbon_allowance",
    "carbon_sink_income",
    "discharge_right",
    "water_right",
    "energy_use_right",
    "land_management_right",
    "eco_income_right",
    "scenic_fee_right",
)
"""Eco-product right types of DESIGN.md.

林权, CEA, 碳汇收益权, 排污权, 用水权, 用能权, 土地经营权, 生态权益, 景区收费权.
"""

PERMIT_TYPES: Final[tuple[str, ...]] = ("discharge_right", "water_right", "energy_use_right")

REGISTRIES: Final[tuple[str, ...]] = ("real_estate", "movable_unified", "carbon_registry", "none")
"""Where the pledge is registered: 不动产登记, 动产融资统一登记公示系统, national carbon registry 中碳登, or nowhere."""

POLICY_TIERS: Final[tuple[str, ...]] = ("normal", "exchange")
"""Approval tier: branch authority, or with an exchange / 收储 agency / 一级分行 approval (higher caps)."""

SPECIES: Final[tuple[str, ...]] = ("chinese_fir", "masson_pine", "broadleaf", "bamboo", "oil_tea")
"""Species groups with growth curves in ``data/forest.json``."""

TYPE_CODE: Final[dict[str, int]] = {t: i for i, t in enumerate(RIGHT_TYPES)}
"""Integer code of each right type (kernels compare small ints, not strings)."""

SPECIES_CODE: Final[dict[str, int]] = {s: i for i, s in enumerate(SPECIES)}
"""Integer code of each species group (-1 where none)."""

DAYS_PER_YEAR: Final = 365.25
"""Days per year of remaining terms (ACT/365.25): a definition of greenfin, not a policy parameter."""

RIGHTS_COLUMNS: Final[tuple[ColumnSpec, ...]] = (
    ColumnSpec(name="right_id", kind="str", description="unique id of the right"),
    ColumnSpec(name="borrower_id", kind="str", description="owner / borrower id"),
    ColumnSpec(name="right_type", kind="str", allowed=RIGHT_TYPES, description="eco-product right type"),
    ColumnSpec(name="term_end", kind="date", description="date the right, permit or contract expires"),
    ColumnSpec(name="registry", kind="str", required=False, nullable=True, allowed=REGISTRIES, description="registry"),
    ColumnSpec(name="policy_tier", kind="str", required=False, nullable=True, allowed=POLICY_TIERS, description="tier"),
    ColumnSpec(name="insured", kind="bool", required=False, nullable=True, description="insurance in force"),
    ColumnSpec(name="storage_agency", kind="bool", required=False, nullable=True, description="收储 agency backs it"),
    ColumnSpec(name="parcel_id", kind="str", required=False, nullable=True, description="forest parcel id"),
    ColumnSpec(name="area_ha", required=False, nullable=True, ge=0.0, description="area in hectares"),
    ColumnSpec(name="species_group", kind="str", required=False, nullable=True, description="species group"),
    ColumnSpec(name="stand_age_years", required=False, nullable=True, ge=0.0, description="stand age in years"),
    ColumnSpec(name="land_only", kind="bool", required=False, nullable=True, description="bare forest land"),
    ColumnSpec(name="forest_category", kind="str", required=False, nullable=True, description="公益林 or 商品林"),
    ColumnSpec(name="allowance_tco2e", required=False, nullable=True, ge=0.0, description="CEA quantity"),
    ColumnSpec(name="price_series", kind="str", required=False, nullable=True, description="price series name"),
    ColumnSpec(name="annual_sink_tco2e", required=False, nullable=True, ge=0.0, description="credits per year"),
    ColumnSpec(name="permit_quantity_per_year", required=False, nullable=True, ge=0.0, description="permit volume"),
    ColumnSpec(name="permit_unit", kind="str", required=False, nullable=True, description="m3, t, tce or kwh"),
    ColumnSpec(name="unit_price_cny", required=False, nullable=True, gt=0.0, description="price per unit, CNY"),
    ColumnSpec(name="price_term_years", required=False, nullable=True, gt=0.0, description="term the price covers"),
    ColumnSpec(name="rent_cny_per_ha_per_year", required=False, nullable=True, ge=0.0, description="rent per ha"),
    ColumnSpec(name="transferred", kind="bool", required=False, nullable=True, description="transferred land"),
    ColumnSpec(
        name="realisable_cash_flow_cny_per_year", required=False, nullable=True, ge=0.0, description="cash flow"
    ),
    ColumnSpec(name="cash_flow_growth_per_year", required=False, nullable=True, gt=-1.0, description="growth"),
    ColumnSpec(name="payer", kind="str", required=False, nullable=True, description="payer of the cash flow"),
    ColumnSpec(name="visitors_per_year", required=False, nullable=True, ge=0.0, description="visitors per year"),
    ColumnSpec(name="ticket_price_cny", required=False, nullable=True, ge=0.0, description="ticket price"),
    ColumnSpec(
        name="price_volatility_per_year", required=False, nullable=True, ge=0.0, description="stated volatility"
    ),
    ColumnSpec(name="loan_cny", required=False, nullable=True, ge=0.0, description="outstanding secured loan"),
    ColumnSpec(name="loan_tenor_years", required=False, nullable=True, gt=0.0, description="requested tenor"),
)
"""Columns of a rights table; only the first four are required for every type (see ``_TYPE_NEEDS``)."""

_TYPE_NEEDS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    # each inner tuple is one acceptable set of non-null columns
    "forest_right": (("area_ha", "species_group", "stand_age_years"),),
    "carbon_allowance": (("allowance_tco2e",),),
    "carbon_sink_income": (("annual_sink_tco2e",), ("area_ha", "species_group", "stand_age_years")),
    "discharge_right": (("permit_quantity_per_year", "unit_price_cny"),),
    "water_right": (("permit_quantity_per_year", "unit_price_cny"),),
    "energy_use_right": (("permit_quantity_per_year", "unit_price_cny"),),
    "land_management_right": (("area_ha", "rent_cny_per_ha_per_year"),),
    "eco_income_right": (("realisable_cash_flow_cny_per_year",),),
    "scenic_fee_right": (("visitors_per_year", "ticket_price_cny"),),
}

_FIX: Final[dict[str, str]] = {
    "eco_income_right": (
        " Value an eco-income right (GEP/VEP 收益权) on its REALISABLE cash flows only (government purchases,"
        " GEP-increment rewards, tickets, leases; greenfin.gep splits realisable from non-realisable value):"
        " GEP itself is not saleable and is never collateral."
    ),
}


def validate_rights(rights: pl.DataFrame, *, source: str = "rights table") -> pl.DataFrame:
    """Check a rights table once at the boundary and return it with every optional column present and typed.

    Parameters
    ----------
    rights : polars.DataFrame
        One row per right (columns :data:`RIGHTS_COLUMNS`).
    source : str, default "rights table"
        File name for messages.

    Returns
    -------
    polars.DataFrame
        The validated, typed table.

    Raises
    ------
    DataError
        Naming file, column, row and fix: a missing or mistyped column, a duplicate right id, a column a
        right type needs left empty, an unknown species group.
    """
    frame = validate_frame(rights, RIGHTS_COLUMNS, source=source)
    dup = frame["right_id"].is_duplicated()
    if dup.any():
        row = int(dup.arg_true()[0]) + 1
        raise DataError(
            f"right_id {frame['right_id'][row - 1]!r} appears more than once; each right must have one row.",
            source=source,
            column="right_id",
            row=row,
        )
    types = frame["right_type"].to_numpy()
    for right_type, alternatives in _TYPE_NEEDS.items():
        mask = types == right_type
        if not mask.any():
            continue
        ok = np.zeros(frame.height, dtype=bool)
        for cols in alternatives:
            ok |= np.logical_and.reduce([frame[c].is_not_null().to_numpy() for c in cols])
        bad = mask & ~ok
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            missing = [c for c in alternatives[0] if frame[c][row] is None]
            need = " or ".join("+".join(cols) for cols in alternatives)
            raise DataError(
                f"a {right_type} needs {need}; {', '.join(missing)} is empty.{_FIX.get(right_type, '')}",
                source=source,
                column=missing[0] if missing else alternatives[0][0],
                row=row + 1,
            )
    species = frame["species_group"]
    unknown = species.is_not_null() & ~species.is_in(list(SPECIES))
    if unknown.any():
        row = int(unknown.arg_true()[0]) + 1
        raise DataError(
            f"unknown species group {species[row - 1]!r}; greenfin has growth curves for {list(SPECIES)}."
            " Map the stand to one of them (e.g. 杉木 -> chinese_fir) or add a curve to collateral/data/forest.json.",
            source=source,
            column="species_group",
            row=row,
        )
    table("forest")  # fail early if the growth-curve file is broken
    return frame


REFUSALS: Final[tuple[str, ...]] = ("expired", "tenor_past_term", "public_benefit_forest")
"""Why a right cannot secure a loan, in the order of their integer codes (checked in this order)."""


def refusal_codes(cols: Columns, types: np.ndarray, remaining: FloatArray) -> np.ndarray:
    """Index into :data:`REFUSALS` of each refused right, -1 where the right is accepted.

    Parameters
    ----------
    cols : Columns
        Validated rights.
    types : numpy.ndarray
        Right-type codes (index into ``RIGHT_TYPES``).
    remaining : numpy.ndarray
        Remaining term in years (negative when expired).

    Returns
    -------
    numpy.ndarray
        int8 codes.
    """
    tenor = np.nan_to_num(cols.num("loan_tenor_years"))
    public = (cols.code("forest_category", {"public_welfare": 1}) == 1) & (types == TYPE_CODE["forest_right"])
    return np.select([remaining <= 0.0, tenor > remaining, public], [0, 1, 2], -1).astype(np.int8)


def refusal_texts(cols: Columns, reason: np.ndarray, remaining: FloatArray) -> np.ndarray:
    """The message of each refused right (None where accepted), built for refused rows only.

    Parameters
    ----------
    cols : Columns
        Validated rights.
    reason : numpy.ndarray
        Output of :func:`refusal_codes`.
    remaining : numpy.ndarray
        Remaining term in years.

    Returns
    -------
    numpy.ndarray
        Object array of str or None.
    """
    out = np.full(reason.shape[0], None, dtype=object)
    refused = np.flatnonzero(reason >= 0)
    if refused.size == 0:
        return out
    tenor = np.nan_to_num(cols.num("loan_tenor_years"))
    for i in refused.tolist():
        out[i] = refusal_text(cols, i, int(reason[i]), float(tenor[i]), float(remaining[i]))
    return out


def refusal_text(cols: Columns, row: int, reason: int, tenor: float, remaining: float) -> str:
    """The message of one refused right.

    Parameters
    ----------
    cols : Columns
        Validated rights.
    row : int
        The right's row.
    reason : int
        Its code (index into :data:`REFUSALS`).
    tenor : float
        Requested tenor in years (0 when none).
    remaining : float
        Remaining term in years.

    Returns
    -------
    str
        Why the right is refused and what to do.
    """
    end = cols.value("term_end", row)
    if reason == 0:
        return f"expired: the right ended on {end}; an expired right cannot be pledged."
    if reason == 1:
        return (
            f"tenor {round(tenor, 2)} years is past the right's remaining term"
            f" {round(remaining, 2)} years (ends {end}); shorten the loan to end by then."
        )
    return "public-benefit forest (公益林) is normally excluded from forest-right mortgage."


def validate_right_record(right: Mapping[str, Any], *, source: str = "right") -> dict[str, Any]:
    """Check one right given as a mapping (one API request) exactly as :func:`validate_rights` checks a table.

    Parameters
    ----------
    right : Mapping
        Column name -> value (columns :data:`RIGHTS_COLUMNS`).
    source : str, default "right"
        Name of the input for messages.

    Returns
    -------
    dict
        The right with every column of :data:`RIGHTS_COLUMNS` present and typed.

    Raises
    ------
    DataError
        The message :func:`validate_rights` gives for the same right as a one-row table.
    """
    record = validate_record(right, RIGHTS_COLUMNS, source=source)
    alternatives = _TYPE_NEEDS[record["right_type"]]
    species = record["species_group"]
    if not any(all(record[c] is not None for c in cols) for cols in alternatives) or (
        species is not None and species not in SPECIES_CODE
    ):
        validate_rights(pl.DataFrame([record]), source=source)  # raises the table path's message
    return record
