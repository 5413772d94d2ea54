"""Tables of the pledge registry: rights, pledges (one active pledge per right) and revaluations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from greenfin.store._base import Base

__all__ = ["ACTIVE", "RELEASED", "Pledge", "Revaluation", "Right", "utcnow"]

ACTIVE = "active"
RELEASED = "released"


def utcnow() -> dt.datetime:
    """Current UTC time (record-keeping timestamps only; valuations take an explicit ``as_of``)."""
    return dt.datetime.now(dt.UTC)


class Right(Base):
    """An eco-product right registered as collateral (林权证/不动产权证书, permit, contract, certificate)."""

    __tablename__ = "rights"
    __table_args__ = (
        Index("uq_rights_registry_certificate", "registry", "certificate_no", unique=True),
        CheckConstraint(
            "registry IN ('real_estate', 'movable_unified', 'carbon_registry', 'none')", name="registry_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    right_id: Mapped[str] = mapped_column(String(64), unique=True, comment="external id of the right")
    owner_id: Mapped[str] = mapped_column(String(64), index=True, comment="owner / borrower id")
    owner_name: Mapped[str | None] = mapped_column(String(200), comment="owner name as on the certificate")
    right_type: Mapped[str] = mapped_column(String(32), comment="greenfin.collateral.RIGHT_TYPES")
    certificate_no: Mapped[str] = mapped_column(String(100), comment="certificate / permit number")
    registry_kind: Mapped[str] = mapped_column(
        "registry",
        String(32),
        comment="real_estate 不动产登记, movable_unified 动产融资统一登记, carbon_registry, none",
    )
    parcel_id: Mapped[str | None] = mapped_column(String(64), comment="forest parcel id where applicable")
    term_start: Mapped[dt.date | None] = mapped_column(Date, comment="first day of the right")
    term_end: Mapped[dt.date] = mapped_column(Date, comment="last day of the right")
    encumbrances: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, comment="other burdens: [{kind, note}]; kinds seizure/prior_security block pledges"
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Pledge(Base):
    """A pledge (质押/抵押) of a right for a loan; released pledges stay as history."""

    __tablename__ = "pledges"
    __table_args__ = (
        # The rule the whole registry exists for: at most one ACTIVE pledge per right, enforced by the
        # database (a partial unique index, valid on SQLite >= 3.8 and PostgreSQL), so races cannot break it.
        Index(
            "uq_pledges_active_right",
            "right_pk",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        CheckConstraint("status IN ('active', 'released')", name="status_known"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("end_date > start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    right_pk: Mapped[int] = mapped_column(ForeignKey("rights.id"), index=True)
    loan_ref: Mapped[str] = mapped_column(String(64), index=True, comment="loan reference / contract number")
    lender: Mapped[str | None] = mapped_column(String(200), comment="pledgee bank")
    amount_fen: Mapped[int] = mapped_column(BigInteger, comment="secured amount in fen (分)")
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    released_on: Mapped[dt.date | None] = mapped_column(Date)
    release_reason: Mapped[str | None] = mapped_column(String(500))


class Revaluation(Base):
    """A valuation of a right at a date (method and inputs kept); new values are new rows, never overwrites."""

    __tablename__ = "revaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    right_pk: Mapped[int] = mapped_column(ForeignKey("rights.id"), index=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(64))
    value_fen: Mapped[int] = mapped_column(BigInteger)
    haircut: Mapped[float | None] = mapped_column(Float)
    max_loan_fen: Mapped[int | None] = mapped_column(BigInteger)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, comment="method inputs and parameter versions")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
