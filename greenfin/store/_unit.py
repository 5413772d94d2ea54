"""How the stores run their transactions: each call in its own, or inside a caller's session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Self

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from greenfin.store._engine import session_factory

__all__ = ["UnitOfWork"]


class UnitOfWork:
    """Transactions of a store (:class:`PledgeRegistry`, :class:`DecisionStore`).

    By default every method runs in its own session and commits its own transaction. A store obtained with
    :meth:`in_session` runs every method inside the caller's session instead and never commits: the
    caller's other rows (an API request's audit entry, owner row and idempotency record) then commit or
    roll back together with the store's change.

    When the database refuses a bound store's write (a unique index, e.g. a second active pledge on a
    right), the store rolls the caller's session back before it raises :class:`~greenfin.errors.ConflictError`,
    because the transaction cannot go on (PostgreSQL aborts it). Make the store's change the first write
    of the transaction, as the API does.
    """

    engine: Engine
    _sessions: sessionmaker[Session]
    _bound: Session | None = None

    @classmethod
    def in_session(cls, session: Session, **attributes: Any) -> Self:
        """A store whose methods run in ``session``'s transaction (migrations are the caller's business).

        Parameters
        ----------
        session : sqlalchemy.orm.Session
            The caller's session; the caller commits or rolls back.
        **attributes
            Other attributes of the store (e.g. ``actor`` of a :class:`PledgeRegistry`).

        Returns
        -------
        UnitOfWork
            The bound store.
        """
        store = cls.__new__(cls)
        bind = session.get_bind()
        store.engine = bind if isinstance(bind, Engine) else bind.engine
        store._sessions = session_factory(store.engine)
        store._bound = session
        for name, value in attributes.items():
            setattr(store, name, value)
        return store

    def close(self) -> None:
        """Release the database connections of a store that owns its engine (a bound store's are the caller's)."""
        if self._bound is None:
            self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """A session in a transaction: a new one committed on exit, or the bound one (flushed, not committed)."""
        if self._bound is None:
            with self._sessions.begin() as session:
                yield session
            return
        session = self._bound
        try:
            yield session
            session.flush()
        except IntegrityError:
            session.rollback()
            raise
