"""The readiness check of the database (the engine itself comes from :func:`greenfin.store.make_engine`)."""

from __future__ import annotations

from sqlalchemy import Engine, text

__all__ = ["database_ready"]


def database_ready(engine: Engine) -> tuple[bool, str]:
    """Whether the database answers and carries greenfin's tables.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The engine.

    Returns
    -------
    tuple of (bool, str)
        Ready or not, and why not (empty when ready).
    """
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            conn.execute(text("SELECT count(*) FROM api_keys WHERE 1 = 0"))
    except Exception as exc:
        return False, f"database not usable ({type(exc).__name__}); run the migrations (alembic upgrade head)"
    return True, ""
