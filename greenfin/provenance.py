"""Provenance of every parameter that comes from a policy, standard or study.

A parameter is never a bare constant in code: it lives in a versioned data file (JSON) as a
:class:`Param` carrying its value, unit, source and a confidence mark, and reports say which
parameters were used and how sure we are of each. The marks follow ``shared/reference``:

- ``confirmed`` (✔): seen in the cited primary source;
- ``secondary`` (≈): from a secondary source (news, reprint, platform default);
- ``unverified`` (⚠): background knowledge or inference, to be checked against the primary text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from greenfin.errors import SpecError

__all__ = ["CONFIDENCE_MARKS", "Confidence", "Param", "ParamTable", "load_param_table"]

Confidence = Literal["confirmed", "secondary", "unverified"]

CONFIDENCE_MARKS: dict[str, str] = {"confirmed": "✔", "secondary": "≈", "unverified": "⚠"}
"""Display mark of each confidence level, as used in ``shared/reference``."""


class Param(BaseModel):
    """One sourced parameter: value, unit, source and confidence.

    Examples
    --------
    >>> p = Param(value=0.24, unit="1", source="欧阳志云 1999 via Garzê 2010", confidence="confirmed")
    >>> p.mark
    '✔'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float | str | bool | tuple[float, ...] = Field(description="The value, in `unit`.")
    unit: str = Field(description="Unit of the value; '1' for a dimensionless number or fraction.")
    source: str = Field(min_length=3, description="Document, table and page (or URL) the value comes from.")
    confidence: Confidence = Field(description="confirmed (✔), secondary (≈) or unverified (⚠).")
    price_year: int | None = Field(default=None, ge=1949, le=2100, description="Price level year of a price.")
    note: str = Field(default="", description="Caveats, e.g. which variant of a formula the value belongs to.")

    @property
    def mark(self) -> str:
        """The confidence mark (✔, ≈ or ⚠)."""
        return CONFIDENCE_MARKS[self.confidence]


class ParamTable(BaseModel):
    """A named, versioned table of sourced parameters.

    Examples
    --------
    >>> t = ParamTable(id="demo", version="1", title="Demo", params={
    ...     "lambda": Param(value=0.24, unit="1", source="Garzê 2010", confidence="confirmed")})
    >>> t.value("lambda")
    0.24
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="Table id, e.g. national-2022.")
    version: str = Field(description="Version of the table; change it whenever a value changes.")
    title: str = Field(description="Human title.")
    description: str = Field(default="", description="Scope and caveats of the table.")
    params: Mapping[str, Param] = Field(description="Parameters by name.")

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]  # iterate parameter names, not fields
        return iter(self.params)

    def get(self, name: str) -> Param:
        """Return the parameter ``name`` or raise a :class:`SpecError` listing the known names.

        Parameters
        ----------
        name : str
            Parameter name.

        Returns
        -------
        Param
            The parameter.

        Raises
        ------
        SpecError
            If the table has no such parameter.
        """
        try:
            return self.params[name]
        except KeyError:
            known = ", ".join(sorted(self.params))
            raise SpecError(f"Parameter table {self.id!r} has no parameter {name!r}. Known: {known}.") from None

    def value(self, name: str) -> Any:
        """Return the value of parameter ``name``.

        Parameters
        ----------
        name : str
            Parameter name.

        Returns
        -------
        Any
            The parameter's value.
        """
        return self.get(name).value

    def to_frame(self) -> pl.DataFrame:
        """One row per parameter: name, value, unit, price year, confidence, mark, source, note.

        Returns
        -------
        polars.DataFrame
            The table, ready to print or to write into a report.
        """
        rows = [
            {
                "table": self.id,
                "parameter": name,
                "value": str(p.value),
                "unit": p.unit,
                "price_year": p.price_year,
                "confidence": p.confidence,
                "mark": p.mark,
                "source": p.source,
                "note": p.note,
            }
            for name, p in self.params.items()
        ]
        return pl.DataFrame(rows, schema_overrides={"price_year": pl.Int64})


def load_param_table(path_or_package: str | Path, name: str | None = None) -> ParamTable:
    """Load a :class:`ParamTable` from a JSON file, or from a package resource.

    Parameters
    ----------
    path_or_package : str or pathlib.Path
        A JSON file path, or a package name (e.g. ``"greenfin.gep"``) when ``name`` is given.
    name : str or None
        Resource file name inside the package.

    Returns
    -------
    ParamTable
        The validated table.

    Raises
    ------
    SpecError
        If the file is missing, not JSON, or does not validate; the message names the field.

    Examples
    --------
    >>> load_param_table("no/such/file.json")
    Traceback (most recent call last):
    ...
    greenfin.errors.SpecError: Parameter file no/such/file.json does not exist; check the path.
    """
    if name is None:
        path = Path(path_or_package)
        label = str(path)
        if not path.is_file():
            raise SpecError(f"Parameter file {label} does not exist; check the path.")
        text = path.read_text(encoding="utf-8")
    else:
        label = f"{path_or_package}/{name}"
        try:
            text = resources.files(str(path_or_package)).joinpath(name).read_text(encoding="utf-8")
        except (FileNotFoundError, ModuleNotFoundError) as exc:
            raise SpecError(f"Parameter resource {label} not found; is the package installed whole?") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{label} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}.") from exc
    try:
        return ParamTable.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise SpecError(f"{label}: field {loc}: {first['msg']}. Fix that entry of the parameter file.") from exc
