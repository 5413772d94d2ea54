"""Application factory: ``uvicorn --factory api.main:create_app`` (what ``greenfin serve`` runs)."""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute

import greenfin
from api.errors import CatchAllMiddleware, install_error_handlers
from api.logs import configure_logging
from api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware, SingleQueryValueMiddleware
from api.ratelimit import TokenBucketLimiter
from api.routers import access, assessment, collateral, gep, health, insurance, lending, scoring, securitization
from api.settings import Settings
from greenfin.store import init_db, make_engine, session_factory

__all__ = ["create_app"]


def _operation_id(route: APIRoute) -> str:
    # Every route names its operation_id explicitly; this fallback only keeps ids stable if one is forgotten.
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI application.

    Parameters
    ----------
    settings : Settings or None
        Configuration; None reads ``GREENFIN_*`` environment variables.

    Returns
    -------
    fastapi.FastAPI
        The app, with OpenAPI at ``/docs``.
    """
    settings = settings or Settings()
    configure_logging(settings.log_level)
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrate_on_startup:
            init_db(engine)
        # The imported libraries leave ~260k long-lived objects; a full collection walks them all (~0.16 s
        # here), which a request would wait out. Freeze them out of the collector once, after start-up.
        if settings.gc_freeze_on_startup:
            gc.collect()
            gc.freeze()
        yield
        engine.dispose()

    app = FastAPI(
        title="greenfin",
        version=greenfin.__version__,
        summary="Green-finance risk and product engine for Jiangxi eco-product value realisation (生态产品价值实现).",
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        generate_unique_id_function=_operation_id,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = session_factory(engine)
    app.state.model_cache = OrderedDict()
    app.state.auth_cache = {}
    app.state.limiter = TokenBucketLimiter(rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst)
    app.state.auth_limiter = TokenBucketLimiter(
        rate=settings.auth_failure_limit_per_minute / 60.0, burst=settings.auth_failure_limit_per_minute
    )
    install_error_handlers(app)
    # Added innermost first: RequestContext (ids, access log) > CatchAll (500) > BodySizeLimit > SingleQuery.
    app.add_middleware(SingleQueryValueMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(CatchAllMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    app.include_router(access.router)
    app.include_router(collateral.router)
    app.include_router(gep.router)
    app.include_router(scoring.router)
    app.include_router(lending.router)
    app.include_router(securitization.router)
    app.include_router(insurance.router)
    app.include_router(assessment.router)
    return app
