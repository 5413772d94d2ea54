"""Persistence: SQLAlchemy 2 models, engine and sessions, Alembic migrations, and the pledge registry."""

from greenfin.store._base import Base, load_models
from greenfin.store._decisions import DecisionStore
from greenfin.store._engine import database_url, default_database_path, init_db, make_engine, session_factory
from greenfin.store._registry import BLOCKING_ENCUMBRANCES, REGISTRY_KINDS, PledgeRegistry

__all__ = [
    "BLOCKING_ENCUMBRANCES",
    "REGISTRY_KINDS",
    "Base",
    "DecisionStore",
    "PledgeRegistry",
    "database_url",
    "default_database_path",
    "init_db",
    "load_models",
    "make_engine",
    "session_factory",
]
