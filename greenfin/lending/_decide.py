"""The underwriting decision: approve / decline / refer, limit, rate and reasons, vectorised over applications.

The engine reads three tables (applications, scores, collateral valuations), lowers the product terms
to arrays by joins, and computes every rule as a numpy expression over all applications at once. Python
loops run only over the short list of reason codes and bound names, never over applications.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from greenfin._typing import BoolArray, FloatArray
from greenfin._validation import ColumnSpec, validate_frame
from greenfin.errors import DataError, SpecError
from greenfin.lending._products import (
    BORROWER_TYPES,
    PURPOSES,
    ProductSpec,
    get_product,
    load_products,
    lpr_on,
    policy_table,
    reason_texts,
)

__all__ = [
    "APPLICATION_COLUMNS",
    "BOUND_NAMES",
    "REFUSAL_CODES",
    "SCORE_COLUMNS",
    "VALUATION_COLUMNS",
    "approved_loans",
    "decide",
]

APPLICATION_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(name="application_id", kind="str", description="application id, unique"),
    ColumnSpec(name="borrower_id", kind="str", description="borrower id, e.g. B00001"),
    ColumnSpec(name="borrower_type", kind="str", allowed=tuple(BORROWER_TYPES), description="borrower type"),
    ColumnSpec(name="purpose", kind="str", allowed=tuple(PURPOSES), description="loan purpose"),
    ColumnSpec(name="product_id", kind="str", required=False, nullable=True, description="product id"),
    ColumnSpec(name="amount_cny", gt=0.0, description="requested amount, yuan"),
    ColumnSpec(name="tenor_months", kind="int", ge=1, le=600, description="requested tenor, months"),
    ColumnSpec(name="county_id", kind="str", required=False, nullable=True, description="county code"),
    ColumnSpec(name="sector", kind="str", required=False, nullable=True, description="sector for the fund model"),
    ColumnSpec(name="consent_credit_assessment", kind="bool", description="authorisation to assess credit"),
    ColumnSpec(
        name="consent_cash_flow",
        kind="bool",
        description="separate written consent to use income / cash-flow data (征信业管理条例 Art. 14, PIPL Art. 29)",
    ),
    ColumnSpec(
        name="net_cash_flow_cny_per_year",
        required=False,
        nullable=True,
        description="net operating cash flow before debt service, yuan per year (consent-gated)",
    ),
    ColumnSpec(
        name="existing_debt_service_cny_per_year",
        required=False,
        nullable=True,
        ge=0.0,
        description="debt service on other loans, yuan per year (consent-gated)",
    ),
    ColumnSpec(
        name="request_human_review",
        kind="bool",
        required=False,
        nullable=True,
        description="borrower asks for a human decision (PIPL Art. 24)",
    ),
    ColumnSpec(name="age_years", required=False, nullable=True, ge=0.0, description="age of a natural-person borrower"),
    ColumnSpec(name="eco_points", required=False, nullable=True, ge=0.0, le=100.0, description="eco points (生态积分)"),
    ColumnSpec(
        name="eco_points_age_years", required=False, nullable=True, ge=0.0, description="age of the eco points, years"
    ),
    ColumnSpec(
        name="pledged_right_ids",
        kind="str",
        required=False,
        nullable=True,
        description="pledged right ids, ';'-separated",
    ),
    ColumnSpec(name="pd", required=False, nullable=True, ge=0.0, le=1.0, description="one-year PD if no score table"),
    ColumnSpec(name="points", required=False, nullable=True, description="score points if no score table"),
    ColumnSpec(name="grade", kind="str", required=False, nullable=True, description="score grade if no score table"),
    ColumnSpec(
        name="collateral_value_cny", required=False, nullable=True, ge=0.0, description="pledged value if no valuations"
    ),
    ColumnSpec(
        name="collateral_haircut", required=False, nullable=True, ge=0.0, le=1.0, description="haircut if no valuations"
    ),
    ColumnSpec(
        name="collateral_remaining_term_years",
        required=False,
        nullable=True,
        ge=0.0,
        description="remaining term of the pledged right if no valuations",
    ),
    ColumnSpec(
        name="collateral_right_type",
        kind="str",
        required=False,
        nullable=True,
        description="right type if no valuations",
    ),
)
"""Columns of an application table (required ones first; optional ones may be absent)."""

SCORE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(name="pd", ge=0.0, le=1.0, description="one-year probability of default"),
    ColumnSpec(name="points", required=False, nullable=True, description="scorecard points"),
    ColumnSpec(name="grade", kind="str", required=False, nullable=True, description="rating grade"),
)
"""Columns of a score table (keyed by ``application_id`` or ``borrower_id``; ``reason*`` columns pass through)."""

VALUATION_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec(name="right_id", kind="str", description="pledged right id"),
    ColumnSpec(name="value_cny", ge=0.0, description="appraised value, yuan"),
    ColumnSpec(name="haircut", ge=0.0, le=1.0, description="haircut, fraction"),
    ColumnSpec(name="remaining_term_years", ge=0.0, description="remaining term of the right, years"),
    ColumnSpec(name="max_loan_cny", required=False, nullable=True, ge=0.0, description="collateral engine's loan cap"),
    ColumnSpec(name="right_type", kind="str", required=False, nullable=True, description="right type"),
)
"""Columns of a collateral valuation table (keyed by ``right_id``, ``application_id`` or ``borrower_id``)."""

BOUND_NAMES: tuple[str, ...] = ("policy_cap", "collateral", "repayment", "score")
"""The four limit bounds, in the order used to name the binding one."""

REFUSAL_CODES: tuple[str, ...] = (
    "NO_CONSENT",
    "CONSENT_MISSING_CASH_FLOW",
    "AMOUNT_ABOVE_PRODUCT_CAP",
    "TENOR_ABOVE_PRODUCT_MAX",
    "TENOR_PAST_RIGHT_TERM",
)
"""Reason codes that ``decide(..., strict=True)`` turns into a :class:`~greenfin.errors.DataError`."""

_DECLINE_CODES = (
    "NO_CONSENT",
    "UNDER_AGE",
    "BORROWER_TYPE_NOT_ELIGIBLE",
    "PURPOSE_NOT_ELIGIBLE",
    "AMOUNT_ABOVE_PRODUCT_CAP",
    "AMOUNT_BELOW_PRODUCT_MIN",
    "TENOR_ABOVE_PRODUCT_MAX",
    "TENOR_PAST_RIGHT_TERM",
    "COLLATERAL_REQUIRED",
    "PD_ABOVE_DECLINE",
    "RISK_ABOVE_RATE_CAP",
    "LIMIT_BELOW_MINIMUM",
)
_REFER_CODES = ("NO_SCORE", "CONSENT_MISSING_CASH_FLOW", "NO_CASH_FLOW", "PD_IN_REFER_BAND", "HUMAN_REVIEW_REQUESTED")
_INFO_CODES = ("RIGHT_TYPE_NOT_ACCEPTED", "RATE_CAPPED", "LIMIT_BELOW_REQUEST", "ECO_OVERLAY_APPLIED")
_OUTCOME_ZH = {"approve": "批准", "decline": "拒绝", "refer": "转人工审查"}

_REFUSAL_FIX = {
    "NO_CONSENT": "record the borrower's authorisation (consent_credit_assessment=true) or withdraw the application",
    "CONSENT_MISSING_CASH_FLOW": "record separate written consent (consent_cash_flow=true) or blank the cash-flow data",
    "AMOUNT_ABOVE_PRODUCT_CAP": "lower amount_cny to the product's cap for the borrower type or choose another product",
    "TENOR_ABOVE_PRODUCT_MAX": "shorten tenor_months to the product maximum",
    "TENOR_PAST_RIGHT_TERM": "shorten tenor_months to within the pledged right's remaining term",
}


def _products_frames(products: Sequence[ProductSpec]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    terms = pl.DataFrame(
        {
            "product_id": [p.id for p in products],
            "_max_tenor": [p.max_tenor_months for p in products],
            "_rate_cap_spread": [
                np.inf if p.rate_cap_spread_over_lpr is None else p.rate_cap_spread_over_lpr for p in products
            ],
            "_lpr_5y": [p.lpr_tenor == "5y" for p in products],
            "_needs_collateral": [p.required_collateral != "none" for p in products],
            "_guarantee_fee": [p.guarantee_fee_rate for p in products],
            "_fund_share": [p.fund_loss_share for p in products],
            "_min_amount": [p.min_amount_cny for p in products],
        },
        schema_overrides={"_max_tenor": pl.Int64, "_rate_cap_spread": pl.Float64},
    )
    caps = pl.DataFrame(
        [
            {"product_id": p.id, "borrower_type": t, "_policy_cap": float(p.limit_by_borrower_type_cny[t])}
            for p in products
            for t in p.borrower_types
        ]
    )
    purposes = pl.DataFrame(
        [{"product_id": p.id, "purpose": u, "_purpose_ok": True} for p in products for u in p.purposes]
    )
    rights = pl.DataFrame(
        [{"product_id": p.id, "right_type": r, "_accepted": True} for p in products for r in p.accepted_right_types],
        schema={"product_id": pl.String, "right_type": pl.String, "_accepted": pl.Boolean},
    )
    return terms, caps, purposes, rights


def _pledge_links(apps: pl.DataFrame, valuations: pl.DataFrame) -> pl.DataFrame:
    """(application_id, product_id, valuation row) pairs, by the most specific key available."""
    keys = apps.select("application_id", "borrower_id", "product_id")
    if "pledged_right_ids" in apps.columns and apps["pledged_right_ids"].is_not_null().any():
        links = (
            apps.select("application_id", "product_id", pl.col("pledged_right_ids").str.split(";").alias("right_id"))
            .explode("right_id")
            .with_columns(pl.col("right_id").str.strip_chars())
            .filter(pl.col("right_id").is_not_null() & (pl.col("right_id") != ""))
        )
        return links.join(valuations.drop("application_id", "borrower_id", strict=False), on="right_id", how="inner")
    if "application_id" in valuations.columns:
        return keys.drop("borrower_id").join(valuations.drop("borrower_id", strict=False), on="application_id")
    if "borrower_id" in valuations.columns:
        return keys.join(valuations, on="borrower_id").drop("borrower_id")
    raise DataError(
        "the valuation table has no application_id or borrower_id column and the applications list no "
        "pledged_right_ids; add one of them so rights can be matched to applications.",
        source="valuations",
    )


def _collateral(apps: pl.DataFrame, valuations: pl.DataFrame | None, rights: pl.DataFrame) -> pl.DataFrame:
    """Per application: accepted capacity, number of rights, rejected rights, shortest remaining term."""
    if valuations is None:
        if "collateral_value_cny" not in apps.columns or apps["collateral_value_cny"].is_null().all():
            return apps.select("application_id").with_columns(
                pl.lit(0.0).alias("collateral_capacity_cny"),
                pl.lit(0, dtype=pl.Int64).alias("n_rights"),
                pl.lit(0, dtype=pl.Int64).alias("_n_rejected"),
                pl.lit(None, dtype=pl.Float64).alias("min_right_term_years"),
            )
        items = apps.select(
            "application_id",
            "product_id",
            pl.col("collateral_value_cny").alias("value_cny"),
            pl.col("collateral_haircut").fill_null(1.0).alias("haircut"),
            pl.col("collateral_remaining_term_years").alias("remaining_term_years"),
            pl.col("collateral_right_type").alias("right_type"),
            pl.lit(None, dtype=pl.Float64).alias("max_loan_cny"),
        ).filter(pl.col("value_cny").is_not_null() & (pl.col("value_cny") > 0))
    else:
        items = _pledge_links(apps, valuations)
        for name, dtype in (("max_loan_cny", pl.Float64), ("right_type", pl.String)):
            if name not in items.columns:
                items = items.with_columns(pl.lit(None, dtype=dtype).alias(name))
    items = items.join(rights, on=["product_id", "right_type"], how="left").with_columns(
        # A right of unknown type is taken as the collateral engine's responsibility and accepted.
        (pl.col("_accepted").fill_null(False) | pl.col("right_type").is_null()).alias("_accepted")
    )
    capacity = pl.col("value_cny") * (1.0 - pl.col("haircut"))
    capacity = pl.min_horizontal(capacity, pl.col("max_loan_cny").fill_null(np.inf))
    per_app = items.group_by("application_id").agg(
        pl.when(pl.col("_accepted")).then(capacity).otherwise(0.0).sum().alias("collateral_capacity_cny"),
        pl.col("_accepted").sum().cast(pl.Int64).alias("n_rights"),
        (~pl.col("_accepted")).sum().cast(pl.Int64).alias("_n_rejected"),
        pl.col("remaining_term_years").filter(pl.col("_accepted")).min().alias("min_right_term_years"),
    )
    return (
        apps.select("application_id")
        .join(per_app, on="application_id", how="left")
        .with_columns(
            pl.col("collateral_capacity_cny").fill_null(0.0),
            pl.col("n_rights").fill_null(0),
            pl.col("_n_rejected").fill_null(0),
        )
    )


def _attach_scores(apps: pl.DataFrame, scores: pl.DataFrame | None) -> tuple[pl.DataFrame, list[str]]:
    if scores is None:
        for name, dtype in (("pd", pl.Float64), ("points", pl.Float64), ("grade", pl.String)):
            if name not in apps.columns:
                apps = apps.with_columns(pl.lit(None, dtype=dtype).alias(name))
        return apps, []
    key = "application_id" if "application_id" in scores.columns else "borrower_id"
    if key not in scores.columns:
        raise DataError(
            "the score table needs an application_id or borrower_id column to match applications.", source="scores"
        )
    scores = validate_frame(scores, SCORE_COLUMNS, source="scores")
    if scores[key].is_duplicated().any():
        raise DataError(
            f"{key} {scores.filter(scores[key].is_duplicated())[key][0]!r} appears twice; keep one score per {key}.",
            source="scores",
            column=key,
        )
    reason_cols = [c for c in scores.columns if c.startswith("reason") and scores.schema[c] == pl.String]
    keep = [key, "pd", *(c for c in ("points", "grade") if c in scores.columns), *reason_cols]
    joined = apps.drop("pd", "points", "grade", strict=False).join(scores.select(keep), on=key, how="left")
    for name, dtype in (("points", pl.Float64), ("grade", pl.String)):
        if name not in joined.columns:
            joined = joined.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return joined, reason_cols


def _annuity_factor(monthly_rate: FloatArray, n_months: FloatArray) -> FloatArray:
    """Present value of 1 yuan paid monthly for ``n_months`` at ``monthly_rate``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (1.0 - (1.0 + monthly_rate) ** -n_months) / monthly_rate
    out: FloatArray = np.where(monthly_rate > 1e-12, factor, n_months)
    return out


def _band_lookup(x: FloatArray, edges: Sequence[float], values: Sequence[float], below: float) -> FloatArray:
    """Value of the band ``x`` falls in: ``below`` under the first edge, ``values[i]`` from ``edges[i]`` up."""
    idx = np.searchsorted(np.asarray(edges, dtype=np.float64), x, side="right")
    table = np.concatenate([[below], np.asarray(values, dtype=np.float64)])
    out: FloatArray = table[idx]
    return out


def _upper_band_lookup(
    x: FloatArray, upper_edges: Sequence[float], values: Sequence[float], above: float
) -> FloatArray:
    """``values[i]`` for ``x`` up to and including ``upper_edges[i]``; ``above`` past the last edge."""
    idx = np.searchsorted(np.asarray(upper_edges, dtype=np.float64), x, side="left")
    table = np.concatenate([np.asarray(values, dtype=np.float64), [above]])
    out: FloatArray = table[idx]
    return out


def _reason_strings(flags: dict[str, BoolArray], n: int) -> pl.DataFrame:
    texts = reason_texts()
    frame = pl.DataFrame(dict(flags)) if flags else pl.DataFrame()
    if frame.width == 0:
        empty = pl.Series([""] * n, dtype=pl.String)
        return pl.DataFrame({"reason_codes": empty, "reasons_en": empty, "reasons_zh": empty})

    def joined(kind: str) -> pl.Expr:
        parts = [
            pl.when(pl.col(code)).then(pl.lit(code if kind == "code" else texts[code][kind])).otherwise(None)
            for code in flags
        ]
        return pl.concat_list(parts).list.drop_nulls().list.join("; " if kind != "code" else ";")

    return frame.select(
        joined("code").alias("reason_codes"), joined("en").alias("reasons_en"), joined("zh").alias("reasons_zh")
    )


def _check_unknown_products(apps: pl.DataFrame, known: Sequence[str], source: str) -> None:
    bad = ~apps["product_id"].is_in(list(known)) | apps["product_id"].is_null()
    if bad.any():
        row = int(bad.arg_true()[0]) + 1
        raise DataError(
            f"unknown product {apps['product_id'][row - 1]!r}; use one of {list(known)} "
            "(`greenfin lend products`) or pass --product.",
            source=source,
            column="product_id",
            row=row,
        )


def decide(
    applications: pl.DataFrame,
    *,
    as_of: dt.date,
    scores: pl.DataFrame | None = None,
    valuations: pl.DataFrame | None = None,
    product: str | ProductSpec | None = None,
    products: Sequence[ProductSpec] | None = None,
    lpr: float | None = None,
    strict: bool = False,
    source: str = "applications",
) -> pl.DataFrame:
    """Underwrite applications: approve / decline / refer, limit, rate and bilingual reasons.

    The limit is the minimum of four bounds, and the one that binds is named:

    - ``policy_cap``: the product's cap for the borrower type;
    - ``collateral``: Σ value × (1 − haircut) over accepted pledged rights (capped by the collateral
      engine's ``max_loan_cny``), only for products that require collateral;
    - ``repayment``: the principal whose level monthly instalment at the offered rate equals
      (net cash flow / DSCR floor − existing debt service) / 12;
    - ``score``: the borrower-type cap × the share allowed in the borrower's PD band, raised by the
      eco-credit overlay's limit uplift.

    The rate is LPR + funding spread + expected loss after fund sharing (PD × LGD × (1 − fund share))
    + capital charge + operating cost, capped by the product rule (e.g. LPR + 100 bp for 财农信贷通);
    the eco-credit overlay's discount is a separate line (``eco_rate_discount``), never taking the rate
    below LPR + the overlay floor. A borrower who asks for a human decision (PIPL Art. 24) is referred.

    Parameters
    ----------
    applications : polars.DataFrame
        One row per application, columns :data:`APPLICATION_COLUMNS`.
    as_of : datetime.date
        Decision date (selects the LPR).
    scores : polars.DataFrame or None
        Scores keyed by ``application_id`` or ``borrower_id`` (:data:`SCORE_COLUMNS`; ``reason*`` columns are
        carried into the record). None: the applications' own ``pd``/``points``/``grade`` columns.
    valuations : polars.DataFrame or None
        Collateral valuations (:data:`VALUATION_COLUMNS`), matched through ``pledged_right_ids``, else
        ``application_id``, else ``borrower_id``. None: the applications' own ``collateral_*`` columns.
    product : str, ProductSpec or None
        Apply this product to every application (overrides ``product_id``).
    products : sequence of ProductSpec or None
        Product catalogue; None for the bundled one.
    lpr : float or None
        LPR to use instead of the bundled table (fraction; applies to every product).
    strict : bool, default False
        Raise a :class:`~greenfin.errors.DataError` at the first application with a refusal
        (:data:`REFUSAL_CODES`) instead of declining or referring it.
    source : str, default "applications"
        Name of the applications file, for error messages.

    Returns
    -------
    polars.DataFrame
        One row per application: outcome, limit and bounds, binding constraint, rate build-up, reasons
        (codes, English, Chinese) and the inputs used.

    Raises
    ------
    DataError
        If a table is malformed, a product id is unknown, or (``strict``) an application is refused.
    SpecError
        If the LPR is not available for ``as_of``.

    Examples
    --------
    >>> apps = pl.DataFrame({"application_id": ["A1"], "borrower_id": ["B00001"], "borrower_type": ["family_farm"],
    ...     "purpose": ["crop_production"], "product_id": ["cainong-xindaitong-2022"], "amount_cny": [300000.0],
    ...     "tenor_months": [24], "consent_credit_assessment": [True], "consent_cash_flow": [True],
    ...     "net_cash_flow_cny_per_year": [250000.0], "pd": [0.03]})
    >>> d = decide(apps, as_of=dt.date(2026, 6, 30))
    >>> d.select("outcome", "approved_cny", "binding_constraint", pl.col("rate").round(5)).row(0)
    ('approve', 300000.0, 'repayment', 0.03805)
    """
    catalog = tuple(products) if products is not None else load_products()
    apps = validate_frame(applications, APPLICATION_COLUMNS, source=source)
    if apps.height == 0:
        raise DataError("has no applications; add at least one row.", source=source)
    if apps["application_id"].is_duplicated().any():
        dup = apps.filter(apps["application_id"].is_duplicated())["application_id"][0]
        raise DataError(f"application_id {dup!r} appears twice; ids must be unique.", source=source)
    if product is not None:
        spec = get_product(product, catalog)
        catalog = (*tuple(p for p in catalog if p.id != spec.id), spec)
        apps = apps.with_columns(pl.lit(spec.id).alias("product_id"))
    _check_unknown_products(apps, [p.id for p in catalog], source)
    if valuations is not None:
        valuations = validate_frame(valuations, VALUATION_COLUMNS, source="valuations")
    apps, score_reason_cols = _attach_scores(apps, scores)
    terms, caps, purposes, rights = _products_frames(catalog)
    coll = _collateral(apps, valuations, rights)
    frame = (
        apps.join(terms, on="product_id", how="left")
        .join(caps, on=["product_id", "borrower_type"], how="left")
        .join(purposes, on=["product_id", "purpose"], how="left")
        .join(coll, on="application_id", how="left")
    )
    return _decide_frame(frame, as_of=as_of, lpr=lpr, strict=strict, source=source, reason_cols=score_reason_cols)


def _f(frame: pl.DataFrame, name: str, fill: float = np.nan) -> FloatArray:
    out: FloatArray = frame[name].cast(pl.Float64).fill_null(fill).to_numpy().astype(np.float64, copy=False)
    return out


def _b(frame: pl.DataFrame, name: str, fill: bool = False) -> BoolArray:
    if name not in frame.columns:
        return np.full(frame.height, fill)
    out: BoolArray = frame[name].fill_null(fill).to_numpy().astype(bool, copy=False)
    return out


def _lpr_arrays(frame: pl.DataFrame, as_of: dt.date, lpr: float | None) -> FloatArray:
    if lpr is not None:
        if not 0.0 < lpr < 0.2:
            raise SpecError(f"lpr must be a fraction in (0, 0.2), e.g. 0.03 for 3%; got {lpr!r}.")
        return np.full(frame.height, lpr)
    is_5y = _b(frame, "_lpr_5y")
    out: FloatArray = np.where(is_5y, lpr_on(as_of, "5y"), lpr_on(as_of, "1y"))
    return out


def _decide_frame(
    frame: pl.DataFrame, *, as_of: dt.date, lpr: float | None, strict: bool, source: str, reason_cols: list[str]
) -> pl.DataFrame:
    uw = policy_table("underwriting.json")
    eco = policy_table("eco_overlay.json")
    n = frame.height
    amount = _f(frame, "amount_cny")
    tenor = _f(frame, "tenor_months")
    pd_ = _f(frame, "pd")
    fund_share = _f(frame, "_fund_share", 0.0)
    needs_collateral = _b(frame, "_needs_collateral")
    policy_cap = _f(frame, "_policy_cap", 0.0)
    capacity_raw = _f(frame, "collateral_capacity_cny", 0.0)
    min_term = _f(frame, "min_right_term_years")
    consent = _b(frame, "consent_credit_assessment")
    consent_cf = _b(frame, "consent_cash_flow")
    has_cf_data = frame["net_cash_flow_cny_per_year"].is_not_null().to_numpy() | (
        frame["existing_debt_service_cny_per_year"].is_not_null().to_numpy()
    )
    # Consent-gated data are not read without consent (PIPL Art. 29): the values become "not provided".
    cash_flow = np.where(consent_cf, _f(frame, "net_cash_flow_cny_per_year"), np.nan)
    debt_service = np.where(consent_cf, _f(frame, "existing_debt_service_cny_per_year", 0.0), np.nan)

    # --- pricing: LPR + funding + expected loss after sharing + capital + cost, capped; eco discount apart.
    lpr_arr = _lpr_arrays(frame, as_of, lpr)
    secured = np.where(amount > 0, np.minimum(1.0, capacity_raw / amount), 0.0)
    lgd = np.clip(
        1.0 - float(uw.value("collateral_recovery")) * secured,
        float(uw.value("lgd_floor")),
        float(uw.value("lgd_unsecured")),
    )
    pd_used = np.nan_to_num(pd_, nan=float(uw.value("pd_decline")))
    el_spread = pd_used * lgd * (1.0 - fund_share)
    capital_spread = np.full(
        n,
        float(uw.value("capital_ratio")) * float(uw.value("risk_weight")) * float(uw.value("cost_of_equity_spread")),
    )
    funding_spread = np.full(n, float(uw.value("funding_spread_over_lpr")))
    cost_spread = np.full(n, float(uw.value("operating_cost_rate")))
    risk_rate = lpr_arr + funding_spread + el_spread + capital_spread + cost_spread
    rate_cap = lpr_arr + _f(frame, "_rate_cap_spread", np.inf)
    capped_rate = np.minimum(risk_rate, rate_cap)
    points = _f(frame, "eco_points")
    age = _f(frame, "eco_points_age_years", 0.0)
    decayed = points * 0.5 ** (age / float(eco.value("half_life_years")))
    decayed = np.nan_to_num(decayed, nan=-np.inf)
    bands = tuple(eco.value("points_bands"))
    discount = _band_lookup(decayed, bands, tuple(eco.value("rate_discounts")), 0.0)
    uplift = _band_lookup(decayed, bands, tuple(eco.value("limit_uplifts")), 0.0)
    overlay_floor = lpr_arr + float(eco.value("rate_floor_spread_over_lpr"))
    rate = np.maximum(capped_rate - discount, np.minimum(capped_rate, overlay_floor))
    eco_discount = capped_rate - rate

    # --- limits
    inf = np.inf
    collateral_bound = np.where(needs_collateral, capacity_raw, inf)
    annual_room = cash_flow / float(uw.value("dscr_floor")) - debt_service
    repayment_bound = np.maximum(annual_room, 0.0) / 12.0 * _annuity_factor(rate / 12.0, tenor)
    pd_for_band = np.nan_to_num(pd_, nan=1.0)
    score_share = _upper_band_lookup(
        pd_for_band, tuple(uw.value("score_cap_pd_bands")), tuple(uw.value("score_cap_fractions")), 0.0
    )
    score_share = np.where(pd_for_band > float(uw.value("pd_decline")), 0.0, score_share)
    score_base = policy_cap * score_share
    score_bound = np.where(np.isnan(pd_), np.nan, score_base * (1.0 + uplift))  # no score: bound unknown
    eco_uplift_cny = np.nan_to_num(score_bound - score_base, nan=0.0)
    bounds = np.column_stack([policy_cap, collateral_bound, repayment_bound, score_bound])
    limit = np.nanmin(np.where(np.isnan(bounds), inf, bounds), axis=1)
    limit = np.where(np.isfinite(limit), limit, 0.0)
    binding_idx = np.argmin(np.where(np.isnan(bounds), inf, bounds), axis=1)
    binding = np.asarray(BOUND_NAMES, dtype=object)[binding_idx]

    # --- rule flags (one boolean array per reason code)
    type_ok = ~np.isnan(_f(frame, "_policy_cap"))
    purpose_ok = _b(frame, "_purpose_ok")
    min_amount = _f(frame, "_min_amount", 0.0)
    flags: dict[str, BoolArray] = {
        "NO_CONSENT": ~consent,
        "UNDER_AGE": _f(frame, "age_years", inf) < float(uw.value("min_age_years")),
        "BORROWER_TYPE_NOT_ELIGIBLE": ~type_ok,
        "PURPOSE_NOT_ELIGIBLE": ~purpose_ok,
        "AMOUNT_ABOVE_PRODUCT_CAP": type_ok & (amount > policy_cap),
        "AMOUNT_BELOW_PRODUCT_MIN": amount < min_amount,
        "TENOR_ABOVE_PRODUCT_MAX": tenor > _f(frame, "_max_tenor", inf),
        "TENOR_PAST_RIGHT_TERM": tenor / 12.0 > np.nan_to_num(min_term, nan=inf) + 1e-9,
        "COLLATERAL_REQUIRED": needs_collateral & (capacity_raw <= 0.0),
        "RIGHT_TYPE_NOT_ACCEPTED": _f(frame, "_n_rejected", 0.0) > 0,
        "NO_SCORE": np.isnan(pd_),
        "PD_ABOVE_DECLINE": pd_ > float(uw.value("pd_decline")),
        "PD_IN_REFER_BAND": (pd_ > float(uw.value("pd_refer"))) & (pd_ <= float(uw.value("pd_decline"))),
        "CONSENT_MISSING_CASH_FLOW": ~consent_cf & has_cf_data,
        "NO_CASH_FLOW": np.isnan(cash_flow) & ~(~consent_cf & has_cf_data),
        "HUMAN_REVIEW_REQUESTED": _b(frame, "request_human_review"),
        "RISK_ABOVE_RATE_CAP": ~np.isnan(pd_)
        & (risk_rate - rate_cap > float(uw.value("max_uncovered_spread")) + 1e-12),
        "RATE_CAPPED": risk_rate > rate_cap + 1e-12,
    }
    if strict:
        _raise_first_refusal(frame, flags, source)
    declined = np.zeros(n, dtype=bool)
    for code in _DECLINE_CODES[:-1]:
        declined |= flags[code]
    referred = np.zeros(n, dtype=bool)
    for code in _REFER_CODES:
        referred |= flags[code]
    limit_unknown = np.isnan(repayment_bound) | np.isnan(pd_)  # referred: the officer completes the limit
    flags["LIMIT_BELOW_MINIMUM"] = ~declined & ~limit_unknown & (limit < min_amount)
    declined |= flags["LIMIT_BELOW_MINIMUM"]
    approved_amount = np.minimum(amount, limit)
    flags["LIMIT_BELOW_REQUEST"] = ~declined & (approved_amount < amount - 0.005)
    flags["ECO_OVERLAY_APPLIED"] = ~declined & ((eco_discount > 0) | (eco_uplift_cny > 0))
    outcome = np.where(declined, "decline", np.where(referred, "refer", "approve"))
    approved_cny = np.where(outcome == "approve", approved_amount, 0.0)

    ordered = {c: flags[c] for c in (*_DECLINE_CODES, *_REFER_CODES, *_INFO_CODES)}
    reasons = _reason_strings(ordered, n)
    keep_inputs = [
        "application_id",
        "borrower_id",
        "product_id",
        "county_id",
        "sector",
        "borrower_type",
        "purpose",
    ]
    out = frame.select(keep_inputs).with_columns(
        pl.Series("requested_cny", amount),
        pl.Series("tenor_months", frame["tenor_months"]),
        pl.Series("outcome", outcome.astype(str)),
        pl.Series("outcome_zh", outcome.astype(str)).replace_strict(_OUTCOME_ZH, return_dtype=pl.String),
        pl.Series("approved_cny", approved_cny),
        pl.Series("limit_cny", limit),
        pl.Series("binding_constraint", binding.astype(str)),
        pl.Series("policy_cap_cny", policy_cap),
        pl.Series("collateral_capacity_cny", collateral_bound),
        pl.Series("repayment_capacity_cny", repayment_bound),
        pl.Series("score_cap_cny", score_bound),
        pl.Series("eco_limit_uplift_cny", eco_uplift_cny),
        pl.Series("pd", pd_),
        pl.Series("lgd", lgd),
        frame["points"].cast(pl.Float64).alias("points"),
        frame["grade"].cast(pl.String).alias("grade"),
        pl.Series("lpr", lpr_arr),
        pl.Series("funding_spread", funding_spread),
        pl.Series("expected_loss_spread", el_spread),
        pl.Series("capital_spread", capital_spread),
        pl.Series("operating_cost_spread", cost_spread),
        pl.Series("risk_rate", risk_rate),
        pl.Series("rate_cap", rate_cap),
        pl.Series("eco_rate_discount", eco_discount),
        pl.Series("rate", rate),
        pl.Series("guarantee_fee_rate", _f(frame, "_guarantee_fee", 0.0)),
        pl.Series("all_in_rate", rate + _f(frame, "_guarantee_fee", 0.0)),
        pl.Series("fund_loss_share", fund_share),
        pl.Series("n_rights", frame["n_rights"].fill_null(0).cast(pl.Int64)),
        pl.Series("min_right_term_years", min_term),
        pl.Series("consent_cash_flow_used", consent_cf),
    )
    out = pl.concat([out, reasons], how="horizontal")
    out = out.with_columns(_score_reason_columns(frame, reason_cols))
    return out.with_columns(pl.lit(as_of).alias("as_of"))


def _score_reason_columns(frame: pl.DataFrame, reason_cols: list[str]) -> list[pl.Series]:
    """The scorer's reasons as two strings: English (``score_reasons``) and Chinese (``score_reasons_zh``).

    ``greenfin.scoring.score_frame`` gives ``reason_k_en`` / ``reason_k_zh``; any other ``reason*`` text
    columns count as English.
    """
    en = [c for c in reason_cols if c.endswith("_en")] or [
        c for c in reason_cols if not c.endswith(("_zh", "_feature"))
    ]
    zh = [c for c in reason_cols if c.endswith("_zh")]

    def joined(cols: list[str], name: str) -> pl.Series:
        if not cols:
            return pl.Series(name, [""] * frame.height, dtype=pl.String)
        expr = pl.concat_list([pl.col(c).cast(pl.String) for c in cols]).list.drop_nulls().list.join("; ")
        return frame.select(expr.alias(name))[name]

    return [joined(en, "score_reasons"), joined(zh, "score_reasons_zh")]


def _raise_first_refusal(frame: pl.DataFrame, flags: dict[str, BoolArray], source: str) -> None:
    first_row: int | None = None
    first_code = ""
    for code in REFUSAL_CODES:
        hits = np.flatnonzero(flags[code])
        if hits.size and (first_row is None or hits[0] < first_row):
            first_row, first_code = int(hits[0]), code
    if first_row is None:
        return
    text = reason_texts()[first_code]
    app_id = frame["application_id"][first_row]
    raise DataError(
        f"application {app_id!r} refused ({first_code}): {text['en']} / {text['zh']}. Fix: {_REFUSAL_FIX[first_code]}.",
        source=source,
        row=first_row + 1,
    )


def approved_loans(decisions: pl.DataFrame, *, loan_id_prefix: str = "L") -> pl.DataFrame:
    """The approved loans of a decision table, in the schema the securitization stage reads.

    Parameters
    ----------
    decisions : polars.DataFrame
        Output of :func:`decide`.
    loan_id_prefix : str, default "L"
        Prefix of the loan ids (``L`` + application id).

    Returns
    -------
    polars.DataFrame
        Columns loan_id, application_id, borrower_id, principal_cny, rate, tenor_months, pd, lgd,
        product_id, county_id, sector, fund_loss_share.
    """
    return decisions.filter(pl.col("outcome") == "approve").select(
        (pl.lit(loan_id_prefix) + pl.col("application_id")).alias("loan_id"),
        "application_id",
        "borrower_id",
        pl.col("approved_cny").alias("principal_cny"),
        "rate",
        "tenor_months",
        "pd",
        "lgd",
        "product_id",
        "county_id",
        "sector",
        "fund_loss_share",
    )


def decision_record_meta(as_of: dt.date, products: Sequence[ProductSpec], lpr: float | None = None) -> dict[str, Any]:
    """Versions of every table a decision used (for the audit record)."""
    from greenfin.lending._products import LprTable

    if lpr is not None:
        lpr_meta: dict[str, Any] = {"override": lpr}
    else:
        table = LprTable.bundled()
        rate_1y, fixed_on = table.rate_on(as_of, "1y")
        lpr_meta = {
            "table": table.id,
            "lpr_1y": rate_1y,
            "lpr_5y": table.rate_on(as_of, "5y")[0],
            "fixing_date": fixed_on.isoformat(),
            "confidence": table.confidence,
        }
    return {
        "as_of": as_of.isoformat(),
        "lpr": lpr_meta,
        "products": {p.id: {"unverified_terms": list(p.unverified_terms())} for p in products},
        "underwriting_policy": policy_table("underwriting.json").version,
        "eco_overlay": policy_table("eco_overlay.json").version,
    }
