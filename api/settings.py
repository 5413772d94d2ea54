"""Settings of the HTTP API, read from ``GREENFIN_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Configuration of one API process; every field can be set as ``GREENFIN_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="GREENFIN_", frozen=True, extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store, e.g. postgresql+psycopg://user@host:5432/greenfin in "
        "production; None means the embedded SQLite file (greenfin.store.default_database_path()).",
    )
    migrate_on_startup: bool = Field(
        default=True,
        description="Create the database and apply the Alembic migrations up to head when the app starts.",
    )
    max_body_bytes: int = Field(
        default=1_048_576, gt=0, description="Largest request body accepted, in bytes; larger bodies get 413."
    )
    rate_limit_per_second: float = Field(
        default=50.0, gt=0, description="Sustained requests per second allowed per API key (token bucket refill)."
    )
    rate_limit_burst: int = Field(
        default=100, gt=0, description="Requests one API key may send at once before throttling (bucket size)."
    )
    auth_failure_limit_per_minute: int = Field(
        default=30, gt=0, description="Failed authentications allowed per client address per minute before 429."
    )
    auth_cache_seconds: float = Field(
        default=5.0,
        ge=0.0,
        le=300.0,
        description="Seconds a verified key is remembered in memory (0 disables); a revoked key stops working "
        "within this time.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Level of the structured JSON log written to stderr."
    )
    docs_enabled: bool = Field(default=True, description="Serve the OpenAPI schema and the docs at /docs.")
    gc_freeze_on_startup: bool = Field(
        default=True,
        description="After start-up, move the long-lived objects of the imported libraries out of the cyclic "
        "garbage collector (gc.freeze), so a full collection no longer pauses requests for ~0.1 s. Turn off "
        "where many apps start in one process (tests).",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment.

    Returns
    -------
    Settings
        The settings.
    """
    return Settings()
