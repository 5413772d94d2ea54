"""GEP rule sets as versioned data: indicators, coefficients and prices with provenance, overrides, deflation.

A rule set (``rulesets/<id>.json``) names the indicators it counts, the land classes that supply each, its
switches (gross vs net material output, carbon method, the ``r`` switch of the climate water term), every
coefficient and price as a :class:`greenfin.provenance.Param` (value, unit, price year, source, confidence),
land-class coefficient tables and the double-counting overlaps it allows. Prices are moved from their price
year to the accounting year with the CPI table ``rulesets/deflators.json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from greenfin._typing import PathLikeStr
from greenfin._validation import ColumnSpec, read_table, spec_error_from, validate_frame
from greenfin.datasets._county import LAND_CLASSES
from greenfin.errors import DataError, SpecError
from greenfin.gep._ids import INDICATORS
from greenfin.provenance import CONFIDENCE_MARKS, Confidence, Param
from greenfin.units import check_magnitude

__all__ = [
    "ClassParam",
    "Deflator",
    "IndicatorRule",
    "Overlap",
    "RuleSet",
    "Switches",
    "apply_overrides",
    "list_rules",
    "load_deflator",
    "load_rules",
    "read_overrides",
]

RULE_SETS: tuple[str, ...] = ("jiangxi-db36-1402-2021", "national-2022", "rcees-classic")
DEFAULT_RULES = "jiangxi-db36-1402-2021"


class IndicatorRule(BaseModel):
    """Membership of one indicator in a rule set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    included: bool = Field(description="Whether the rule set counts this indicator in GEP.")
    classes: tuple[str, ...] = Field(description="Land classes (LAND_CLASSES keys) that supply the service.")


class ClassParam(BaseModel):
    """A coefficient that varies by land class, with one provenance for the table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    values: Mapping[str, float] = Field(description="Value per land class; classes not listed get 0.")
    unit: str = Field(description="Unit of every value.")
    source: str = Field(min_length=3, description="Where the table comes from.")
    confidence: Confidence = Field(description="confirmed (✔), secondary (≈) or unverified (⚠).")
    note: str = Field(default="", description="Caveats, e.g. class mappings made by greenfin.")


class Overlap(BaseModel):
    """A combination of indicators that may count the same benefit twice (double counting, 重复计算)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicators: tuple[str, ...] = Field(min_length=2, description="The overlapping indicator ids.")
    allowed: bool = Field(description="Whether the rule set counts all of them anyway (then the engine flags it).")
    note: str = Field(description="Why they overlap.")


class Switches(BaseModel):
    """Method switches of a rule set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    material_basis: Literal["gross", "net"] = Field(
        description="Material products at gross output value (产值) or net output value (净产值)."
    )
    carbon_method: Literal["nep_ratio", "photosynthesis"] = Field(
        description="CO2 from NEP = α·NPP·72/162 × 44/12 (nep_ratio) or 1.63 t CO2 per t dry-matter NPP."
    )
    climate_water_uses_r: bool = Field(
        description="Whether the water-evaporation term of climate regulation is divided by the AC efficiency r."
    )


class RuleSet(BaseModel):
    """A versioned GEP rule set (核算规则): indicators, switches, coefficients and prices with provenance.

    Examples
    --------
    >>> rules = load_rules("rcees-classic")
    >>> rules.includes("oxygen_release"), load_rules("national-2022").includes("oxygen_release")
    (True, False)
    >>> rules.param("soil_retention.sediment_deposition_ratio").value
    0.24
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="Rule-set id, e.g. national-2022.")
    version: str = Field(description="Version of the data file; changes whenever a value changes.")
    title_en: str = Field(description="English title.")
    title_zh: str = Field(description="Chinese title of the standard or method.")
    issuer: str = Field(description="Who issued it, and when.")
    description: str = Field(description="Scope, and which values are placeholders.")
    indicators: Mapping[str, IndicatorRule] = Field(description="Membership per indicator id.")
    switches: Switches = Field(description="Method switches.")
    params: Mapping[str, Param] = Field(description="Scalar coefficients and prices keyed 'indicator.parameter'.")
    class_params: Mapping[str, ClassParam] = Field(description="Per-land-class coefficients keyed likewise.")
    overlaps: tuple[Overlap, ...] = Field(description="Declared double-counting combinations.")
    overridden: tuple[str, ...] = Field(default=(), description="Keys the user overrode (marked in outputs).")

    @model_validator(mode="after")
    def _check(self) -> RuleSet:
        unknown = sorted(set(self.indicators) - set(INDICATORS))
        missing = sorted(set(INDICATORS) - set(self.indicators))
        if unknown or missing:
            raise ValueError(f"indicators must be exactly the DESIGN.md ids; unknown {unknown}, missing {missing}")
        for ind, rule in self.indicators.items():
            bad = sorted(set(rule.classes) - set(LAND_CLASSES))
            if bad:
                raise ValueError(f"indicator {ind}: unknown land classes {bad}")
            if set(rule.classes) & {"built_up", "bare"}:
                raise ValueError(f"indicator {ind}: built_up and bare land supply no ecosystem service")
        for key, p in self.params.items():
            if _is_price(p.unit) and p.price_year is None:
                raise ValueError(f"price {key} ({p.unit}) has no price_year")
        return self

    def includes(self, indicator: str) -> bool:
        """Whether the rule set counts ``indicator``.

        Parameters
        ----------
        indicator : str
            Indicator id.

        Returns
        -------
        bool
            True when included.
        """
        rule = self.indicators.get(indicator)
        return bool(rule and rule.included)

    def param(self, key: str) -> Param:
        """The parameter ``key`` ('indicator.parameter').

        Parameters
        ----------
        key : str
            Parameter key.

        Returns
        -------
        Param
            Value, unit, price year, source and confidence.

        Raises
        ------
        SpecError
            If the rule set has no such parameter (the message says how to supply it).
        """
        try:
            return self.params[key]
        except KeyError:
            ind, _, name = key.partition(".")
            raise SpecError(
                f"Rule set {self.id!r} has no value for {key!r}. Supply it in a --prices file as a row "
                f"'{ind},{name},<value>,<unit>,<price_year>,<source>'."
            ) from None

    def price(self, key: str, year: int) -> float:
        """The value of ``key`` at the price level of ``year`` (non-price coefficients are returned as is).

        Parameters
        ----------
        key : str
            Parameter key.
        year : int
            Target price year.

        Returns
        -------
        float
            The value, deflated when it is a price.
        """
        p = self.param(key)
        value = float(p.value)  # type: ignore[arg-type]  # rule-set params are numbers (checked on load)
        if _is_price(p.unit) and p.price_year is not None and p.price_year != year:
            value = float(load_deflator().convert(value, p.price_year, year))
        return value

    def class_values(self, key: str) -> dict[str, float]:
        """Per-class values of the class table ``key`` (classes not listed are 0).

        Parameters
        ----------
        key : str
            Class-table key, e.g. ``water_conservation.runoff_coef``.

        Returns
        -------
        dict
            Land class -> value.
        """
        try:
            table = self.class_params[key]
        except KeyError:
            raise SpecError(f"Rule set {self.id!r} has no class table {key!r}.") from None
        return {c: float(table.values.get(c, 0.0)) for c in LAND_CLASSES}

    def params_frame(self, used: tuple[str, ...] | None = None) -> pl.DataFrame:
        """One row per parameter (scalar and class tables): value, unit, price year, confidence, source, override mark.

        Parameters
        ----------
        used : tuple of str or None
            Keep only these keys (None keeps all).

        Returns
        -------
        polars.DataFrame
            Columns ``table, parameter, value, unit, price_year, confidence, mark, source, note, overridden``.
        """
        rows: list[dict[str, Any]] = []
        for key, p in self.params.items():
            rows.append(
                {
                    "table": self.id,
                    "parameter": key,
                    "value": str(p.value),
                    "unit": p.unit,
                    "price_year": p.price_year,
                    "confidence": p.confidence,
                    "mark": CONFIDENCE_MARKS[p.confidence],
                    "source": p.source,
                    "note": p.note,
                    "overridden": key in self.overridden,
                }
            )
        for key, t in self.class_params.items():
            rows.append(
                {
                    "table": self.id,
                    "parameter": key,
                    "value": json.dumps(dict(t.values), ensure_ascii=False),
                    "unit": t.unit,
                    "price_year": None,
                    "confidence": t.confidence,
                    "mark": CONFIDENCE_MARKS[t.confidence],
                    "source": t.source,
                    "note": t.note,
                    "overridden": any(o.startswith(key + ":") for o in self.overridden),
                }
            )
        frame = pl.DataFrame(rows, schema_overrides={"price_year": pl.Int64})
        if used is not None:
            frame = frame.filter(pl.col("parameter").is_in(list(used)))
        return frame.sort("parameter")


def _is_price(unit: str) -> bool:
    return unit.startswith("yuan")


def list_rules() -> tuple[str, ...]:
    """Ids of the bundled rule sets.

    Returns
    -------
    tuple of str
        Sorted ids.

    Examples
    --------
    >>> list_rules()
    ('jiangxi-db36-1402-2021', 'national-2022', 'rcees-classic')
    """
    return RULE_SETS


def _resource_text(name: str) -> str:
    return resources.files("greenfin.gep").joinpath("rulesets", name).read_text(encoding="utf-8")


@cache
def _load_bundled(rule_id: str) -> RuleSet:
    try:
        return RuleSet.model_validate(json.loads(_resource_text(f"{rule_id}.json")))
    except ValidationError as exc:  # pragma: no cover - the bundled files are tested
        raise spec_error_from(exc, f"rule set {rule_id}") from exc


def load_rules(rules: str | PathLikeStr | RuleSet = DEFAULT_RULES) -> RuleSet:
    """Load a bundled rule set by id, or a rule-set JSON file.

    Parameters
    ----------
    rules : str, path-like or RuleSet
        A bundled id (see :func:`list_rules`), a path to a JSON file of the same shape, or a RuleSet (returned).

    Returns
    -------
    RuleSet
        The validated rule set.

    Raises
    ------
    SpecError
        For an unknown id, a missing file or a file that does not validate.

    Examples
    --------
    >>> load_rules("national-2021")
    Traceback (most recent call last):
    ...
    greenfin.errors.SpecError: Unknown GEP rule set 'national-2021'. Use one of ...
    """
    if isinstance(rules, RuleSet):
        return rules
    text = str(rules)
    if text in RULE_SETS:
        return _load_bundled(text)
    path = Path(text)
    if path.suffix.lower() == ".json" and path.is_file():
        try:
            return RuleSet.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise SpecError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}.") from exc
        except ValidationError as exc:
            raise spec_error_from(exc, f"rule set {path}") from exc
    raise SpecError(
        f"Unknown GEP rule set {text!r}. Use one of {', '.join(RULE_SETS)} or a path to a rule-set JSON file."
    )


class Deflator(BaseModel):
    """Price-level table: annual change of a price index, to move prices between years.

    Examples
    --------
    >>> d = load_deflator()
    >>> round(d.convert(100.0, 2010, 2010), 6)
    100.0
    >>> round(d.convert(d.convert(7.06, 2010, 2025), 2025, 2010), 9)
    7.06
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Table id.")
    version: str = Field(description="Version of the table.")
    title_en: str = Field(description="English title.")
    title_zh: str = Field(description="Chinese title.")
    description: str = Field(description="Scope and caveats.")
    base_year: int = Field(description="First year of the index (index = 1).")
    changes: Mapping[str, Param] = Field(description="Change of the price level from the previous year (fraction).")

    def index(self, year: int) -> float:
        """Price-level index of ``year`` (``base_year`` = 1).

        Parameters
        ----------
        year : int
            Year.

        Returns
        -------
        float
            The index.

        Raises
        ------
        SpecError
            If the year is outside the table.
        """
        last = max(int(y) for y in self.changes)
        if not self.base_year <= year <= last:
            raise SpecError(
                f"No price index for {year}: the deflator table {self.id!r} covers {self.base_year}-{last}. "
                "Choose a price year inside it or extend rulesets/deflators.json."
            )
        factors = [1.0 + float(self.changes[str(y)].value) for y in range(self.base_year + 1, year + 1)]  # type: ignore[arg-type]
        return float(np.prod(factors))

    def convert(self, value: float, from_year: int, to_year: int) -> float:
        """Move ``value`` from the price level of ``from_year`` to that of ``to_year``.

        Parameters
        ----------
        value : float
            Amount at ``from_year`` prices.
        from_year, to_year : int
            Price years.

        Returns
        -------
        float
            Amount at ``to_year`` prices.
        """
        return value * self.index(to_year) / self.index(from_year)


@cache
def load_deflator() -> Deflator:
    """The bundled price-level table (China CPI, annual change; ``rulesets/deflators.json``).

    Returns
    -------
    Deflator
        The table.
    """
    return Deflator.model_validate(json.loads(_resource_text("deflators.json")))


_OVERRIDE_COLUMNS = (
    ColumnSpec(name="indicator", kind="str", description="indicator id, e.g. water_conservation"),
    ColumnSpec(name="parameter", kind="str", description="parameter name, e.g. reservoir_cost, or runoff_coef:paddy"),
    ColumnSpec(name="value", kind="float", description="new value in `unit`"),
    ColumnSpec(name="unit", kind="str", description="unit; must equal the rule set's unit"),
    ColumnSpec(
        name="price_year",
        kind="int",
        required=False,
        nullable=True,
        ge=1949,
        le=2100,
        description="price level year (required for prices)",
    ),
    ColumnSpec(name="source", kind="str", required=False, nullable=True, description="where the value comes from"),
)


def read_overrides(path: PathLikeStr) -> pl.DataFrame:
    """Read and check an override file (CSV/JSON/Excel: ``indicator, parameter, value, unit[, price_year, source]``).

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    polars.DataFrame
        The validated rows.

    Raises
    ------
    DataError
        Naming the file, column and row of a missing column or bad value.
    """
    return validate_frame(read_table(path), _OVERRIDE_COLUMNS, source=str(path), extra="drop")


def apply_overrides(rules: RuleSet, overrides: pl.DataFrame, *, source: str = "overrides") -> RuleSet:
    """Return ``rules`` with user values replacing coefficients or prices; the keys are recorded as overridden.

    Parameters
    ----------
    rules : RuleSet
        The base rule set.
    overrides : polars.DataFrame
        Rows ``indicator, parameter, value, unit[, price_year, source]`` (see :func:`read_overrides`). A class
        coefficient is named ``<parameter>:<land_class>``, e.g. ``runoff_coef:paddy``.
    source : str
        File name for messages.

    Returns
    -------
    RuleSet
        The changed rule set (validated again).

    Raises
    ------
    DataError
        For an unknown indicator or parameter, a unit that differs from the rule set's, a price without price
        year, or a value off by a factor like 1e4 or 1e8 (万元/亿元 typed where 元 is expected).

    Examples
    --------
    >>> o = pl.DataFrame({"indicator": ["water_conservation"], "parameter": ["reservoir_cost"],
    ...                   "value": [8.0], "unit": ["yuan/m3"], "price_year": [2025], "source": ["survey"]})
    >>> r = apply_overrides(load_rules("national-2022"), o)
    >>> r.param("water_conservation.reservoir_cost").value, r.overridden
    (8.0, ('water_conservation.reservoir_cost',))
    """
    data = rules.model_dump()
    done: list[str] = list(rules.overridden)
    cols = overrides.columns
    for i, row in enumerate(overrides.iter_rows(named=True), start=1):
        ind, name = str(row["indicator"]).strip(), str(row["parameter"]).strip()
        if ind not in INDICATORS:
            raise DataError(
                f"unknown indicator {ind!r}; use one of {list(INDICATORS)}.", source=source, column="indicator", row=i
            )
        value, unit = float(row["value"]), str(row["unit"]).strip()
        year = row.get("price_year") if "price_year" in cols else None
        src = row.get("source") if "source" in cols else None
        base, _, cls = name.partition(":")
        key = f"{ind}.{base}"
        if cls:
            if key not in data["class_params"]:
                raise DataError(
                    f"rule set {rules.id!r} has no class table {key!r}; check the parameter name.",
                    source=source,
                    column="parameter",
                    row=i,
                )
            if cls not in LAND_CLASSES:
                raise DataError(
                    f"unknown land class {cls!r}; use one of {list(LAND_CLASSES)}.",
                    source=source,
                    column="parameter",
                    row=i,
                )
            table = data["class_params"][key]
            _check_unit(unit, table["unit"], source, i)
            values = dict(table["values"])
            values[cls] = value
            table["values"] = values
            done.append(f"{key}:{cls}")
            continue
        old = data["params"].get(key)
        if old is None:
            known = sorted(k.partition(".")[2] for k in data["params"] if k.startswith(ind + "."))
            raise DataError(
                f"rule set {rules.id!r} has no parameter {name!r} for {ind}; known: {known}.",
                source=source,
                column="parameter",
                row=i,
            )
        _check_unit(unit, old["unit"], source, i)
        if _is_price(unit):
            if year is None:
                raise DataError(
                    f"the price {key} has no price year; add the year whose price level it is (e.g. 2025).",
                    source=source,
                    column="price_year",
                    row=i,
                )
            if isinstance(old["value"], int | float) and old["value"] > 0:
                ref = float(load_deflator().convert(float(old["value"]), old["price_year"], int(year)))
                _check_row_magnitude(value, ref, f"{key} override", unit, source, i)
        data["params"][key] = {
            "value": value,
            "unit": unit,
            "source": str(src) if src else f"user override ({source})",
            "confidence": "unverified",
            "price_year": int(year) if year is not None else None,
            "note": f"overrides {old['value']} {old['unit']} ({old['source'][:60]})",
        }
        done.append(key)
    data["overridden"] = tuple(dict.fromkeys(done))
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        raise spec_error_from(exc, f"rule set {rules.id} with overrides from {source}") from exc


def _check_unit(unit: str, expected: str, source: str, row: int) -> None:
    if unit.replace(" ", "") != expected.replace(" ", ""):
        raise DataError(
            f"unit {unit!r} differs from the rule set's {expected!r}; convert the value to {expected}.",
            source=source,
            column="unit",
            row=row,
        )


def _check_row_magnitude(value: float, ref: float, what: str, unit: str, source: str, row: int) -> None:
    try:
        check_magnitude([value], low=ref / 300.0, high=ref * 300.0, what=what, unit=unit, source=source, column="value")
    except DataError as exc:
        raise DataError(exc.detail, source=source, column="value", row=row) from None
