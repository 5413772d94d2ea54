"""Liveness and readiness (no authentication, for load balancers and orchestrators)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

import greenfin
from api.db import database_ready
from api.errors import Problem, problem_response
from api.routing import TransactionalRoute

__all__ = ["router"]

router = APIRouter(route_class=TransactionalRoute, tags=["health"])


class HealthPublic(BaseModel):
    """The process is up."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: str = Field(description="Always 'ok'.")
    version: str = Field(description="greenfin's version.")


@router.get("/health", operation_id="health", response_model=HealthPublic)
def health() -> HealthPublic:
    """Liveness: the process answers."""
    return HealthPublic(status="ok", version=greenfin.__version__)


@router.get(
    "/ready",
    operation_id="ready",
    response_model=HealthPublic,
    responses={
        503: {
            "description": "The database is not usable.",
            "model": Problem,
            "content": {"application/problem+json": {}},
        }
    },
)
def ready(request: Request) -> HealthPublic | JSONResponse:
    """Readiness: the database answers and is migrated."""
    ok, why = database_ready(request.app.state.engine)
    if not ok:
        return problem_response(503, f"Not ready: {why}.", instance=request.url.path, title="Service unavailable")
    return HealthPublic(status="ready", version=greenfin.__version__)
