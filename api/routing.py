"""The route class of every router: a plain-``def`` route commits its request's transaction in its own thread.

FastAPI runs a ``def`` route in a worker thread and then validates its response in another hop to the
thread pool, before it unwinds the request's dependencies. A session still open across that hop holds a
pooled connection (and, on SQLite, the write lock) while it waits for a free thread; under load every
thread may be waiting for a connection or for that lock, and the two pools deadlock until the pool times
out. So the transaction ends where the route ran: committed when the route returns, rolled back if it
raises, in the same thread, before FastAPI sees the result. The session dependency then only closes it.

A response that then fails FastAPI's own response validation (a server bug, answered 500) therefore does
not undo a committed write; the write and its audit entry stay consistent, and a retry with the same
Idempotency-Key replays the stored response.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from api.deps import WriteContext

__all__ = ["TransactionalRoute"]


def _sessions(values: dict[str, Any]) -> list[Session]:
    found: dict[int, Session] = {}
    for value in values.values():
        session = value.session if isinstance(value, WriteContext) else value
        if isinstance(session, Session):
            found[id(session)] = session
    return list(found.values())


def _finishing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the signature (and so the dependencies) through __wrapped__
    def run(**kwargs: Any) -> Any:
        sessions = _sessions(kwargs)
        try:
            result = endpoint(**kwargs)
        except BaseException:
            for session in sessions:
                if session.in_transaction():
                    session.rollback()
            raise
        for session in sessions:
            if session.in_transaction():
                session.commit()
        return result

    return run


class TransactionalRoute(APIRoute):
    """An ``APIRoute`` whose plain-``def`` endpoint commits or rolls back its sessions before returning."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _finishing(endpoint)
        super().__init__(path, endpoint, **kwargs)
