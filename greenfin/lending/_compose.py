"""Thin composition of the domain packages: score applications with a saved model, value pledged rights.

``lending`` is the layer that may import both ``greenfin.scoring`` and ``greenfin.collateral``; these two
functions turn their outputs into the score and valuation tables :func:`greenfin.lending.decide` reads.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from greenfin._typing import PathLikeStr
from greenfin.errors import DataError

__all__ = ["score_applications", "value_pledged_rights"]


def score_applications(
    applications: pl.DataFrame,
    model: object,
    *,
    features: pl.DataFrame | None = None,
    id_column: str = "application_id",
) -> pl.DataFrame:
    """Score applications with a fitted or saved ``greenfin.scoring`` model.

    Parameters
    ----------
    applications : polars.DataFrame
        Applications with ``application_id`` and ``borrower_id``; they may carry the model's columns.
    model : greenfin.scoring model or str / path-like
        A fitted Scorecard / BoostedPD / SegmentedScorecard, or the directory of a saved model (its content
        hash is checked on load).
    features : polars.DataFrame or None
        The model's input columns keyed by ``borrower_id`` (e.g. the ``county_borrowers`` table); when
        given, the model reads only these columns. None when the applications carry them.
    id_column : str, default "application_id"
        Key of the returned table.

    Returns
    -------
    polars.DataFrame
        ``application_id``, ``borrower_id``, ``pd``, ``points``, ``grade`` and the scorer's reason columns
        (``reason_k_en`` / ``reason_k_zh``), ready for ``decide(..., scores=...)``.

    Raises
    ------
    DataError
        If the model's columns are missing or the saved model fails its hash check.
    """
    from greenfin.scoring import score_frame

    frame = applications
    if features is not None:
        if "borrower_id" not in features.columns:
            raise DataError("the feature table needs a borrower_id column to join the applications.", source="features")
        # The feature table is the model's input: its columns win over same-named application columns
        # (e.g. a scorer's own borrower_type vocabulary).
        ids = [c for c in ("application_id", "borrower_id") if c in applications.columns]
        frame = applications.select(ids).join(features, on="borrower_id", how="left")
    model_arg = str(model) if isinstance(model, Path) else model
    scored = score_frame(model_arg, frame, id_column=id_column)  # type: ignore[arg-type]
    keep = [id_column, "pd", "points", "grade", *(c for c in scored.columns if c.startswith("reason_"))]
    out = scored.select([c for c in keep if c in scored.columns])
    if "borrower_id" not in out.columns and id_column != "borrower_id":
        out = out.insert_column(1, frame["borrower_id"])
    return out


def value_pledged_rights(
    rights: pl.DataFrame,
    *,
    as_of: dt.date,
    prices: pl.DataFrame | None = None,
    pledged_only: bool = True,
    source: PathLikeStr = "rights table",
) -> pl.DataFrame:
    """Value and haircut pledged rights with ``greenfin.collateral`` for the underwriting engine.

    Refused rights (expired, public-benefit forest, ...) are kept with advance rate 0, so they add nothing
    to the collateral capacity and the refusal reason travels with them.

    Parameters
    ----------
    rights : polars.DataFrame
        Rights in the ``greenfin.collateral.RIGHTS_COLUMNS`` schema (``right_id``, ``borrower_id``,
        ``right_type``, ``term_end`` and the columns of each type).
    as_of : datetime.date
        Valuation date.
    prices : polars.DataFrame or None
        Price history (``series``, ``date``, ``price_cny``) for marks to market.
    pledged_only : bool, default True
        Keep only rows with ``pledged`` true when the table has that column.
    source : str or path-like, default "rights table"
        Name of the input for error messages.

    Returns
    -------
    polars.DataFrame
        ``right_id``, ``borrower_id``, ``right_type``, ``value_cny``, ``haircut``, ``max_loan_cny``,
        ``remaining_term_years``, ``binding_bound``, ``eligible``, ``refusal_reason``.

    Raises
    ------
    DataError
        If the rights or price table is malformed.
    """
    from greenfin.collateral import assess_collateral

    frame = rights
    if pledged_only and "pledged" in frame.columns:
        frame = frame.filter(pl.col("pledged").cast(pl.Boolean).fill_null(False))
    assessed = assess_collateral(frame, as_of=as_of, prices=prices, on_refusal="flag", source=str(source))
    return assessed.select(
        "right_id",
        "borrower_id",
        "right_type",
        "value_cny",
        "haircut",
        "max_loan_cny",
        "remaining_term_years",
        "binding_bound",
        "eligible",
        "refusal_reason",
    )
