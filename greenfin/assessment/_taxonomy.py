"""Green-loan catalogues (2013 CBRC, 2019, 2024, 2025), their crosswalk keyed on approval date, eco-product rights.

Loans are reported under the catalogue their bank used (``taxonomy_version``, ``taxonomy_code``). To keep
balance shares and year-on-year growth consistent across catalogue changes, every loan is mapped to one
target catalogue through the crosswalk chain 2013CBRC -> 2019 -> 2024 -> 2025. When a code has no
successor (``mapping = none``), the loan stays green only if it was approved before the target catalogue's
effective date (grandfathering, 2025 PBoC notice). The treatment depends on the approval date only, so a
loan is treated the same way in every quarter and growth series do not jump when banks re-label.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from importlib import resources
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from greenfin.errors import DataError, SpecError
from greenfin.provenance import Confidence

__all__ = [
    "TAXONOMY_VERSIONS",
    "Taxonomy",
    "classify_loans",
    "crosswalk_code",
    "eco_product_right_types",
    "load_taxonomy",
]

TAXONOMY_VERSIONS: tuple[str, ...] = ("2013CBRC", "2019", "2024", "2025")
"""Catalogue versions, oldest first; the crosswalk maps each to the next."""

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Category(BaseModel):
    """One catalogue category."""

    model_config = _FROZEN

    code: str = Field(description="Code, e.g. '2024.5' (version prefix, first-level number).")
    name_en: str = Field(description="English name.")
    name_zh: str = Field(description="Chinese name.")


class CatalogueVersion(BaseModel):
    """One catalogue with its effective date."""

    model_config = _FROZEN

    id: str = Field(description="Version id: 2013CBRC, 2019, 2024 or 2025.")
    title_en: str = Field(description="English title.")
    title_zh: str = Field(description="Chinese title.")
    effective_from: dt.date = Field(description="First approval date the catalogue applies to.")
    source: str = Field(description="Source.")
    confidence: Confidence = Field(description="Confirmation status.")
    note: str = Field(description="Caveats.")
    categories: tuple[Category, ...] = Field(description="Categories.")


class CrosswalkRow(BaseModel):
    """One crosswalk edge from a code to its successor in the next catalogue."""

    model_config = _FROZEN

    from_code: str = Field(description="Code in the older catalogue.")
    to_code: str | None = Field(description="Primary successor code, or None when the item was dropped.")
    mapping: Literal["1:1", "1:n", "partial", "none"] = Field(description="Kind of correspondence.")
    note: str = Field(description="Caveats.")


class EcoRight(BaseModel):
    """An eco-product right type whose pledge makes a loan an eco-product-value loan."""

    model_config = _FROZEN

    id: str = Field(description="Right type id (DESIGN.md canonical identifiers).")
    name_zh: str = Field(description="Chinese name.")
    name_en: str = Field(description="English name.")


class Grandfathering(BaseModel):
    """The grandfathering rule of a catalogue change."""

    model_config = _FROZEN

    rule: str = Field(description="The rule in words.")
    source: str = Field(description="Source.")
    confidence: Confidence = Field(description="Confirmation status.")


class Taxonomy(BaseModel):
    """The four catalogues, the crosswalk and the eco-product right types, as loaded from data.

    Examples
    --------
    >>> tax = load_taxonomy()
    >>> [v.id for v in tax.versions], len(tax.catalogue("2013CBRC").categories)
    (['2013CBRC', '2019', '2024', '2025'], 12)
    """

    model_config = _FROZEN

    id: str = Field(description="Table id.")
    version: str = Field(description="Data version.")
    title: str = Field(description="Title.")
    description: str = Field(description="Scope and caveats.")
    versions: tuple[CatalogueVersion, ...] = Field(description="Catalogues, oldest first.")
    crosswalk: tuple[CrosswalkRow, ...] = Field(description="Edges from each code to the next catalogue.")
    crosswalk_source: str = Field(description="Source of the crosswalk.")
    crosswalk_confidence: Confidence = Field(description="Confirmation status of the crosswalk.")
    grandfathering: Grandfathering = Field(description="Grandfathering rule.")
    eco_product_rights: tuple[EcoRight, ...] = Field(description="Eco-product right types.")

    def catalogue(self, version_id: str) -> CatalogueVersion:
        """The catalogue ``version_id``.

        Parameters
        ----------
        version_id : str
            One of :data:`TAXONOMY_VERSIONS`.

        Returns
        -------
        CatalogueVersion
            The catalogue.

        Raises
        ------
        SpecError
            If the version is unknown.
        """
        for v in self.versions:
            if v.id == version_id:
                return v
        raise SpecError(f"Unknown taxonomy version {version_id!r}; use one of {', '.join(TAXONOMY_VERSIONS)}.")

    def codes(self) -> dict[str, str]:
        """Every known code mapped to its version.

        Returns
        -------
        dict of str to str
            Code -> version id.
        """
        return {c.code: v.id for v in self.versions for c in v.categories}

    def categories_frame(self) -> pl.DataFrame:
        """All categories as a table (version, code, name_en, name_zh).

        Returns
        -------
        polars.DataFrame
            One row per category.
        """
        return pl.DataFrame(
            [
                {"taxonomy_version": v.id, "code": c.code, "name_en": c.name_en, "name_zh": c.name_zh}
                for v in self.versions
                for c in v.categories
            ]
        )


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """Load the bundled catalogues and crosswalk (``greenfin/assessment/data/taxonomy.json``).

    Returns
    -------
    Taxonomy
        The validated taxonomy.
    """
    text = resources.files("greenfin.assessment").joinpath("data", "taxonomy.json").read_text(encoding="utf-8")
    return Taxonomy.model_validate(json.loads(text))


def eco_product_right_types() -> tuple[str, ...]:
    """Collateral types that make a loan an eco-product-value loan (生态产品价值实现贷款).

    Returns
    -------
    tuple of str
        Right type ids.

    Examples
    --------
    >>> "forest_right" in eco_product_right_types()
    True
    """
    return tuple(r.id for r in load_taxonomy().eco_product_rights)


def crosswalk_code(code: str, to_version: str) -> tuple[str | None, str]:
    """Map one code forwards or backwards through the crosswalk chain.

    Forwards, each step follows the primary successor; backwards, each step takes the predecessor
    whose primary successor is the code (the lexically first when several merge into one).

    Parameters
    ----------
    code : str
        A known category code, e.g. ``"2013CBRC.07"``.
    to_version : str
        Target version.

    Returns
    -------
    tuple of (str or None, str)
        The code in ``to_version`` (None when the item has no counterpart) and the weakest mapping kind
        met on the way (``1:1`` < ``1:n`` < ``partial`` < ``none``).

    Raises
    ------
    SpecError
        If the code or version is unknown.

    Examples
    --------
    >>> crosswalk_code("2013CBRC.07", "2025")
    ('2025.4', '1:1')
    >>> crosswalk_code("2025.4", "2013CBRC")
    ('2013CBRC.07', '1:1')
    >>> crosswalk_code("2024.4.C", "2025")
    (None, 'none')
    """
    tax = load_taxonomy()
    codes = tax.codes()
    if code not in codes:
        raise SpecError(f"Unknown category code {code!r}; known codes start with {', '.join(TAXONOMY_VERSIONS)}.")
    tax.catalogue(to_version)
    order = {"1:1": 0, "1:n": 1, "partial": 2, "none": 3}
    forward = {r.from_code: r for r in tax.crosswalk}
    current: str | None = code
    version = codes[code]
    worst = "1:1"
    step = 1 if TAXONOMY_VERSIONS.index(to_version) >= TAXONOMY_VERSIONS.index(version) else -1
    while current is not None and version != to_version:
        if step == 1:
            row = forward.get(current)
            kind = row.mapping if row is not None else "none"
            current = row.to_code if row is not None else None
        else:
            preds = sorted((r for r in tax.crosswalk if r.to_code == current), key=lambda r: r.from_code)
            kind = preds[0].mapping if preds else "none"
            current = preds[0].from_code if preds else None
        worst = kind if order[kind] > order[worst] else worst
        version = TAXONOMY_VERSIONS[TAXONOMY_VERSIONS.index(version) + step]
    return current, worst


@lru_cache(maxsize=8)
def _mapping(to_version: str) -> tuple[dict[str, str | None], dict[str, str], dict[str, int]]:
    """Code -> target code, code -> mapping kind, code -> index of the code's own catalogue."""
    tax = load_taxonomy()
    target: dict[str, str | None] = {}
    kind: dict[str, str] = {}
    own: dict[str, int] = {}
    for code, version in tax.codes().items():
        target[code], kind[code] = crosswalk_code(code, to_version)
        own[code] = TAXONOMY_VERSIONS.index(version)
    return target, kind, own


def _version_in_force() -> pl.Expr:
    tax = load_taxonomy()
    expr: pl.Expr = pl.lit(None, dtype=pl.String)
    for v in sorted(tax.versions, key=lambda v: v.effective_from):
        expr = pl.when(pl.col("approval_date") >= v.effective_from).then(pl.lit(v.id)).otherwise(expr)
    return expr.alias("version_at_approval")


def classify_loans(
    loans: pl.DataFrame | pl.LazyFrame, *, to_version: str = "2025", source: str = "loans"
) -> pl.DataFrame | pl.LazyFrame:
    """Map every green loan to one target catalogue and flag eco-product-value loans.

    Parameters
    ----------
    loans : polars.DataFrame or polars.LazyFrame
        Validated loans (see :func:`greenfin.assessment.validate_loans`): ``green_flag``,
        ``taxonomy_code``, ``approval_date``, ``collateral_type``.
    to_version : str, default "2025"
        Target catalogue.
    source : str
        Name of the table for error messages.

    Returns
    -------
    polars.DataFrame or polars.LazyFrame
        The loans plus ``category_code`` (code in ``to_version``), ``crosswalk_mapping``,
        ``version_at_approval`` (catalogue in force when the loan was approved), ``stale_label`` (labelled
        with an older catalogue than the one in force at approval), ``grandfathered`` (no successor but
        approved before the target's effective date), ``green_harmonised`` (green under the target with
        grandfathering) and ``eco_product_flag`` (backed by an eco-product right).

    Raises
    ------
    DataError
        If a green loan carries an unknown category code (the message gives the row and the known codes).
        The check runs on a DataFrame; a LazyFrame is not scanned here, so validate a sample of it eagerly
        first (unknown codes in a LazyFrame come out with ``green_harmonised`` false).

    Examples
    --------
    >>> import datetime as dt
    >>> loans = pl.DataFrame({"green_flag": [True, True, True],
    ...     "taxonomy_code": ["2013CBRC.07", "2024.4.C", "2024.4.C"],
    ...     "approval_date": [dt.date(2015, 1, 5), dt.date(2025, 3, 1), dt.date(2025, 11, 1)],
    ...     "collateral_type": ["forest_right", None, None]})
    >>> classify_loans(loans).select("category_code", "grandfathered", "green_harmonised", "eco_product_flag").rows()
    [('2025.4', False, True, True), (None, True, True, False), (None, False, False, False)]
    """
    tax = load_taxonomy()
    tax.catalogue(to_version)
    if isinstance(loans, pl.DataFrame):
        codes = loans.filter(pl.col("green_flag"))["taxonomy_code"]
        known = set(tax.codes())
        bad = (~codes.is_in(list(known)) | codes.is_null()).fill_null(True)
        if bad.any():
            green_rows = loans.with_row_index("_row").filter(pl.col("green_flag"))["_row"]
            row = int(green_rows.filter(bad)[0]) + 1
            value = codes.filter(bad)[0]
            raise DataError(
                f"green loan has unknown category code {value!r}. Use a code of the catalogue named in "
                f"taxonomy_version, e.g. 2013CBRC.07, 2019.3, 2024.5, 2025.4 (see `greenfin assess rules`"
                f" and greenfin.assessment.load_taxonomy().categories_frame()).",
                source=source,
                column="taxonomy_code",
                row=row,
            )
    lazy = loans.lazy()
    target, kind, own = _mapping(to_version)
    effective = tax.catalogue(to_version).effective_from
    eco = list(eco_product_right_types())
    order = {v: i for i, v in enumerate(TAXONOMY_VERSIONS)}
    code = pl.col("taxonomy_code")
    # dictionary lookups rather than a join: no column of the (possibly 10-million-row) table is copied
    out = (
        lazy.with_columns(
            code.replace_strict(target, default=None, return_dtype=pl.String).alias("category_code"),
            code.replace_strict(kind, default=None, return_dtype=pl.String).alias("crosswalk_mapping"),
            _version_in_force(),
        )
        .with_columns(
            (
                code.replace_strict(own, default=None, return_dtype=pl.Int8)
                < pl.col("version_at_approval").replace_strict(order, default=None, return_dtype=pl.Int8)
            )
            .fill_null(False)
            .alias("stale_label"),
            (pl.col("green_flag") & pl.col("category_code").is_null() & (pl.col("approval_date") < effective))
            .fill_null(False)
            .alias("grandfathered"),
        )
        .with_columns(
            (pl.col("green_flag") & (pl.col("category_code").is_not_null() | pl.col("grandfathered")))
            .fill_null(False)
            .alias("green_harmonised"),
            pl.col("collateral_type").is_in(eco).fill_null(False).alias("eco_product_flag"),
            pl.when(pl.col("green_flag")).then(pl.col("category_code")).otherwise(None).alias("category_code"),
        )
    )
    return out.collect() if isinstance(loans, pl.DataFrame) else out
