"""Stress scenarios: named and user-defined shocks to collateral values, LTV paths and the loans that breach."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from greenfin._typing import PathLikeStr
from greenfin._validation import spec_error_from
from greenfin.collateral._assess import margin_lines
from greenfin.collateral._columns import codes
from greenfin.collateral._rights import RIGHT_TYPES, TYPE_CODE
from greenfin.errors import DataError, SpecError

__all__ = ["ScenarioShock", "StressResult", "StressScenario", "list_scenarios", "load_scenario", "stress_collateral"]


class ScenarioShock(BaseModel):
    """A path of value multipliers applied to some right types (1.0 = unchanged, 0.6 = 40% lower)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    right_types: tuple[str, ...] = Field(min_length=1, description="Right types the shock applies to.")
    multipliers: tuple[float, ...] = Field(min_length=1, description="Value multiplier per step, >= 0.")
    insured_multipliers: tuple[float, ...] | None = Field(
        default=None, description="Multipliers for insured rights (indemnity paid); default: same as multipliers."
    )
    note: str = Field(default="", description="How the path was set.")

    @model_validator(mode="after")
    def _check(self) -> ScenarioShock:
        unknown = sorted(set(self.right_types) - set(RIGHT_TYPES))
        if unknown:
            raise ValueError(f"unknown right type(s) {unknown}; use {list(RIGHT_TYPES)}")
        paths = [self.multipliers, self.insured_multipliers or self.multipliers]
        if any(m < 0.0 for path in paths for m in path):
            raise ValueError("multipliers must be >= 0 (a value cannot go below zero)")
        if len(paths[1]) != len(paths[0]):
            raise ValueError("insured_multipliers must have as many steps as multipliers")
        return self


class StressScenario(BaseModel):
    """A named stress scenario: steps and the shocks to each right type (a JSON file; see ``scenarios/``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Scenario id, e.g. cea-2024-25.")
    title: str = Field(description="Human title (English with the Chinese term).")
    description: str = Field(description="What happens in the scenario.")
    source: str = Field(min_length=3, description="Where the path comes from.")
    confidence: Literal["confirmed", "secondary", "unverified"] = Field(description="Confidence of the path.")
    steps: tuple[str, ...] = Field(min_length=1, description="Step labels (dates or names); step 0 is today.")
    shocks: tuple[ScenarioShock, ...] = Field(min_length=1, description="Shocks; a right type appears at most once.")

    @model_validator(mode="after")
    def _check(self) -> StressScenario:
        seen: set[str] = set()
        for shock in self.shocks:
            if len(shock.multipliers) != len(self.steps):
                raise ValueError(f"each shock needs one multiplier per step ({len(self.steps)} steps)")
            dup = seen & set(shock.right_types)
            if dup:
                raise ValueError(f"right type(s) {sorted(dup)} appear in two shocks; merge them")
            seen |= set(shock.right_types)
        return self


@dataclass(frozen=True)
class StressResult:
    """What a stress run produced.

    Parameters
    ----------
    scenario : StressScenario
        The scenario.
    loans : polars.DataFrame
        One row per secured loan: ``right_id, borrower_id, right_type, loan_cny, value_cny, ltv_initial,
        ltv_peak, ltv_final, peak_step, action_peak`` (``ok``/``top_up``/``dispose``), ``breach`` (action not ok).
    path : polars.DataFrame
        One row per step: ``step, label, value_cny, loan_cny, ltv, n_top_up, n_dispose``.
    loan_paths : polars.DataFrame or None
        With ``loan_paths=True``: one row per loan and step, ``right_id, step, label, value_cny, ltv``.
    """

    scenario: StressScenario
    loans: pl.DataFrame
    path: pl.DataFrame
    loan_paths: pl.DataFrame | None = None


def _scenario_dir() -> Path:
    return Path(str(resources.files("greenfin.collateral").joinpath("scenarios")))


def list_scenarios() -> tuple[str, ...]:
    """Names of the bundled stress scenarios.

    Returns
    -------
    tuple of str
        Sorted names.

    Examples
    --------
    >>> list_scenarios()
    ('cea-2024-25', 'forest-fire-pest', 'gep-method-revision', 'policy-price-shock')
    """
    return tuple(sorted(p.stem for p in _scenario_dir().glob("*.json")))


def load_scenario(name_or_path: str | PathLikeStr) -> StressScenario:
    """Load a bundled scenario by name, or a user-defined scenario from a JSON file.

    Parameters
    ----------
    name_or_path : str or path-like
        A name of :func:`list_scenarios`, or a JSON file with the :class:`StressScenario` fields.

    Returns
    -------
    StressScenario
        The validated scenario.

    Raises
    ------
    SpecError
        Unknown name, unreadable file or invalid scenario (the field is named).

    Examples
    --------
    >>> load_scenario("cea-2024-25").shocks[0].multipliers[-1]
    0.5946
    """
    text = str(name_or_path)
    bundled = _scenario_dir() / f"{text}.json"
    path = bundled if bundled.is_file() else Path(text)
    if not path.is_file():
        raise SpecError(
            f"No stress scenario {text!r}: not a bundled name ({', '.join(list_scenarios())})"
            " nor an existing JSON file."
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}. Fix the scenario file.") from exc
    try:
        return StressScenario.model_validate(raw)
    except ValidationError as exc:
        raise spec_error_from(exc, f"StressScenario({path.name})") from exc


def stress_collateral(
    assessed: pl.DataFrame, scenario: StressScenario | str, *, loan_paths: bool = False
) -> StressResult:
    """Apply a scenario to assessed collateral: LTV path per loan and portfolio, and the loans that breach.

    The loan is ``loan_cny`` where given, else the maximum loan (``max_loan_cny``). The value of a right at
    step t is ``value_cny x m_t`` with the multipliers of its type (insured rights use the insured path);
    types the scenario does not touch keep their value. A loan breaches when its LTV reaches the warning
    line (警戒线: top up) or the disposal line (处置线: sell) at any step.

    Parameters
    ----------
    assessed : polars.DataFrame
        Output of :func:`~greenfin.collateral.assess_collateral`.
    scenario : StressScenario or str
        A scenario or a bundled name / JSON path (see :func:`load_scenario`).
    loan_paths : bool, default False
        Also return the LTV path of every loan (long format; loans x steps rows).

    Returns
    -------
    StressResult
        Per-loan results and the portfolio path.

    Raises
    ------
    DataError
        If the table lacks the assessment columns.

    References
    ----------
    shared/reference/assessment.md §8.4 (CEA stress table), §8.5 (scenarios).
    """
    spec = scenario if isinstance(scenario, StressScenario) else load_scenario(scenario)
    needed = {"right_id", "borrower_id", "right_type", "value_cny", "max_loan_cny", "insured", "eligible"}
    missing = sorted(needed - set(assessed.columns))
    if missing:
        raise DataError(f"columns {missing} are missing; pass the output of assess_collateral.", column=missing[0])
    frame = assessed.filter(pl.col("eligible"))
    loan_given = frame["loan_cny"] if "loan_cny" in frame.columns else pl.Series([None] * frame.height)
    loan = loan_given.cast(pl.Float64).fill_null(frame["max_loan_cny"]).to_numpy()
    value = frame["value_cny"].to_numpy()
    types = codes(frame["right_type"], TYPE_CODE)
    insured = frame["insured"].to_numpy()
    n_steps = len(spec.steps)
    mult = np.ones((frame.height, n_steps))
    for shock in spec.shocks:
        sel = np.isin(types, [TYPE_CODE[t] for t in shock.right_types])
        plain = np.asarray(shock.multipliers)
        cover = np.asarray(shock.insured_multipliers or shock.multipliers)
        mult[sel & ~insured] = plain
        mult[sel & insured] = cover
    values = value[:, None] * mult
    with np.errstate(divide="ignore", invalid="ignore"):
        ltv = np.where(values > 0.0, loan[:, None] / values, np.where(loan[:, None] > 0.0, np.inf, 0.0))
    warn, dispose = margin_lines(types)
    peak_step = ltv.argmax(axis=1) if n_steps else np.zeros(frame.height, dtype=np.int64)
    peak = ltv[np.arange(frame.height), peak_step]
    action = np.where(peak >= dispose, 2, np.where(peak >= warn, 1, 0))
    loans = pl.DataFrame(
        {
            "right_id": frame["right_id"],
            "borrower_id": frame["borrower_id"],
            "right_type": frame["right_type"],
            "loan_cny": loan,
            "value_cny": value,
            "ltv_initial": ltv[:, 0],
            "ltv_peak": peak,
            "ltv_final": ltv[:, -1],
            "peak_step": pl.Series(peak_step).replace_strict(dict(enumerate(spec.steps)), return_dtype=pl.String),
            "action_peak": pl.Series(action).replace_strict(
                {0: "ok", 1: "top_up", 2: "dispose"}, return_dtype=pl.String
            ),
            "breach": action > 0,
        }
    )
    total_value = values.sum(axis=0)
    total_loan = float(loan.sum())
    over_warn = ltv >= warn[:, None]
    over_dispose = ltv >= dispose[:, None]
    path = pl.DataFrame(
        {
            "step": np.arange(n_steps),
            "label": list(spec.steps),
            "value_cny": total_value,
            "loan_cny": np.full(n_steps, total_loan),
            "ltv": np.where(total_value > 0.0, total_loan / np.where(total_value > 0, total_value, 1.0), np.inf),
            "n_top_up": (over_warn & ~over_dispose).sum(axis=0),
            "n_dispose": over_dispose.sum(axis=0),
        }
    )
    per_loan = None
    if loan_paths:
        per_loan = pl.DataFrame(
            {
                "right_id": np.repeat(frame["right_id"].to_numpy(), n_steps),
                "step": np.tile(np.arange(n_steps), frame.height),
                "label": np.tile(np.asarray(spec.steps), frame.height),
                "value_cny": values.ravel(),
                "ltv": ltv.ravel(),
            }
        )
    return StressResult(spec, loans, path, per_loan)
