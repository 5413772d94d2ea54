"""The shared declarative ``Base`` of every greenfin table, with a naming convention for constraints.

Every model module of ``greenfin.store`` (by convention ``_models_<topic>.py``) subclasses :class:`Base`;
:func:`load_models` imports every module of the package so that ``Base.metadata`` is complete for Alembic
and for the models/migrations test.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

__all__ = ["NAMING_CONVENTION", "Base", "load_models"]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names, so migrations name what they create and can drop it again."""


class Base(DeclarativeBase):
    """Declarative base of all greenfin tables (one ``MetaData`` for the whole store).

    Parameters
    ----------
    **kwargs
        Column values of a new row (the SQLAlchemy declarative constructor).
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def load_models() -> MetaData:
    """Import every module of ``greenfin.store`` (so every model is registered) and return the metadata.

    Returns
    -------
    sqlalchemy.MetaData
        ``Base.metadata`` with every table registered.
    """
    import greenfin.store as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg:
            importlib.import_module(f"greenfin.store.{info.name}")
    return Base.metadata
