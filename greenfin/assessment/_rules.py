"""Scoring rulebooks as data: schemes, indicators, formulas, guards and overrides.

A rulebook is a versioned JSON file under ``greenfin/assessment/data/rulebooks`` (``pboc-2021``,
``pboc-2018``, ``chongqing-2023``, ``jiangxi-evr``). Every weight and every formula carries a status
(``confirmed`` ✔ / ``secondary`` ≈ / ``unverified`` ⚠) and a source, so a report can say which parts of a
score rest on the official annex and which on a proposal.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from greenfin._validation import spec_error_from
from greenfin.errors import SpecError
from greenfin.provenance import CONFIDENCE_MARKS, Confidence

__all__ = [
    "CrossSectionalForm",
    "Guards",
    "Indicator",
    "LongitudinalForm",
    "Override",
    "QualitativeItem",
    "Rulebook",
    "SourcedValue",
    "list_rulebooks",
    "load_rulebook",
    "rulebook_formulas",
]

Metric = Literal["share", "market_share", "growth", "increment_share", "risk_share", "cost", "eco_share"]
Scope = Literal["loans", "loans_and_bonds"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class SourcedValue(BaseModel):
    """A number with its source and confirmation status."""

    model_config = _FROZEN

    value: float = Field(description="The value (a fraction for weights, e.g. 0.8).")
    status: Confidence = Field(description="confirmed (✔), secondary (≈) or unverified (⚠).")
    source: str = Field(min_length=3, description="Where the value comes from.")


class LongitudinalForm(BaseModel):
    """Longitudinal (纵向) part: the bank's current value against the mean of its own previous quarters.

    ``ratio_to_own_mean``: ``points * min(1, x_t / mean(x_t-1..x_t-window))`` (inverted for lower-is-better);
    ``not_worse_than_mean``: full points when ``x_t`` is at least as good as the mean, else zero.
    """

    model_config = _FROZEN

    form: Literal["ratio_to_own_mean", "not_worse_than_mean"] = Field(description="Formula V().")
    points: float = Field(ge=0, description="Maximum points of the longitudinal part.")
    window: int = Field(ge=1, le=8, description="Number of previous quarters averaged (3 in the PBoC reading).")
    status: Confidence = Field(description="Whether the formula is confirmed against the official annex.")
    source: str = Field(min_length=3, description="Source of the formula.")


class CrossSectionalForm(BaseModel):
    """Cross-sectional (横向) part: the bank against the peers scored in the same quarter.

    ``min_max``: ``points * (x - min) / (max - min)`` (inverted for lower-is-better); ``ratio_to_best``:
    ``points * x / best`` (``best / x`` when lower is better), as in the Ningshan county 2024 rule.
    """

    model_config = _FROZEN

    form: Literal["min_max", "ratio_to_best"] = Field(description="Formula H().")
    points: float = Field(ge=0, description="Maximum points of the cross-sectional part.")
    status: Confidence = Field(description="Whether the formula is confirmed against the official annex.")
    source: str = Field(min_length=3, description="Source of the formula.")


class Indicator(BaseModel):
    """One quantitative indicator of a scheme."""

    model_config = _FROZEN

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Indicator id used in tables and overrides.")
    metric: Metric = Field(
        description=(
            "What is measured: share (G/D), market_share (G/sum of peers' G), growth (G_t/G_t-4 - 1), "
            "increment_share ((G_t - G_t-4)/(D_t - D_t-4)), risk_share (risk amount/G), cost (balance-weighted "
            "green-loan rate), eco_share (eco-product-backed green loans/green loans)."
        )
    )
    scope: Scope = Field(description="loans only, or green loans plus green bonds held.")
    name_en: str = Field(description="English name.")
    name_zh: str = Field(description="Chinese name.")
    points: float = Field(gt=0, description="Maximum points of the indicator (longitudinal + cross-sectional).")
    points_status: Confidence = Field(description="Confirmation status of the indicator's weight.")
    points_source: str = Field(min_length=3, description="Source of the weight.")
    direction: Literal["higher", "lower"] = Field(description="higher is better, or lower is better (risk, cost).")
    longitudinal: LongitudinalForm = Field(description="Longitudinal part V().")
    cross_sectional: CrossSectionalForm = Field(description="Cross-sectional part H().")
    note: str = Field(default="", description="Caveats.")

    @model_validator(mode="after")
    def _parts_add_up(self) -> Indicator:
        if abs(self.longitudinal.points + self.cross_sectional.points - self.points) > 1e-9:
            raise ValueError(
                f"indicator {self.id}: longitudinal ({self.longitudinal.points}) + cross-sectional "
                f"({self.cross_sectional.points}) points must equal points ({self.points})"
            )
        return self


class QualitativeItem(BaseModel):
    """One qualitative item, read from a column of the bank-quarter file."""

    model_config = _FROZEN

    column: str = Field(description="Column of the bank-quarter file holding the points given.")
    name_en: str = Field(description="English name.")
    name_zh: str = Field(description="Chinese name.")
    max_points: float = Field(gt=0, description="Maximum points of the item.")
    status: Confidence = Field(description="Confirmation status of the item and its maximum.")
    source: str = Field(min_length=3, description="Source.")


class Guards(BaseModel):
    """What to do in the edge cases of the formulas (each choice is stored with the score)."""

    model_config = _FROZEN

    equal_peers: Literal["full", "half", "zero"] = Field(
        description="Cross-sectional points when every peer has the same value (max = min)."
    )
    nonpositive_history: Literal["full_if_not_worse", "zero"] = Field(
        description="Longitudinal points (higher-is-better) when the own-history mean is zero or negative."
    )
    missing_history: Literal["use_available", "zero"] = Field(
        description="Quarters missing from the own history: average those available, or give zero points."
    )
    no_history: Literal["full", "half", "zero"] = Field(
        description="Longitudinal points when no previous quarter is available at all (a new bank)."
    )
    undefined_value: Literal["zero"] = Field(
        description="Points of an undefined value (e.g. growth on a zero base, risk share with zero green loans)."
    )
    status: Confidence = Field(description="Confirmation status of the guards.")
    source: str = Field(min_length=3, description="Source.")


class GradeBand(BaseModel):
    """A grade given to total scores at or above ``min_score``."""

    model_config = _FROZEN

    grade: str = Field(description="Grade label.")
    min_score: float = Field(ge=0, le=100, description="Lowest total score of the grade.")


class Rulebook(BaseModel):
    """A bank green-finance evaluation scheme as data.

    Examples
    --------
    >>> rb = load_rulebook("pboc-2021")
    >>> [i.id for i in rb.indicators], rb.quantitative_weight.value
    (['green_share', 'market_share', 'yoy_growth', 'risk_share'], 0.8)
    """

    model_config = _FROZEN

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", description="Rulebook id, e.g. pboc-2021.")
    version: str = Field(description="Version; change it whenever anything changes.")
    title_en: str = Field(description="English title.")
    title_zh: str = Field(description="Chinese title.")
    document: str = Field(description="The policy document the scheme follows.")
    effective_from: str = Field(description="First day the scheme applies (YYYY-MM-DD).")
    effective_to: str | None = Field(description="Last day the scheme applies, or None while in force.")
    quantitative_weight: SourcedValue = Field(description="Weight of the quantitative score in the total (0.8).")
    qualitative_weight: SourcedValue = Field(description="Weight of the qualitative score in the total (0.2).")
    denominator: Literal["total_business", "total_loans"] = Field(
        description="Denominator D of share indicators: total business (bank file) or total loans (loan file)."
    )
    denominator_status: Confidence = Field(description="Confirmation status of the denominator.")
    denominator_source: str = Field(min_length=3, description="Source of the denominator.")
    indicators: tuple[Indicator, ...] = Field(min_length=1, description="Quantitative indicators.")
    split_status: Confidence = Field(description="Confirmation status of the longitudinal/cross-sectional split.")
    split_source: str = Field(min_length=3, description="Source of the split.")
    qualitative: tuple[QualitativeItem, ...] = Field(description="Qualitative items.")
    guards: Guards = Field(description="Edge-case handling.")
    grade_bands: tuple[GradeBand, ...] = Field(description="Grades by total score (empty: no grades).")
    grade_bands_status: Confidence | None = Field(default=None, description="Status of the grade thresholds.")
    grade_bands_source: str | None = Field(default=None, description="Source of the grade thresholds.")
    note: str = Field(default="", description="Caveats.")

    @model_validator(mode="after")
    def _consistent(self) -> Rulebook:
        ids = [i.id for i in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError(f"indicator ids must be unique; got {ids}")
        if abs(self.quantitative_weight.value + self.qualitative_weight.value - 1.0) > 1e-9:
            raise ValueError("quantitative_weight + qualitative_weight must equal 1")
        if abs(sum(i.points for i in self.indicators) - 100.0) > 1e-9:
            raise ValueError(f"indicator points must add up to 100; got {sum(i.points for i in self.indicators)}")
        if self.qualitative and abs(sum(q.max_points for q in self.qualitative) - 100.0) > 1e-9:
            raise ValueError("qualitative max_points must add up to 100")
        return self

    @property
    def max_longitudinal_window(self) -> int:
        """Longest own-history window of any indicator (quarters)."""
        return max(i.longitudinal.window for i in self.indicators)


class Override(BaseModel):
    """A manual override of one bank's points, with a mandatory reason and author.

    Examples
    --------
    >>> Override(bank_code="B01", quarter="2025Q2", target="risk_share", points=20.0,
    ...          reason="NPL reclassified after audit, see memo 2025-07", author="Wang Li").target
    'risk_share'
    """

    model_config = _FROZEN

    bank_code: str = Field(min_length=1, description="Bank (金融机构编码).")
    quarter: str = Field(pattern=r"^\d{4}Q[1-4]$", description="Scored quarter, e.g. 2025Q2.")
    target: str = Field(min_length=1, description="An indicator id, 'qualitative' or 'total'.")
    points: float = Field(ge=0, le=100, description="Points replacing the computed ones.")
    reason: str = Field(min_length=10, description="Why the computed points are replaced (required).")
    author: str = Field(min_length=2, description="Who decided the override (required).")


def _rulebook_dir() -> Path:
    return Path(str(resources.files("greenfin.assessment").joinpath("data", "rulebooks")))


def list_rulebooks() -> tuple[str, ...]:
    """Ids of the bundled rulebooks.

    Returns
    -------
    tuple of str
        Sorted ids.

    Examples
    --------
    >>> list_rulebooks()
    ('chongqing-2023', 'jiangxi-evr', 'pboc-2018', 'pboc-2021')
    """
    return tuple(sorted(p.stem for p in _rulebook_dir().glob("*.json")))


def load_rulebook(id_or_path: str | Path) -> Rulebook:
    """Load a bundled rulebook by id, or a rulebook JSON file by path.

    Parameters
    ----------
    id_or_path : str or pathlib.Path
        A bundled id (see :func:`list_rulebooks`) or a path to a JSON file.

    Returns
    -------
    Rulebook
        The validated rulebook.

    Raises
    ------
    SpecError
        If the id is unknown, the file is missing or it does not validate.

    Examples
    --------
    >>> load_rulebook("pboc-2021").qualitative_weight.value
    0.2
    >>> load_rulebook("pboc-2099")
    Traceback (most recent call last):
    ...
    greenfin.errors.SpecError: Unknown rulebook 'pboc-2099'. Use one of chongqing-2023, jiangxi-evr, ...
    """
    text = str(id_or_path)
    path = _rulebook_dir() / f"{text}.json"
    if not path.is_file():
        path = Path(text)
        if not (path.suffix == ".json" and path.is_file()):
            raise SpecError(
                f"Unknown rulebook {text!r}. Use one of {', '.join(list_rulebooks())}, "
                "or a path to a rulebook JSON file."
            )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}. Fix the file.") from exc
    try:
        return Rulebook.model_validate(raw)
    except ValidationError as exc:
        raise spec_error_from(exc, f"Rulebook {path.name}") from exc


def rulebook_formulas(rulebook: Rulebook) -> pl.DataFrame:
    """Every weight and formula of a rulebook with its confirmation status and source.

    Parameters
    ----------
    rulebook : Rulebook
        The rulebook.

    Returns
    -------
    polars.DataFrame
        Columns ``rulebook, item, part, value, status, mark, source``.

    Examples
    --------
    >>> f = rulebook_formulas(load_rulebook("pboc-2021"))
    >>> f.filter(pl.col("item") == "risk_share").select("part", "status").rows()  # doctest: +NORMALIZE_WHITESPACE
    [('weight', 'confirmed'), ('longitudinal ratio_to_own_mean', 'unverified'),
     ('cross_sectional min_max', 'unverified')]
    """
    rows: list[dict[str, object]] = []

    def add(item: str, part: str, value: object, status: Confidence, source: str) -> None:
        rows.append(
            {
                "rulebook": rulebook.id,
                "item": item,
                "part": part,
                "value": str(value),
                "status": status,
                "mark": CONFIDENCE_MARKS[status],
                "source": source,
            }
        )

    add("scheme", "quantitative_weight", rulebook.quantitative_weight.value, rulebook.quantitative_weight.status,
        rulebook.quantitative_weight.source)  # fmt: skip
    add("scheme", "qualitative_weight", rulebook.qualitative_weight.value, rulebook.qualitative_weight.status,
        rulebook.qualitative_weight.source)  # fmt: skip
    add("scheme", "denominator", rulebook.denominator, rulebook.denominator_status, rulebook.denominator_source)
    add("scheme", "longitudinal/cross-sectional split", "", rulebook.split_status, rulebook.split_source)
    for ind in rulebook.indicators:
        add(ind.id, "weight", ind.points, ind.points_status, ind.points_source)
        lon, crs = ind.longitudinal, ind.cross_sectional
        add(ind.id, f"longitudinal {lon.form}", f"{lon.points} pts, window {lon.window}", lon.status, lon.source)
        add(ind.id, f"cross_sectional {crs.form}", f"{crs.points} pts", crs.status, crs.source)
    for item in rulebook.qualitative:
        add(item.column, "qualitative item", item.max_points, item.status, item.source)
    g = rulebook.guards
    add(
        "guards",
        "edge cases",
        f"equal_peers={g.equal_peers}; nonpositive_history={g.nonpositive_history}; "
        f"missing_history={g.missing_history}; no_history={g.no_history}; undefined_value={g.undefined_value}",
        g.status,
        g.source,
    )
    if rulebook.grade_bands:
        add("grades", "bands", ", ".join(f"{b.grade}>={b.min_score}" for b in rulebook.grade_bands),
            rulebook.grade_bands_status or "unverified", rulebook.grade_bands_source or "not given")  # fmt: skip
    return pl.DataFrame(rows)
