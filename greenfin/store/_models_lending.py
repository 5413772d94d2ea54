"""Tables of 生态信贷通 underwriting: one row per decision, with the full decision record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, DateTime, Float, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from greenfin.store._base import Base
from greenfin.store._models_collateral import utcnow

__all__ = ["LendingDecision"]


class LendingDecision(Base):
    """An underwriting decision (approve / decline / refer) with its limit, rate, reasons and full record.

    Decisions are history: a new decision on the same application is a new row; a row is never changed.
    ``decision_id`` is the SHA-256 of the record, so saving the same decision twice is refused.
    """

    __tablename__ = "lending_decisions"
    __table_args__ = (
        CheckConstraint("outcome IN ('approve', 'decline', 'refer')", name="outcome_known"),
        Index("ix_lending_decisions_application", "application_id", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the decision record")
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True, comment="lending bank (API tenant)")
    application_id: Mapped[str] = mapped_column(String(64), comment="application id")
    borrower_id: Mapped[str] = mapped_column(String(64), index=True, comment="borrower id")
    product_id: Mapped[str] = mapped_column(String(64), comment="product id (greenfin lend products)")
    as_of: Mapped[dt.date] = mapped_column(Date, comment="decision date (selects the LPR)")
    outcome: Mapped[str] = mapped_column(String(16), comment="approve / decline / refer")
    requested_fen: Mapped[int] = mapped_column(BigInteger, comment="amount asked for, fen")
    approved_fen: Mapped[int] = mapped_column(BigInteger, comment="amount approved, fen (0 unless approved)")
    limit_fen: Mapped[int] = mapped_column(BigInteger, comment="limit: minimum of the four bounds, fen")
    binding_constraint: Mapped[str] = mapped_column(String(32), comment="bound that set the limit")
    tenor_months: Mapped[int] = mapped_column(comment="tenor in months")
    pd: Mapped[float | None] = mapped_column(Float, comment="probability of default used")
    points: Mapped[float | None] = mapped_column(Float, comment="score points used")
    grade: Mapped[str | None] = mapped_column(String(8), comment="master-scale grade")
    rate: Mapped[float] = mapped_column(Float, comment="loan rate (fraction), after the eco overlay and the cap")
    lpr: Mapped[float] = mapped_column(Float, comment="LPR used (fraction)")
    reason_codes: Mapped[str] = mapped_column(Text, comment="reason codes, ';'-separated")
    reasons_en: Mapped[str] = mapped_column(Text, comment="reasons in English")
    reasons_zh: Mapped[str] = mapped_column(Text, comment="reasons in Chinese (审批理由)")
    record: Mapped[dict[str, Any]] = mapped_column(JSON, comment="the whole decision row and the run's metadata")
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
