"""Points scaling, the master scale (PD to grade) and the sourced scoring parameters."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from greenfin._typing import FloatArray
from greenfin.errors import SpecError
from greenfin.provenance import ParamTable, load_param_table

__all__ = ["MasterScale", "scoring_params"]

_PARAMS: ParamTable | None = None


def scoring_params() -> ParamTable:
    """The sourced scoring parameters (``greenfin/scoring/data/scoring_params.json``).

    Returns
    -------
    ParamTable
        Points scaling, master scale and monitoring thresholds, each with source and confidence.

    Examples
    --------
    >>> scoring_params().value("pdo")
    20.0
    """
    global _PARAMS  # read-only cache of a bundled data file
    if _PARAMS is None:
        _PARAMS = load_param_table("greenfin.scoring", "data/scoring_params.json")
    return _PARAMS


def scaling(pdo: float, base_points: float, base_odds: float) -> tuple[float, float]:
    """(factor, offset) with ``points = offset + factor * ln(good:bad odds)``."""
    if not (pdo > 0 and base_odds > 0 and math.isfinite(base_points)):
        raise SpecError(
            f"Points scaling needs pdo > 0, base_odds > 0 and finite base_points; got pdo={pdo}, "
            f"base_odds={base_odds}, base_points={base_points}. Use e.g. pdo=20, base_points=600, base_odds=19."
        )
    factor = pdo / math.log(2.0)
    return factor, base_points - factor * math.log(base_odds)


def pd_from_points(points: FloatArray, factor: float, offset: float) -> FloatArray:
    """PD implied by points: ``1 / (1 + exp((points - offset) / factor))``."""
    z = (np.asarray(points, dtype=np.float64) - offset) / factor
    return np.asarray(1.0 / (1.0 + np.exp(z)), dtype=np.float64)


class MasterScale(BaseModel):
    """A master scale: grades with upper PD bounds (a PD above a bound falls in the next grade).

    Examples
    --------
    >>> ms = MasterScale.default()
    >>> ms.grade(np.array([0.001, 0.02, 0.5])).tolist()
    ['A1', 'B1', 'D']
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    grades: tuple[str, ...] = Field(description="Grade names, best first.")
    pd_upper: tuple[float, ...] = Field(description="Upper PD bound of each grade (increasing; the last is 1.0).")
    source: str = Field(description="Where the scale comes from (approval reference).")

    @model_validator(mode="after")
    def _check(self) -> MasterScale:
        if len(self.grades) != len(self.pd_upper) or not self.grades:
            raise ValueError("grades and pd_upper must have the same, non-zero length")
        bounds = np.asarray(self.pd_upper)
        if np.any(np.diff(bounds) <= 0) or bounds[-1] < 1.0 or bounds[0] <= 0:
            raise ValueError("pd_upper must increase strictly from > 0 and end at 1.0")
        return self

    @classmethod
    def default(cls) -> MasterScale:
        """The house master scale from the scoring parameters.

        Returns
        -------
        MasterScale
            Ten grades A1 … D.
        """
        p = scoring_params()
        return cls(
            grades=tuple(str(p.value("master_scale_grades")).split(",")),
            pd_upper=tuple(float(v) for v in p.value("master_scale_pd_upper")),
            source=p.get("master_scale_pd_upper").source,
        )

    def grade(self, pd: Any) -> np.ndarray[Any, Any]:
        """Grade of each PD.

        Parameters
        ----------
        pd : array-like of float
            Probabilities of default.

        Returns
        -------
        numpy.ndarray of str
            Grades.
        """
        idx = np.searchsorted(np.asarray(self.pd_upper), np.asarray(pd, dtype=np.float64), side="left")
        return np.asarray(self.grades, dtype=object)[np.minimum(idx, len(self.grades) - 1)]

    def to_frame(self) -> pl.DataFrame:
        """The scale as a table.

        Returns
        -------
        polars.DataFrame
            Columns grade, pd_lower, pd_upper.
        """
        lower = (0.0, *self.pd_upper[:-1])
        return pl.DataFrame({"grade": list(self.grades), "pd_lower": list(lower), "pd_upper": list(self.pd_upper)})
