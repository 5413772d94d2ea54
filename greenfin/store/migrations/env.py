"""Alembic environment of greenfin.store: runs on the engine handed over by ``init_db`` (or the configured URL)."""

from __future__ import annotations

from alembic import context

from greenfin.store._base import load_models
from greenfin.store._engine import make_engine

target_metadata = load_models()


def run_migrations_online() -> None:
    """Run the migrations on one connection (in the schema its search_path names, on PostgreSQL)."""
    config = context.config
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


def _under_alembic() -> bool:
    """True when Alembic runs this file (importing it elsewhere, e.g. for doctests, does nothing)."""
    return hasattr(context, "config")  # Alembic sets context.config only while it runs env.py


if _under_alembic():
    if context.is_offline_mode():
        raise SystemExit("greenfin.store migrations run online only (init_db or `alembic upgrade head`).")
    run_migrations_online()
