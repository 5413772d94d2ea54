"""Loan products as data, the LPR as dated data, and the policy tables the decision engine reads."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from greenfin._validation import spec_error_from
from greenfin.dates import parse_date
from greenfin.errors import SpecError
from greenfin.provenance import CONFIDENCE_MARKS, Confidence, ParamTable, load_param_table

__all__ = [
    "BORROWER_TYPES",
    "PURPOSES",
    "RIGHT_TYPES",
    "LprTable",
    "ProductSpec",
    "TermSource",
    "get_product",
    "list_products",
    "load_products",
    "lpr_on",
]

BORROWER_TYPES: dict[str, str] = {
    "farm_household": "农户",
    "large_grower": "种养大户",
    "family_farm": "家庭农场",
    "cooperative": "农民合作社",
    "agri_enterprise": "农业企业",
}
"""Borrower types (借款人类型) a product can admit, with their Chinese names."""

PURPOSES: dict[str, str] = {
    "crop_production": "种植生产",
    "livestock": "畜禽养殖",
    "aquaculture": "水产养殖",
    "forestry": "林业经营",
    "eco_tourism": "生态旅游",
    "agri_processing": "农产品加工",
}
"""Loan purposes (贷款用途), with their Chinese names."""

RIGHT_TYPES: dict[str, str] = {
    "forest_right": "林权",
    "carbon_allowance": "碳排放配额",
    "carbon_sink_income": "碳汇收益权",
    "discharge_right": "排污权",
    "water_right": "取水权/用水权",
    "energy_use_right": "用能权",
    "land_management_right": "土地经营权",
    "eco_income_right": "生态权益证 (GEP/VEP 收益权)",
    "scenic_fee_right": "景区收费权",
}
"""Eco-product right types that can be pledged (DESIGN.md canonical ids)."""

_TERM_FIELDS = (
    "borrower_types",
    "purposes",
    "limit_by_borrower_type_cny",
    "min_amount_cny",
    "max_tenor_months",
    "rate_cap_spread_over_lpr",
    "lpr_tenor",
    "required_collateral",
    "accepted_right_types",
    "guarantee_fee_rate",
    "fund_coverage",
    "fund_loss_share",
)


class TermSource(BaseModel):
    """Where one product term comes from, and how sure we are of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=3, description="Document, page or URL the term comes from.")
    confidence: Confidence = Field(description="confirmed (✔), secondary (≈) or unverified (⚠).")
    note: str = Field(default="", description="Caveats, e.g. which part is assumed.")


class ProductSpec(BaseModel):
    """A 生态信贷通 loan product (贷款产品) as data: who may borrow, how much, how long, at what price.

    Every term has an entry in ``sources`` naming its source and confidence, so a report can list the
    unverified ones.

    Examples
    --------
    >>> p = get_product("cainong-xindaitong-2022")
    >>> p.max_tenor_months, p.rate_cap_spread_over_lpr, p.required_collateral
    (36, 0.01, 'none')
    >>> sorted(p.unverified_terms())[:2]
    ['fund_loss_share', 'guarantee_fee_rate']
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="Product id used in applications.")
    name_zh: str = Field(description="Chinese product name.")
    name_en: str = Field(description="English product name.")
    scheme_kind: Literal["fiscal_fund", "guarantee", "pledge"] = Field(
        description="fiscal risk-compensation fund (财政风险补偿金), guarantee company (担保), or pledge only (质押)."
    )
    borrower_types: tuple[str, ...] = Field(min_length=1, description="Eligible borrower types (BORROWER_TYPES).")
    purposes: tuple[str, ...] = Field(min_length=1, description="Eligible loan purposes (PURPOSES).")
    limit_by_borrower_type_cny: dict[str, float] = Field(description="Per-borrower cap by borrower type, yuan.")
    min_amount_cny: float = Field(ge=0.0, description="Smallest loan the product books, yuan.")
    max_tenor_months: int = Field(ge=1, le=600, description="Longest tenor, months (财农信贷通: ≤ 36).")
    rate_cap_spread_over_lpr: float | None = Field(
        ge=0.0, description="Executed rate ≤ LPR + this spread (fraction, 0.01 = 100 bp); null = no product cap."
    )
    lpr_tenor: Literal["1y", "5y"] = Field(description="Which LPR the rate references.")
    required_collateral: Literal["none", "eco_right", "eco_rights_certificate"] = Field(
        description="none; any accepted eco-right (权益质押); or an eco-rights certificate (生态权益证)."
    )
    accepted_right_types: tuple[str, ...] = Field(description="Right types accepted as pledge (RIGHT_TYPES).")
    guarantee_fee_rate: float = Field(ge=0.0, le=0.1, description="Guarantee fee (担保费) per year, fraction.")
    fund_coverage: Literal["risk_compensation_fund", "guarantee_company", "none"] = Field(
        description="Who shares the loss with the bank."
    )
    fund_loss_share: float = Field(ge=0.0, le=1.0, description="Share of a loss borne by the fund or guarantor.")
    sources: dict[str, TermSource] = Field(description="Source and confidence of each term, keyed by field name.")

    @model_validator(mode="after")
    def _check_vocabularies(self) -> ProductSpec:
        unknown_types = set(self.borrower_types) - set(BORROWER_TYPES)
        if unknown_types:
            raise ValueError(f"unknown borrower_types {sorted(unknown_types)}; use {sorted(BORROWER_TYPES)}")
        unknown_purposes = set(self.purposes) - set(PURPOSES)
        if unknown_purposes:
            raise ValueError(f"unknown purposes {sorted(unknown_purposes)}; use {sorted(PURPOSES)}")
        unknown_rights = set(self.accepted_right_types) - set(RIGHT_TYPES)
        if unknown_rights:
            raise ValueError(f"unknown accepted_right_types {sorted(unknown_rights)}; use {sorted(RIGHT_TYPES)}")
        missing_caps = set(self.borrower_types) - set(self.limit_by_borrower_type_cny)
        if missing_caps:
            raise ValueError(f"limit_by_borrower_type_cny lacks a cap for {sorted(missing_caps)}")
        if any(v <= 0 for v in self.limit_by_borrower_type_cny.values()):
            raise ValueError("limit_by_borrower_type_cny caps must be > 0 yuan")
        if self.required_collateral != "none" and not self.accepted_right_types:
            raise ValueError("a product that requires collateral must list accepted_right_types")
        missing_sources = set(_TERM_FIELDS) - set(self.sources)
        if missing_sources:
            raise ValueError(f"sources lacks an entry for {sorted(missing_sources)}; every term needs its source")
        return self

    def unverified_terms(self) -> tuple[str, ...]:
        """Terms whose source is not confirmed against a primary text.

        Returns
        -------
        tuple of str
            Field names marked ``unverified``.
        """
        return tuple(name for name, s in self.sources.items() if s.confidence == "unverified")

    def terms_frame(self) -> pl.DataFrame:
        """One row per term: product, term, value, confidence, mark, source, note.

        Returns
        -------
        polars.DataFrame
            The product's terms with their provenance.
        """
        rows = []
        for name in _TERM_FIELDS:
            src = self.sources[name]
            rows.append(
                {
                    "product_id": self.id,
                    "term": name,
                    "value": json.dumps(getattr(self, name), ensure_ascii=False),
                    "confidence": src.confidence,
                    "mark": CONFIDENCE_MARKS[src.confidence],
                    "source": src.source,
                    "note": src.note,
                }
            )
        return pl.DataFrame(rows)


class _Catalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Catalogue id.")
    version: str = Field(description="Catalogue version.")
    description: str = Field(default="", description="Scope.")
    products: tuple[ProductSpec, ...] = Field(description="The products.")


class _LprFixing(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date = Field(description="Date from which the fixing applies.")
    lpr_1y: float = Field(gt=0.0, lt=0.2, description="1-year LPR, fraction.")
    lpr_5y: float = Field(gt=0.0, lt=0.2, description="5-year-plus LPR, fraction.")


class LprTable(BaseModel):
    """Loan prime rate (贷款市场报价利率, LPR) fixings as dated data with their source.

    Examples
    --------
    >>> t = LprTable.bundled()
    >>> t.rate_on(dt.date(2025, 6, 1), "1y")
    (0.03, datetime.date(2025, 5, 20))
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Table id.")
    title: str = Field(description="What the table holds.")
    source: str = Field(description="Where the fixings come from.")
    confidence: Confidence = Field(description="confirmed (✔), secondary (≈) or unverified (⚠).")
    assumed_unchanged_through: dt.date = Field(description="Last date the latest fixing is assumed to hold.")
    note: str = Field(default="", description="Caveats.")
    fixings: tuple[_LprFixing, ...] = Field(min_length=1, description="Fixings in date order.")

    @classmethod
    def bundled(cls) -> LprTable:
        """The LPR table shipped with greenfin (``greenfin/lending/data/lpr.json``).

        Returns
        -------
        LprTable
            The table.
        """
        return _bundled_lpr()

    def rate_on(self, as_of: dt.date, tenor: Literal["1y", "5y"] = "1y") -> tuple[float, dt.date]:
        """The LPR in force on ``as_of`` and the date of that fixing.

        Parameters
        ----------
        as_of : datetime.date
            Signing or valuation date.
        tenor : {"1y", "5y"}
            Which LPR.

        Returns
        -------
        tuple of (float, datetime.date)
            The rate (fraction) and the fixing date.

        Raises
        ------
        SpecError
            If ``as_of`` is before the first fixing or after ``assumed_unchanged_through``.
        """
        first = self.fixings[0].date
        if as_of < first:
            raise SpecError(f"No LPR fixing on or before {as_of}; the table starts {first}. Use a later date.")
        if as_of > self.assumed_unchanged_through:
            raise SpecError(
                f"{as_of} is past the LPR table (assumed unchanged through {self.assumed_unchanged_through}). "
                "Add the newer fixings to greenfin/lending/data/lpr.json or pass lpr= explicitly."
            )
        fixing = [f for f in self.fixings if f.date <= as_of][-1]
        return (fixing.lpr_1y if tenor == "1y" else fixing.lpr_5y), fixing.date


def _read_json_resource(name: str) -> Any:
    text = resources.files("greenfin.lending").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _bundled_lpr() -> LprTable:
    return LprTable.model_validate(_read_json_resource("lpr.json"))


def lpr_on(as_of: str | dt.date, tenor: Literal["1y", "5y"] = "1y") -> float:
    """The bundled loan prime rate in force on a date, as a fraction.

    Parameters
    ----------
    as_of : str or datetime.date
        Date (ISO text or date).
    tenor : {"1y", "5y"}
        1-year or 5-year-plus LPR.

    Returns
    -------
    float
        The LPR, e.g. 0.03.

    Raises
    ------
    SpecError
        If the date is outside the table.

    Examples
    --------
    >>> lpr_on("2024-12-31"), lpr_on("2024-12-31", "5y")
    (0.031, 0.036)
    """
    return LprTable.bundled().rate_on(parse_date(as_of, field="as_of"), tenor)[0]


def load_products(path: str | Path | None = None) -> tuple[ProductSpec, ...]:
    """Load a product catalogue (the bundled one by default).

    Parameters
    ----------
    path : str, pathlib.Path or None
        A JSON catalogue with the bundled file's shape; None for ``greenfin/lending/data/products.json``.

    Returns
    -------
    tuple of ProductSpec
        The products.

    Raises
    ------
    SpecError
        If the file is missing or a product does not validate (the message names the field).

    Examples
    --------
    >>> [p.id for p in load_products()]
    ['cainong-xindaitong-2022', 'jinxi-shengtaitong', 'zixi-eco-rights-pledge']
    """
    if path is None:
        return _bundled_products()
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"Product catalogue {p} does not exist; check the path.")
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SpecError(f"{p} is not valid JSON (line {exc.lineno}): {exc.msg}.") from exc
    return _validate_catalog(raw, str(p))


def _validate_catalog(raw: Any, label: str) -> tuple[ProductSpec, ...]:
    try:
        catalog = _Catalog.model_validate(raw)
    except ValidationError as exc:
        raise spec_error_from(exc, label) from exc
    ids = [p.id for p in catalog.products]
    if len(set(ids)) != len(ids):
        raise SpecError(f"{label}: product ids must be unique; got {ids}.")
    return catalog.products


@lru_cache(maxsize=1)
def _bundled_products() -> tuple[ProductSpec, ...]:
    return _validate_catalog(_read_json_resource("products.json"), "greenfin/lending/data/products.json")


def list_products() -> tuple[str, ...]:
    """Ids of the bundled products.

    Returns
    -------
    tuple of str
        Product ids.
    """
    return tuple(p.id for p in _bundled_products())


def get_product(product: str | ProductSpec, catalog: tuple[ProductSpec, ...] | None = None) -> ProductSpec:
    """Resolve a product by id (or pass a :class:`ProductSpec` through).

    Parameters
    ----------
    product : str or ProductSpec
        Product id or spec.
    catalog : tuple of ProductSpec or None
        Catalogue to search; None for the bundled one.

    Returns
    -------
    ProductSpec
        The product.

    Raises
    ------
    SpecError
        If the id is unknown; the message lists the known ids.
    """
    if isinstance(product, ProductSpec):
        return product
    products = catalog if catalog is not None else _bundled_products()
    for p in products:
        if p.id == product:
            return p
    raise SpecError(
        f"Unknown product {product!r}; use one of {', '.join(p.id for p in products)} "
        "(`greenfin lend products` lists them)."
    )


@lru_cache(maxsize=4)
def policy_table(name: str) -> ParamTable:
    """A bundled policy parameter table (``underwriting.json`` or ``eco_overlay.json``)."""
    return load_param_table("greenfin.lending", f"data/{name}")


@lru_cache(maxsize=1)
def reason_texts() -> Mapping[str, Mapping[str, str]]:
    """Reason code -> {"en": ..., "zh": ...}."""
    raw: dict[str, dict[str, str]] = _read_json_resource("reasons.json")["reasons"]
    return raw


@lru_cache(maxsize=1)
def crop_calendars() -> Mapping[str, tuple[float, ...]]:
    """Crop -> twelve monthly income weights (Jan..Dec)."""
    raw = _read_json_resource("crop_calendars.json")
    return {k: tuple(float(x) for x in v) for k, v in raw["calendars"].items()}


def crop_calendar_source() -> tuple[str, Confidence]:
    """Source and confidence of the crop calendars."""
    raw = _read_json_resource("crop_calendars.json")
    conf: Confidence = raw["confidence"]
    return str(raw["source"]), conf
