"""Save and read 生态信贷通 underwriting decisions (the audit record a regulator asks for)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from greenfin.errors import ConflictError, DataError
from greenfin.money import fen_to_yuan, yuan_to_fen
from greenfin.store._engine import init_db, session_factory
from greenfin.store._models_audit import AuditEntry
from greenfin.store._models_collateral import utcnow
from greenfin.store._models_lending import LendingDecision
from greenfin.store._unit import UnitOfWork

__all__ = ["DecisionStore"]

_REQUIRED = (
    "application_id", "borrower_id", "product_id", "as_of", "outcome", "requested_cny", "approved_cny",
    "limit_cny", "binding_constraint", "tenor_months", "rate", "lpr", "reason_codes", "reasons_en", "reasons_zh",
)  # fmt: skip


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):  # NaN and inf are not JSON
        return None
    return value


class DecisionStore(UnitOfWork):
    """Append-only store of underwriting decisions, each with its full record.

    Parameters
    ----------
    url : str, sqlalchemy.Engine or None
        Database (see :func:`greenfin.store.database_url`); the schema is created or upgraded on first use.

    Examples
    --------
    >>> import datetime as dt
    >>> from greenfin.datasets import load_sample
    >>> from greenfin.lending import decide
    >>> store = DecisionStore("sqlite://")
    >>> decisions = decide(load_sample("county_applications").head(20), as_of=dt.date(2026, 6, 30))
    >>> store.save(decisions, meta={"run": "doctest"})
    20
    >>> store.list().height
    20
    """

    def __init__(self, url: str | Engine | None = None) -> None:
        self.engine = init_db(url)
        self._sessions = session_factory(self.engine)

    def save(self, decisions: pl.DataFrame, *, meta: Mapping[str, Any], tenant_id: str | None = None,
             actor: str = "greenfin") -> int:  # fmt: skip
        """Save every decision of a ``greenfin.lending.decide`` table in one transaction.

        Parameters
        ----------
        decisions : polars.DataFrame
            The decisions, one row per application.
        meta : mapping
            Run metadata kept in every record (LPR fixing, product catalogue and policy versions, model id).
        tenant_id : str or None
            The lending bank, for tenant isolation.
        actor : str
            Who saves, for the audit log.

        Returns
        -------
        int
            Number of decisions saved.

        Raises
        ------
        DataError
            If a required column is missing.
        ConflictError
            If one of the decisions was saved before (same record); nothing is saved then.
        """
        missing = [c for c in _REQUIRED if c not in decisions.columns]
        if missing:
            raise DataError(
                f"the decisions table lacks {missing}; pass the table greenfin.lending.decide returns.",
                source="decisions",
            )
        meta_json = {str(k): _jsonable(v) for k, v in meta.items()}
        fen = {  # whole fen, converted once for the whole table
            f"{name}_fen": yuan_to_fen(decisions[f"{name}_cny"].fill_null(0.0).to_numpy()).tolist()
            for name in ("requested", "approved", "limit")
        }
        rows = []
        for i, row in enumerate(decisions.to_dicts()):
            record = {"decision": {k: _jsonable(v) for k, v in row.items()}, "meta": meta_json}
            text = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str)
            rows.append(
                {
                    "decision_id": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    "tenant_id": tenant_id,
                    "application_id": str(row["application_id"]),
                    "borrower_id": str(row["borrower_id"]),
                    "product_id": str(row["product_id"]),
                    "as_of": row["as_of"],
                    "outcome": str(row["outcome"]),
                    "tenor_months": int(row["tenor_months"]),
                    "pd": _jsonable(row.get("pd")),
                    "points": _jsonable(row.get("points")),
                    "grade": row.get("grade"),
                    "rate": float(row["rate"]),
                    "lpr": float(row["lpr"]),
                    "binding_constraint": str(row["binding_constraint"]),
                    "reason_codes": row["reason_codes"] or "",
                    "reasons_en": row["reasons_en"] or "",
                    "reasons_zh": row["reasons_zh"] or "",
                    "record": record,
                    "recorded_at": utcnow(),
                    **{column: int(values[i]) for column, values in fen.items()},
                }
            )
        try:
            with self._tx() as session:
                if rows:
                    session.execute(insert(LendingDecision), rows)
                session.add(
                    AuditEntry(
                        actor=actor,
                        action="lending.decisions.save",
                        entity="lending_decisions",
                        entity_id=f"{len(rows)} decisions",
                        detail={"tenant_id": tenant_id, "n": len(rows), **meta_json},
                    )
                )
        except IntegrityError as exc:
            raise ConflictError(
                "one or more of these decisions is already recorded (same record, same decision_id); "
                "decisions are history and are saved once. Nothing was saved."
            ) from exc
        return len(rows)

    def list(self, *, application_id: str | None = None, tenant_id: str | None = None) -> pl.DataFrame:
        """Saved decisions, oldest first, with amounts back in yuan.

        Parameters
        ----------
        application_id : str or None
            Only this application's decisions.
        tenant_id : str or None
            Only this bank's decisions.

        Returns
        -------
        polars.DataFrame
            Columns decision_id, tenant_id, application_id, borrower_id, product_id, as_of, outcome, requested_cny,
            approved_cny, limit_cny, binding_constraint, tenor_months, pd, points, grade, rate, lpr,
            reasons_en, reasons_zh, recorded_at.
        """
        stmt = select(LendingDecision).order_by(LendingDecision.id)
        if application_id is not None:
            stmt = stmt.where(LendingDecision.application_id == application_id)
        if tenant_id is not None:
            stmt = stmt.where(LendingDecision.tenant_id == tenant_id)
        with self._tx() as session:
            items = session.scalars(stmt).all()
        cols = (
            "decision_id", "tenant_id", "application_id", "borrower_id", "product_id", "as_of", "outcome",
            "binding_constraint", "tenor_months", "pd", "points", "grade", "rate", "lpr", "reasons_en",
            "reasons_zh", "recorded_at",
        )  # fmt: skip
        data: dict[str, list[Any]] = {c: [getattr(d, c) for d in items] for c in cols}
        for name in ("requested", "approved", "limit"):
            data[f"{name}_cny"] = fen_to_yuan([getattr(d, f"{name}_fen") for d in items]).tolist()
        schema = {"pd": pl.Float64, "points": pl.Float64, "tenant_id": pl.String, "grade": pl.String}
        return pl.DataFrame(data, schema_overrides=schema, strict=False)
