"""ASGI middleware: request ids and access logs, and the request body size limit."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem_response
from api.logs import LOGGER_NAME, request_id_var

__all__ = ["BodySizeLimitMiddleware", "RequestContextMiddleware", "SingleQueryValueMiddleware"]

_log = logging.getLogger(LOGGER_NAME)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID_HEADER = "X-Request-ID"


class RequestContextMiddleware:
    """Give every request an id and log one JSON line per request.

    An incoming ``X-Request-ID`` made of at most 128 characters from ``A-Z a-z 0-9 . _ : -`` is kept (so a
    bank's own correlation id flows through); anything else is replaced by a new UUID. The id is echoed
    in the response header, stored in the audit log and in every log line of the request.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request with its id set."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            state = scope.get("state", {})
            _log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000.0, 2),
                    "key_id": state.get("key_id"),
                    "tenant": state.get("tenant"),
                    "client": (scope.get("client") or ("-",))[0],
                },
            )
            request_id_var.reset(token)


class BodySizeLimitMiddleware:
    """Refuse request bodies larger than ``max_bytes`` with 413, before the app parses anything.

    A declared ``Content-Length`` over the limit is refused at once; a chunked body is read up to the limit
    (bodies are small JSON documents, so buffering them is cheap) and refused as soon as it passes it.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    max_bytes : int
        The limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            f"The request body is larger than {self.max_bytes} bytes. Send a smaller document "
            "(split large tables into several requests) or use the command line for bulk work.",
            instance=scope.get("path"),
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request if its body fits."""
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class SingleQueryValueMiddleware:
    """Refuse a query parameter given more than once (422): no route takes a list in the query string.

    Without this, ``?limit=1&limit=1000`` would silently use the last value.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request unless a query parameter repeats."""
        if scope["type"] == "http" and scope.get("query_string"):
            params = QueryParams(scope["query_string"])
            repeated = sorted({k for k in params if len(params.getlist(k)) > 1})
            if repeated:
                response = problem_response(
                    422,
                    f"Query parameter(s) {repeated} given more than once; send each parameter once.",
                    instance=scope.get("path"),
                    kind="validation-error",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
