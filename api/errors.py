"""The one place where errors become HTTP responses: problem details (RFC 9457, ``application/problem+json``).

======================================  ======  =====================================================
error                                   status  detail sent to the caller
======================================  ======  =====================================================
``SpecError``, ``DataError``,           422     the greenfin message (it names the field and the fix)
``ConvergenceError``
``ConflictError``, ``NotFittedError``   409     the greenfin message
request validation (pydantic)           422     one entry per invalid field in ``errors``
``OverflowError`` (extreme inputs)      422     a fixed sentence; logged server-side as a warning
``HTTPException`` (401, 403, 404, ...)  as is   its detail
body larger than the limit              413     the limit
anything else                           500     a fixed sentence and the request id; logged server-side
======================================  ======  =====================================================

Domain code never raises HTTP errors; routes and dependencies raise ``HTTPException`` for HTTP-only
conditions (authentication, roles, missing records, throttling).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logs import LOGGER_NAME, current_request_id
from greenfin.errors import ConflictError, ConvergenceError, DataError, GreenfinError, SpecError

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_RESPONSES",
    "CatchAllMiddleware",
    "FieldProblem",
    "IdempotentReplay",
    "Problem",
    "install_error_handlers",
    "problem_doc",
    "problem_response",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger(LOGGER_NAME)

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal server error",
}


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    loc: tuple[str | int, ...] = Field(description="Where the field is: ('body', 'spec', 'rate'), ('query', 'x').")
    msg: str = Field(description="What is wrong with it.")
    type: str = Field(description="Machine-readable kind of error, e.g. 'missing' or 'greater_than'.")


class Problem(BaseModel):
    """Problem details (RFC 9457) returned with every error status."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = Field(description="URI reference naming the kind of problem, e.g. 'urn:greenfin:problem:spec-error'.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="HTTP status code.")
    detail: str = Field(description="What went wrong in this request and how to fix it.")
    instance: str | None = Field(default=None, description="The request path.")
    request_id: str | None = Field(default=None, description="The X-Request-ID of the request (quote it to support).")
    errors: tuple[FieldProblem, ...] | None = Field(
        default=None, description="Invalid fields (request validation errors only)."
    )
    source: str | None = Field(default=None, description="File or table a DataError refers to.")
    column: str | None = Field(default=None, description="Column a DataError refers to.")
    row: int | None = Field(default=None, description="First bad row (1-based) a DataError refers to.")


class IdempotentReplay(Exception):  # noqa: N818  # not an error: a control-flow signal answered with a replay
    """Raised when a request repeats a stored ``Idempotency-Key``: answered with the stored response.

    Parameters
    ----------
    status_code : int
        Status of the stored response.
    body : Any
        The stored JSON body.
    """

    def __init__(self, status_code: int, body: Any) -> None:
        super().__init__(status_code)
        self.status_code = status_code
        self.body = body


async def _on_replay(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IdempotentReplay)
    return JSONResponse(exc.body, status_code=exc.status_code, headers={"Idempotent-Replayed": "true"})


def _problem_doc(description: str) -> dict[str, Any]:
    return {"description": description, "model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}}


def problem_doc(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entry documenting a problem+json answer with ``status``.

    Parameters
    ----------
    status : int
        HTTP status.
    description : str
        When it happens.

    Returns
    -------
    dict
        ``{status: {...}}``, mergeable with ``|``.
    """
    return {status: _problem_doc(description)}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_doc("The request body could not be parsed."),
    401: _problem_doc("No valid API key was sent."),
    403: _problem_doc("The key's role may not call this operation."),
    413: _problem_doc("The request body is larger than the server's limit."),
    422: _problem_doc("The request is invalid (validation, or a greenfin SpecError, DataError, ConvergenceError)."),
    429: _problem_doc("The key (or client address) sent too many requests; see Retry-After."),
    500: _problem_doc("Unexpected server error; nothing internal is disclosed, quote the request id."),
}
"""Error responses every authenticated route may return, for the OpenAPI schema."""


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    kind: str | None = None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """Build a problem+json response.

    Parameters
    ----------
    status : int
        HTTP status.
    detail : str
        Human-readable explanation, naming the fix.
    instance : str or None
        The request path.
    kind : str or None
        Short problem kind, becomes ``urn:greenfin:problem:<kind>``; None gives ``about:blank``.
    title : str or None
        Summary; defaults to the status phrase.
    headers : mapping or None
        Extra response headers.
    **extra
        Extension members (``errors``, ``source``, ``column``, ``row``).

    Returns
    -------
    fastapi.responses.JSONResponse
        The response with media type ``application/problem+json``.
    """
    problem = Problem(
        type=f"urn:greenfin:problem:{kind}" if kind else "about:blank",
        title=title or _TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=instance,
        request_id=current_request_id(),
        **extra,
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers) if headers else None,
    )


def _greenfin_status(exc: Exception) -> tuple[int, str]:
    from sklearn.exceptions import NotFittedError

    if isinstance(exc, ConflictError):
        return 409, "conflict"
    if isinstance(exc, NotFittedError):
        return 409, "not-fitted"
    if isinstance(exc, DataError):
        return 422, "data-error"
    if isinstance(exc, ConvergenceError):
        return 422, "convergence-error"
    if isinstance(exc, SpecError):
        return 422, "spec-error"
    return 422, "greenfin-error"


async def _on_greenfin_error(request: Request, exc: Exception) -> JSONResponse:
    status, kind = _greenfin_status(exc)
    extra: dict[str, Any] = {}
    detail = str(exc)
    if isinstance(exc, DataError):
        extra = {"source": exc.source, "column": exc.column, "row": exc.row}
        detail = exc.detail
    _log.info("greenfin error", extra={"status": status, "error": type(exc).__name__})
    return problem_response(status, detail, instance=request.url.path, kind=kind, **extra)


def _loc(parts: Sequence[Any]) -> tuple[str | int, ...]:
    return tuple(p if isinstance(p, int) else str(p) for p in parts)


async def _on_overflow(request: Request, exc: Exception) -> JSONResponse:
    _log.warning("arithmetic overflow", exc_info=exc)
    return problem_response(
        422,
        "A number in the request is too large (or too small) to compute with: the calculation overflowed. "
        "Use values of realistic size.",
        instance=request.url.path,
        kind="numeric-overflow",
    )


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = tuple(
        FieldProblem(loc=_loc(e.get("loc", ())), msg=str(e.get("msg", "")), type=str(e.get("type", "")))
        for e in exc.errors()
    )
    where = "; ".join(f"{'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in errors[:5])
    detail = f"The request is invalid ({len(errors)} error(s)): {where}. Fix the listed fields and resend."
    return problem_response(422, detail, instance=request.url.path, kind="validation-error", errors=errors)


def _allowed_methods(request: Request) -> str | None:
    """Every method the OpenAPI schema documents for the request's path (Starlette lists only one route's)."""
    app = request.app
    table: list[tuple[re.Pattern[str], list[str]]] | None = getattr(app.state, "allow_table", None)
    if table is None:
        table = [
            (re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"), [m.upper() for m in ops])
            for path, ops in (app.openapi().get("paths") or {}).items()
        ]
        app.state.allow_table = table
    methods = sorted({m for pattern, ops in table if pattern.match(request.url.path) for m in ops})
    return ", ".join(methods) if methods else None


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, default=str)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = allowed
    if exc.status_code == 400 and detail == "There was an error parsing the body":
        detail = "The request body could not be parsed. Send a JSON document (Content-Type: application/json)."
    return problem_response(exc.status_code, detail, instance=request.url.path, headers=headers or None)


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping of the table above on ``app`` (the 500 case is :class:`CatchAllMiddleware`).

    Parameters
    ----------
    app : fastapi.FastAPI
        The application.
    """
    from sklearn.exceptions import NotFittedError

    app.add_exception_handler(GreenfinError, _on_greenfin_error)
    app.add_exception_handler(NotFittedError, _on_greenfin_error)
    app.add_exception_handler(OverflowError, _on_overflow)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(IdempotentReplay, _on_replay)


class CatchAllMiddleware:
    """Turn any exception no handler claimed into a bare 500 problem; log it with its traceback server-side.

    The caller sees a fixed sentence and the request id, never the exception text or a stack trace.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, answering 500 if the inner app raises before responding."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            _log.exception("unhandled error", extra={"path": scope.get("path")})
            if started:  # the response is already on its way; nothing valid can be sent any more
                raise
            response = problem_response(
                500,
                f"The server could not complete the request. Quote request id {current_request_id()} to the operator.",
                instance=scope.get("path"),
            )
            await response(scope, receive, send)
