"""Database URL, engine and session factory, and ``init_db`` (Alembic ``upgrade head``, programmatically).

The URL comes from the argument, else ``GREENFIN_DATABASE_URL``, else the embedded SQLite file
:func:`default_database_path` (``$XDG_DATA_HOME/greenfin/greenfin.sqlite``, i.e.
``~/.local/share/greenfin/greenfin.sqlite``), created on first use.
"""

from __future__ import annotations

import os
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from greenfin.errors import SpecError

__all__ = ["ENV_VAR", "database_url", "default_database_path", "init_db", "make_engine", "session_factory"]

ENV_VAR = "GREENFIN_DATABASE_URL"
"""Environment variable naming the database (e.g. ``postgresql+psycopg://user@host:5432/greenfin``)."""

_SQLITE_BUSY_TIMEOUT_S = 30.0  # writers queue behind SQLite's single write lock instead of failing at once
_INIT_LOCK = threading.Lock()


def default_database_path() -> Path:
    """The embedded SQLite database file used when no URL is configured.

    Returns
    -------
    pathlib.Path
        ``$XDG_DATA_HOME/greenfin/greenfin.sqlite`` (``~/.local/share/greenfin/greenfin.sqlite`` by default).
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "greenfin" / "greenfin.sqlite"


def database_url(url: str | None = None) -> str:
    """Resolve the database URL: the argument, else ``GREENFIN_DATABASE_URL``, else the embedded SQLite file.

    Parameters
    ----------
    url : str or None
        An explicit SQLAlchemy URL.

    Returns
    -------
    str
        The URL to connect to.

    Examples
    --------
    >>> database_url("sqlite:///:memory:")
    'sqlite:///:memory:'
    """
    if url:
        return url
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    return f"sqlite:///{default_database_path()}"


def make_engine(url: str | None = None) -> Engine:
    """Create an engine for ``url`` (see :func:`database_url`); SQLite gets foreign keys and a busy timeout.

    Parameters
    ----------
    url : str or None
        SQLAlchemy URL; ``None`` for the configured default.

    Returns
    -------
    sqlalchemy.Engine
        The engine. A PostgreSQL ``options=-csearch_path=...`` in the URL is honoured (tables, migrations
        and the Alembic version table all live in that schema).

    Raises
    ------
    SpecError
        If the URL cannot be parsed.
    """
    resolved = database_url(url)
    try:
        parsed = make_url(resolved)
    except Exception as exc:
        raise SpecError(
            f"Database URL {resolved!r} is not a valid SQLAlchemy URL ({exc}); e.g. sqlite:///x.db."
        ) from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": _SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        file_backed = bool(parsed.database) and parsed.database != ":memory:"

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if file_backed:
                # Write-ahead log: a committing writer does not wait for readers, so a transaction waiting
                # to write (holding a read lock) cannot deadlock the one committing before it; the server
                # runs many short write transactions at once.
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (one session per unit of work, per thread).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The engine.

    Returns
    -------
    sqlalchemy.orm.sessionmaker
        Factory of sessions that keep loaded objects usable after commit.
    """
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("greenfin.store").joinpath("migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def init_db(url: str | Engine | None = None) -> Engine:
    """Create or upgrade the schema: run ``alembic upgrade head`` programmatically on the database.

    Parameters
    ----------
    url : str, sqlalchemy.Engine or None
        URL (see :func:`database_url`) or an engine.

    Returns
    -------
    sqlalchemy.Engine
        The engine, ready to use.

    Examples
    --------
    >>> from sqlalchemy import inspect
    >>> {"rights", "pledges", "revaluations", "audit_log"} <= set(inspect(init_db("sqlite://")).get_table_names())
    True
    """
    from alembic import command

    engine = url if isinstance(url, Engine) else make_engine(url)
    with _INIT_LOCK:
        command.upgrade(_alembic_config(engine), "head")
    return engine
