"""Application factory: ``uvicorn --factory api.main:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

import greenfin

__all__ = ["create_app"]


def create_app() -> FastAPI:
    """Build the FastAPI application.

    Returns
    -------
    fastapi.FastAPI
        The app, with OpenAPI at ``/docs``.
    """
    app = FastAPI(title="greenfin", version=greenfin.__version__)

    @app.get("/health", operation_id="health")
    def health() -> dict[str, str]:
        """Liveness: the process is up."""
        return {"status": "ok", "version": greenfin.__version__}

    return app
