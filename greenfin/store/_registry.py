"""The pledge registry: rights, pledges and revaluations with an audit trail; one active pledge per right."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import polars as pl
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from greenfin.collateral import RIGHT_TYPES
from greenfin.errors import ConflictError, DataError, SpecError
from greenfin.money import fen_to_yuan, yuan_to_fen
from greenfin.store._engine import init_db, session_factory
from greenfin.store._models_audit import AuditEntry
from greenfin.store._models_collateral import ACTIVE, RELEASED, Pledge, Revaluation, Right, utcnow
from greenfin.store._unit import UnitOfWork

__all__ = ["BLOCKING_ENCUMBRANCES", "REGISTRY_KINDS", "PledgeRegistry"]

REGISTRY_KINDS: Final[tuple[str, ...]] = ("real_estate", "movable_unified", "carbon_registry", "none")
"""Where a right's security is registered: 不动产登记, 动产融资统一登记公示系统, carbon registry, nowhere."""

BLOCKING_ENCUMBRANCES: Final[tuple[str, ...]] = ("seizure", "prior_security")
"""Encumbrance kinds that forbid a new pledge: judicial seizure (查封) and a prior security interest."""


class PledgeRegistry(UnitOfWork):
    """Register rights, pledge and release them, and keep revaluations, with every change in the audit log.

    Each method runs in its own session and transaction, so one registry object may be shared by threads;
    ``PledgeRegistry.in_session(session, actor=...)`` runs them in a caller's transaction instead (see
    :class:`~greenfin.store._unit.UnitOfWork`).
    The database itself refuses a second ACTIVE pledge on a right (partial unique index), so concurrent
    requests cannot double-pledge; the loser gets a :class:`~greenfin.errors.ConflictError`.

    Parameters
    ----------
    url : str, sqlalchemy.Engine or None
        Database URL (default: ``GREENFIN_DATABASE_URL`` or the embedded SQLite file), or an engine.
        The schema is created or upgraded on open (``alembic upgrade head``).
    actor : str, default "greenfin"
        Who is recorded in the audit log.

    Examples
    --------
    >>> import datetime as dt
    >>> reg = PledgeRegistry("sqlite://")
    >>> reg.add_right(right_id="W1", owner_id="B00001", right_type="water_right", certificate_no="取水(鄂)2024-001",
    ...               registry="movable_unified", term_end=dt.date(2035, 12, 31))
    >>> pid = reg.pledge("W1", loan_ref="L-1", amount_cny=10_000_000.0, start=dt.date(2026, 7, 1),
    ...                  end=dt.date(2029, 6, 30))
    >>> reg.pledge("W1", loan_ref="L-2", amount_cny=1.0, start=dt.date(2026, 7, 1), end=dt.date(2027, 6, 30))
    Traceback (most recent call last):
    ...
    greenfin.errors.ConflictError: Right 'W1' already has an active pledge (loan L-1, ...); release it first ...
    """

    def __init__(self, url: str | Engine | None = None, *, actor: str = "greenfin") -> None:
        self.engine = init_db(url)
        self.actor = actor
        self._sessions = session_factory(self.engine)

    def _audit(self, session: Session, action: str, entity: str, entity_id: str, detail: Mapping[str, Any]) -> None:
        session.add(
            AuditEntry(actor=self.actor, action=action, entity=entity, entity_id=entity_id, detail=dict(detail))
        )

    @staticmethod
    def _right(session: Session, right_id: str) -> Right:
        right = session.scalars(select(Right).where(Right.right_id == right_id)).one_or_none()
        if right is None:
            raise SpecError(f"No right {right_id!r} in the registry; register it first (add_right / add_rights).")
        return right

    def add_right(
        self,
        *,
        right_id: str,
        owner_id: str,
        right_type: str,
        certificate_no: str,
        registry: str,
        term_end: dt.date,
        term_start: dt.date | None = None,
        owner_name: str | None = None,
        parcel_id: str | None = None,
        encumbrances: Sequence[Mapping[str, str]] = (),
    ) -> None:
        """Register one right.

        Parameters
        ----------
        right_id : str
            External id of the right.
        owner_id : str
            Owner / borrower id.
        right_type : str
            One of ``greenfin.collateral.RIGHT_TYPES``.
        certificate_no : str
            Certificate or permit number (unique within its registry).
        registry : str
            One of :data:`REGISTRY_KINDS`.
        term_end : datetime.date
            Last day of the right.
        term_start : datetime.date or None
            First day of the right.
        owner_name : str or None
            Owner name as on the certificate.
        parcel_id : str or None
            Forest parcel id where applicable.
        encumbrances : sequence of mapping
            Other burdens, each ``{"kind": ..., "note": ...}``; see :data:`BLOCKING_ENCUMBRANCES`.

        Raises
        ------
        SpecError
            Unknown right type or registry.
        ConflictError
            The right id, or the certificate number in that registry, is already registered.
        """
        self.add_rights(
            pl.DataFrame(
                {
                    "right_id": [right_id],
                    "borrower_id": [owner_id],
                    "right_type": [right_type],
                    "certificate_no": [certificate_no],
                    "registry": [registry],
                    "term_end": [term_end],
                    "term_start": [term_start],
                    "owner_name": [owner_name],
                    "parcel_id": [parcel_id],
                },
                schema_overrides={"term_start": pl.Date, "owner_name": pl.String, "parcel_id": pl.String},
            ),
            encumbrances={right_id: encumbrances} if encumbrances else None,
        )

    def add_rights(
        self, rights: pl.DataFrame, *, encumbrances: Mapping[str, Sequence[Mapping[str, str]]] | None = None
    ) -> int:
        """Register many rights in one transaction (all or nothing).

        Parameters
        ----------
        rights : polars.DataFrame
            Columns ``right_id, borrower_id, right_type, certificate_no, registry, term_end`` and optionally
            ``term_start, owner_name, parcel_id``.
        encumbrances : mapping or None
            Encumbrances per right id.

        Returns
        -------
        int
            Rights registered.

        Raises
        ------
        DataError
            A required column is missing.
        SpecError
            Unknown right type or registry.
        ConflictError
            A right id or certificate number is already registered.
        """
        need = ("right_id", "borrower_id", "right_type", "certificate_no", "registry", "term_end")
        missing = [c for c in need if c not in rights.columns]
        if missing:
            raise DataError(f"columns {missing} are required to register rights.", column=missing[0])
        bad_type = set(rights["right_type"].unique().to_list()) - set(RIGHT_TYPES)
        if bad_type:
            raise SpecError(f"Unknown right type(s) {sorted(bad_type)}; use one of {list(RIGHT_TYPES)}.")
        bad_reg = set(rights["registry"].unique().to_list()) - set(REGISTRY_KINDS)
        if bad_reg:
            raise SpecError(f"Unknown registry {sorted(bad_reg)}; use one of {list(REGISTRY_KINDS)}.")
        burdens = dict(encumbrances or {})
        rows = rights.to_dicts()
        try:
            with self._tx() as session:
                now = utcnow()
                session.execute(  # ORM bulk INSERT (executemany): one statement for the whole table
                    insert(Right),
                    [
                        {
                            "right_id": str(r["right_id"]),
                            "owner_id": str(r["borrower_id"]),
                            "owner_name": r.get("owner_name"),
                            "right_type": str(r["right_type"]),
                            "certificate_no": str(r["certificate_no"]),
                            "registry_kind": str(r["registry"]),
                            "parcel_id": r.get("parcel_id"),
                            "term_start": r.get("term_start"),
                            "term_end": r["term_end"],
                            "encumbrances": [dict(e) for e in burdens.get(str(r["right_id"]), ())],
                            "created_at": now,
                        }
                        for r in rows
                    ],
                )
                self._audit(
                    session, "register", "right", str(rows[0]["right_id"]) if rows else "", {"count": len(rows)}
                )
        except IntegrityError as exc:
            raise ConflictError(
                f"Could not register the rights: a right id or (registry, certificate number) is already registered"
                f" ({exc.orig}). Register each right once; use a new revaluation to update its value."
            ) from None
        return len(rows)

    def pledge(
        self,
        right_id: str,
        *,
        loan_ref: str,
        amount_cny: float,
        start: dt.date,
        end: dt.date,
        lender: str | None = None,
    ) -> int:
        """Pledge a right for a loan; refused if the right already has an active pledge.

        Parameters
        ----------
        right_id : str
            The right.
        loan_ref : str
            Loan reference.
        amount_cny : float
            Secured amount in yuan (stored in fen).
        start, end : datetime.date
            Pledge period; ``end`` may not pass the right's term.
        lender : str or None
            Pledgee.

        Returns
        -------
        int
            Id of the new pledge.

        Raises
        ------
        SpecError
            Unknown right, non-positive amount, end before start, right expired at start, or a pledge that
            outlasts the right's term.
        ConflictError
            The right already has an active pledge (also when two requests race), or a blocking encumbrance.
        """
        amount_fen = int(yuan_to_fen(np.array([amount_cny]))[0])
        if amount_fen <= 0:
            raise SpecError(f"amount_cny must be > 0; got {amount_cny!r}. Pass the secured amount in yuan.")
        if end <= start:
            raise SpecError(f"The pledge must end after it starts; got start {start}, end {end}.")
        try:
            with self._tx() as session:
                right = self._right(session, right_id)
                self._check_pledge(right, right_id, start, end)
                self._refuse_if_active(session, right, right_id)
                pledge = Pledge(
                    right_pk=right.id,
                    loan_ref=loan_ref,
                    lender=lender,
                    amount_fen=amount_fen,
                    start_date=start,
                    end_date=end,
                    status=ACTIVE,
                )
                session.add(pledge)
                session.flush()
                self._audit(
                    session,
                    "pledge",
                    "pledge",
                    str(pledge.id),
                    {"right_id": right_id, "loan_ref": loan_ref, "amount_fen": amount_fen, "start": str(start)},
                )
                return pledge.id
        except IntegrityError:
            with self._tx() as session:
                right = self._right(session, right_id)
                self._refuse_if_active(session, right, right_id)
            raise ConflictError(
                f"Right {right_id!r} could not be pledged: the database refused the row (concurrent change)."
                " Read the registry again and retry."
            ) from None

    def pledge_many(self, pledges: pl.DataFrame, *, lender: str | None = None) -> int:
        """Pledge many rights in one transaction, all or nothing, with the same checks as :meth:`pledge`.

        Parameters
        ----------
        pledges : polars.DataFrame
            Columns ``right_id, loan_ref, amount_cny, start_date, end_date``.
        lender : str or None
            Pledgee of every row.

        Returns
        -------
        int
            Pledges registered.

        Raises
        ------
        DataError
            A column is missing.
        SpecError
            Unknown right, non-positive amount, bad dates, an expired right or a pledge past the right's term.
        ConflictError
            A right is pledged twice in the table, already has an active pledge, or is encumbered.
        """
        need = ("right_id", "loan_ref", "amount_cny", "start_date", "end_date")
        missing = [c for c in need if c not in pledges.columns]
        if missing:
            raise DataError(f"columns {missing} are required to register pledges.", column=missing[0])
        dup = pledges["right_id"].is_duplicated()
        if dup.any():
            raise ConflictError(
                f"Right {pledges['right_id'].filter(dup)[0]!r} appears twice; one right secures one loan."
            )
        amounts = yuan_to_fen(pledges["amount_cny"].to_numpy())
        if (amounts <= 0).any():
            raise SpecError(f"amount_cny must be > 0; row {int(np.flatnonzero(amounts <= 0)[0]) + 1} is not.")
        try:
            with self._tx() as session:
                known = {
                    r.right_id: r
                    for r in session.scalars(select(Right).where(Right.right_id.in_(pledges["right_id"].to_list())))
                }
                active = set(session.scalars(select(Pledge.right_pk).where(Pledge.status == ACTIVE)).all())
                now = utcnow()
                new_pledges: list[dict[str, Any]] = []
                audit: list[dict[str, Any]] = []
                for i, (right_id, loan_ref, _amount, start, end) in enumerate(pledges.select(*need).iter_rows()):
                    right = known.get(right_id)
                    if right is None:
                        raise SpecError(f"No right {right_id!r} in the registry; register it first.")
                    self._check_pledge(right, right_id, start, end)
                    if right.id in active:
                        self._refuse_if_active(session, right, right_id)
                    new_pledges.append(
                        {
                            "right_pk": right.id,
                            "loan_ref": str(loan_ref),
                            "lender": lender,
                            "amount_fen": int(amounts[i]),
                            "start_date": start,
                            "end_date": end,
                            "status": ACTIVE,
                            "created_at": now,
                        }
                    )
                    detail = {"loan_ref": str(loan_ref), "amount_fen": int(amounts[i]), "start": str(start)}
                    audit.append(
                        {
                            "actor": self.actor,
                            "action": "pledge",
                            "entity": "right",
                            "entity_id": str(right_id),
                            "detail": detail,
                            "at": now,
                        }
                    )
                if new_pledges:
                    session.execute(insert(Pledge), new_pledges)
                    session.execute(insert(AuditEntry), audit)
        except IntegrityError:
            raise ConflictError(
                "The pledges could not be registered: a right got an active pledge concurrently. Read the registry"
                " again and retry; nothing was registered."
            ) from None
        return pledges.height

    @staticmethod
    def _check_pledge(right: Right, right_id: str, start: dt.date, end: dt.date) -> None:
        if end <= start:
            raise SpecError(f"The pledge of {right_id!r} must end after it starts; got start {start}, end {end}.")
        if start >= right.term_end:
            raise SpecError(
                f"Right {right_id!r} is expired: its term ended on {right.term_end}, before the pledge"
                f" start {start}. An expired right cannot be pledged."
            )
        if end > right.term_end:
            raise SpecError(
                f"The pledge of {right_id!r} would end on {end}, past the right's term end {right.term_end};"
                f" the loan tenor may not pass the right's remaining term. End it by {right.term_end}."
            )
        blocking = [e for e in right.encumbrances if e.get("kind") in BLOCKING_ENCUMBRANCES]
        if blocking:
            raise ConflictError(
                f"Right {right_id!r} is encumbered ({blocking[0].get('kind')}: {blocking[0].get('note', '')});"
                " clear the encumbrance at the registry before pledging it."
            )

    @staticmethod
    def _refuse_if_active(session: Session, right: Right, right_id: str) -> None:
        active = session.scalars(select(Pledge).where(Pledge.right_pk == right.id, Pledge.status == ACTIVE)).first()
        if active is not None:
            raise ConflictError(
                f"Right {right_id!r} already has an active pledge (loan {active.loan_ref}, since"
                f" {active.start_date}); release it first or pledge another right. One right secures one loan."
            )

    def release(self, right_id: str, *, on: dt.date, reason: str) -> int:
        """Release the active pledge of a right (the pledge row stays, marked released).

        Parameters
        ----------
        right_id : str
            The right.
        on : datetime.date
            Release date.
        reason : str
            Why (repaid, substituted, disposed ...).

        Returns
        -------
        int
            Id of the released pledge.

        Raises
        ------
        SpecError
            Unknown right.
        ConflictError
            The right has no active pledge.
        """
        with self._tx() as session:
            right = self._right(session, right_id)
            active = session.scalars(
                select(Pledge).where(Pledge.right_pk == right.id, Pledge.status == ACTIVE)
            ).one_or_none()
            if active is None:
                raise ConflictError(f"Right {right_id!r} has no active pledge to release; list its pledges to check.")
            active.status = RELEASED
            active.released_on = on
            active.release_reason = reason
            self._audit(
                session, "release", "pledge", str(active.id), {"right_id": right_id, "on": str(on), "reason": reason}
            )
            return active.id

    def revalue(
        self,
        right_id: str,
        *,
        as_of: dt.date,
        method: str,
        value_cny: float,
        inputs: Mapping[str, Any],
        haircut: float | None = None,
        max_loan_cny: float | None = None,
    ) -> int:
        """Record a valuation of a right (a new row; earlier valuations are kept).

        Parameters
        ----------
        right_id : str
            The right.
        as_of : datetime.date
            Valuation date.
        method : str
            Valuation method key.
        value_cny : float
            Value in yuan (stored in fen).
        inputs : mapping
            Method inputs (JSON-serialisable), e.g. the parameter table versions.
        haircut : float or None
            Effective haircut.
        max_loan_cny : float or None
            Maximum loan in yuan.

        Returns
        -------
        int
            Id of the revaluation.
        """
        with self._tx() as session:
            right = self._right(session, right_id)
            row = Revaluation(
                right_pk=right.id,
                as_of=as_of,
                method=method,
                value_fen=int(yuan_to_fen(np.array([value_cny]))[0]),
                haircut=haircut,
                max_loan_fen=None if max_loan_cny is None else int(yuan_to_fen(np.array([max_loan_cny]))[0]),
                inputs=dict(inputs),
            )
            session.add(row)
            session.flush()
            self._audit(session, "revalue", "right", right_id, {"as_of": str(as_of), "method": method})
            return row.id

    def revalue_all(self, assessed: pl.DataFrame, *, as_of: dt.date, inputs: Mapping[str, Any]) -> int:
        """Record one revaluation per row of an assessment (``greenfin.collateral.assess_collateral`` output).

        Parameters
        ----------
        assessed : polars.DataFrame
            Columns ``right_id, method, value_cny, haircut, max_loan_cny``.
        as_of : datetime.date
            Valuation date.
        inputs : mapping
            Inputs shared by the rows (parameter table versions, price source).

        Returns
        -------
        int
            Revaluations recorded.
        """
        with self._tx() as session:
            ids = {str(k): int(v) for k, v in session.execute(select(Right.right_id, Right.id)).all()}
            unknown = sorted(set(assessed["right_id"].to_list()) - set(ids))
            if unknown:
                raise SpecError(f"Rights {unknown[:5]} are not registered; register them before revaluing.")
            values = yuan_to_fen(assessed["value_cny"].to_numpy())
            loans = yuan_to_fen(assessed["max_loan_cny"].to_numpy())
            now = utcnow()
            rows = [
                {
                    "right_pk": ids[row[0]],
                    "as_of": as_of,
                    "method": row[1],
                    "value_fen": int(values[i]),
                    "haircut": float(row[2]),
                    "max_loan_fen": int(loans[i]),
                    "inputs": dict(inputs),
                    "created_at": now,
                }
                for i, row in enumerate(assessed.select("right_id", "method", "haircut").iter_rows())
            ]
            if rows:
                session.execute(insert(Revaluation), rows)
            self._audit(session, "revalue", "right", "*", {"as_of": str(as_of), "count": assessed.height})
        return assessed.height

    def rights(self) -> pl.DataFrame:
        """Registered rights.

        Returns
        -------
        polars.DataFrame
            ``right_id, owner_id, right_type, certificate_no, registry, parcel_id, term_start, term_end``.
        """
        with self._tx() as session:
            rows = session.execute(
                select(
                    Right.right_id,
                    Right.owner_id,
                    Right.right_type,
                    Right.certificate_no,
                    Right.registry_kind,
                    Right.parcel_id,
                    Right.term_start,
                    Right.term_end,
                ).order_by(Right.id)
            ).all()
        cols = [
            "right_id",
            "owner_id",
            "right_type",
            "certificate_no",
            "registry",
            "parcel_id",
            "term_start",
            "term_end",
        ]
        return pl.DataFrame(
            [tuple(r) for r in rows],
            schema={c: (pl.Date if c.startswith("term") else pl.String) for c in cols},
            orient="row",
        )

    def pledges(self, *, status: str | None = None, right_id: str | None = None) -> pl.DataFrame:
        """Pledges, oldest first, with their history (released pledges included unless filtered).

        Parameters
        ----------
        status : {"active", "released"} or None
            Filter by status.
        right_id : str or None
            Filter by right.

        Returns
        -------
        polars.DataFrame
            ``pledge_id, right_id, loan_ref, lender, amount_cny, start_date, end_date, status, released_on,
            release_reason``.
        """
        query = (
            select(
                Pledge.id,
                Right.right_id,
                Pledge.loan_ref,
                Pledge.lender,
                Pledge.amount_fen,
                Pledge.start_date,
                Pledge.end_date,
                Pledge.status,
                Pledge.released_on,
                Pledge.release_reason,
            )
            .join(Right, Right.id == Pledge.right_pk)
            .order_by(Pledge.id)
        )
        if status is not None:
            query = query.where(Pledge.status == status)
        if right_id is not None:
            query = query.where(Right.right_id == right_id)
        with self._tx() as session:
            rows = session.execute(query).all()
        schema = {
            "pledge_id": pl.Int64,
            "right_id": pl.String,
            "loan_ref": pl.String,
            "lender": pl.String,
            "amount_fen": pl.Int64,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "status": pl.String,
            "released_on": pl.Date,
            "release_reason": pl.String,
        }
        frame = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
        return frame.with_columns(
            pl.Series("amount_cny", fen_to_yuan(frame["amount_fen"].to_numpy()), dtype=pl.Float64)
        ).drop("amount_fen")

    def revaluations(self, right_id: str | None = None) -> pl.DataFrame:
        """Revaluation history, oldest first.

        Parameters
        ----------
        right_id : str or None
            Filter by right.

        Returns
        -------
        polars.DataFrame
            ``right_id, as_of, method, value_cny, haircut, max_loan_cny``.
        """
        query = (
            select(
                Right.right_id,
                Revaluation.as_of,
                Revaluation.method,
                Revaluation.value_fen,
                Revaluation.haircut,
                Revaluation.max_loan_fen,
            )
            .join(Right, Right.id == Revaluation.right_pk)
            .order_by(Revaluation.id)
        )
        if right_id is not None:
            query = query.where(Right.right_id == right_id)
        with self._tx() as session:
            rows = session.execute(query).all()
        schema = {
            "right_id": pl.String,
            "as_of": pl.Date,
            "method": pl.String,
            "value_fen": pl.Int64,
            "haircut": pl.Float64,
            "max_loan_fen": pl.Int64,
        }
        frame = pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
        return frame.with_columns(
            pl.Series("value_cny", fen_to_yuan(frame["value_fen"].to_numpy()), dtype=pl.Float64),
            pl.Series("max_loan_cny", fen_to_yuan(frame["max_loan_fen"].fill_null(0).to_numpy()), dtype=pl.Float64),
        ).drop("value_fen", "max_loan_fen")

    def audit_log(self) -> pl.DataFrame:
        """The audit log, oldest first.

        Returns
        -------
        polars.DataFrame
            ``at, actor, action, entity, entity_id``.
        """
        with self._tx() as session:
            rows = session.execute(
                select(
                    AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.entity, AuditEntry.entity_id
                ).order_by(AuditEntry.id)
            ).all()
        schema: dict[str, Any] = {
            "at": pl.Datetime(time_zone="UTC"),
            "actor": pl.String,
            "action": pl.String,
            "entity": pl.String,
            "entity_id": pl.String,
        }
        return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")
