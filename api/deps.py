"""``Annotated`` dependencies of the routes: settings, the store session, the caller, roles, writes.

=====================  ===============================================================================
alias                  what a route gets
=====================  ===============================================================================
``SettingsDep``        the process :class:`~api.settings.Settings`
``StoreDep``           a SQLAlchemy session in one transaction: committed when the route returns,
                       rolled back if it raises; the stores run inside it (``in_session``), and a
                       plain-``def`` route ends it in its own thread (api/routing.py; see
                       api/README.md, "Transactions")
``PrincipalDep``       the authenticated caller (key id, tenant, role), rate-limited per key
``BankDep`` etc.       the caller, refused with 403 unless it has that role
``AuditedWriteDep``    like ``WriteDep`` without idempotency (responses that must not be stored)
``WriteDep``           for creating/changing records: the session, the caller, the request id and the
                       ``Idempotency-Key``; it replays a stored response for a repeated key and writes the
                       audit entry, the record's owner and the idempotency record in the same transaction
=====================  ===============================================================================
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.errors import IdempotentReplay
from api.ratelimit import TokenBucketLimiter
from api.settings import Settings
from greenfin.store._access import (
    Principal,
    append_audit,
    authenticate_key,
    claim_record,
    get_idempotent,
    owner_of,
    save_idempotent,
)

__all__ = [
    "AdminDep",
    "AnyRoleDep",
    "AuditedWriteDep",
    "BankDep",
    "FinanceOfficeDep",
    "InsurerDep",
    "PrincipalDep",
    "SettingsDep",
    "StoreDep",
    "WriteContext",
    "WriteDep",
    "require_owner",
    "require_roles",
]

M = TypeVar("M", bound=BaseModel)

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="BearerKey",
    description="API key as a bearer token: `Authorization: Bearer gfk_<id>_<secret>`.",
)
_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="HeaderKey", description="API key in the X-API-Key header."
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]


async def _session(request: Request) -> AsyncIterator[Session]:
    """One session per request; it opens a connection only when a route or dependency uses it.

    Most read-only calls (a valuation, a score) never touch it: the caller comes from the key cache. A
    plain-``def`` route commits or rolls back in its own thread (api/routing.py), so here the session is
    usually only closed, on the event loop at no cost; a transaction still open (an ``async`` route) is
    ended in a thread, which is blocking I/O.
    """
    session: Session = request.app.state.sessionmaker()
    try:
        yield session
        if session.in_transaction():
            await _unlimited(session.commit)
    except BaseException:
        if session.in_transaction():
            await _unlimited(session.rollback)
        raise
    finally:
        if session.in_transaction():
            await _unlimited(session.close)
        else:
            session.close()


async def _unlimited(release: Callable[[], None]) -> None:
    """Run a call that releases a pooled connection in a thread, outside the thread pool's capacity limit.

    Under load every worker thread may be busy in a route waiting for a database connection; the commit
    that would free one must not wait for a free thread, or the two pools deadlock (FastAPI runs the exit
    of its own generator dependencies the same way).
    """
    await anyio.to_thread.run_sync(release, limiter=anyio.CapacityLimiter(1))


StoreDep = Annotated[Session, Depends(_session, scope="function")]


def _unauthorized(request: Request, detail: str) -> HTTPException:
    limiter: TokenBucketLimiter = request.app.state.auth_limiter
    client = request.client.host if request.client else "-"
    wait = limiter.acquire(f"auth:{client}")
    if wait > 0:
        return HTTPException(
            429,
            "Too many failed authentications from this address. Check the API key and retry later.",
            headers={"Retry-After": limiter.retry_after(wait)},
        )
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


_AUTH_CACHE_LOCK = threading.Lock()


def _authenticate(request: Request, presented: str) -> Principal | None:
    """Look a key up in a short session of its own, so no connection is held across thread hops.

    A request that held a pooled connection while it waited for a worker thread could deadlock the two
    pools under load (every thread waiting for a connection, every connection waiting for a thread).
    """
    session: Session
    with request.app.state.sessionmaker() as session:
        return authenticate_key(session, presented)


async def _cached_principal(request: Request, presented: str) -> Principal | None:
    """Verify a key, remembering successes for ``auth_cache_seconds`` (keyed by the key's SHA-256).

    A cache hit costs one hash and stays on the event loop; a miss reads the database in the thread pool.
    """
    ttl = request.app.state.settings.auth_cache_seconds
    if ttl <= 0:
        return await run_in_threadpool(_authenticate, request, presented)
    cache: dict[str, tuple[float, Principal]] = request.app.state.auth_cache
    digest = hashlib.sha256(presented.encode("utf-8", "replace")).hexdigest()
    now = time.monotonic()
    with _AUTH_CACHE_LOCK:
        hit = cache.get(digest)
    if hit is not None and hit[0] > now:
        return hit[1]
    principal = await run_in_threadpool(_authenticate, request, presented)
    if principal is not None:
        with _AUTH_CACHE_LOCK:
            if len(cache) > 10_000:
                cache.clear()
            cache[digest] = (now + ttl, principal)
    return principal


async def _principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    presented = bearer.credentials if bearer is not None else header_key
    if not presented:
        raise _unauthorized(
            request,
            "No API key. Send 'Authorization: Bearer <key>' (or 'X-API-Key: <key>'); ask the operator "
            "for a key (greenfin serve create-key).",
        )
    principal = await _cached_principal(request, presented)
    if principal is None:
        raise _unauthorized(request, "The API key is unknown, revoked or malformed. Check it or ask for a new one.")
    request.state.key_id = principal.key_id
    request.state.tenant = principal.tenant_id
    limiter: TokenBucketLimiter = request.app.state.limiter
    wait = limiter.acquire(principal.key_id)
    if wait > 0:
        raise HTTPException(
            429,
            f"Rate limit of key {principal.key_id} exceeded. Retry after the Retry-After seconds, or spread "
            "requests out.",
            headers={"Retry-After": limiter.retry_after(wait)},
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency that lets only callers with one of ``roles`` through (403 otherwise).

    Parameters
    ----------
    *roles : str
        Allowed roles.

    Returns
    -------
    callable
        The dependency.
    """

    async def check(principal: PrincipalDep) -> Principal:  # no I/O: stays on the event loop
        if principal.role not in roles:
            raise HTTPException(
                403, f"Role {principal.role!r} may not call this operation; it needs one of {sorted(roles)}."
            )
        return principal

    return check


AnyRoleDep = PrincipalDep
BankDep = Annotated[Principal, Depends(require_roles("bank"))]
InsurerDep = Annotated[Principal, Depends(require_roles("insurer"))]
FinanceOfficeDep = Annotated[Principal, Depends(require_roles("finance_office"))]
AdminDep = Annotated[Principal, Depends(require_roles("admin"))]


def require_owner(session: Session, principal: Principal, resource_type: str, resource_id: str) -> None:
    """Refuse with 404 unless the caller's tenant owns the record.

    A record of another tenant answers exactly like a missing one, so ids cannot be probed.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    principal : Principal
        The caller.
    resource_type : str
        Kind of record.
    resource_id : str
        Its id.

    Raises
    ------
    fastapi.HTTPException
        404 if the record does not exist for this tenant.
    """
    if owner_of(session, resource_type, resource_id) != principal.tenant_id:
        raise HTTPException(404, f"No {resource_type} {resource_id!r} for tenant {principal.tenant_id!r}.")


@dataclass(frozen=True)
class WriteContext:
    """What a writing route needs: the transaction's session, the caller and the request's identity.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The transaction (committed when the route returns).
    principal : Principal
        The caller.
    request_id : str
        The X-Request-ID.
    idempotency_key : str or None
        The Idempotency-Key header, if sent.
    request_sha256 : str
        Digest of method, path and body.
    method : str
        HTTP method.
    path : str
        Request path.
    """

    session: Session
    principal: Principal
    request_id: str
    idempotency_key: str | None
    request_sha256: str
    method: str
    path: str

    def audit(self, *, action: str, resource_type: str, resource_id: str, detail: dict[str, Any] | None = None) -> None:
        """Append the audit entry of this write.

        Parameters
        ----------
        action : str
            E.g. ``pledge.release``.
        resource_type : str
            Kind of record.
        resource_id : str
            Its id.
        detail : dict or None
            Small JSON-able facts.
        """
        append_audit(
            self.session,
            self.principal,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            request_id=self.request_id,
            detail=detail,
        )

    def created(
        self,
        response: M,
        *,
        action: str,
        resource_type: str,
        resource_id: str,
        status_code: int = 201,
        claim: bool = True,
    ) -> M:
        """Finish a creating write: owner, audit entry and idempotency record, then return ``response``.

        Parameters
        ----------
        response : pydantic.BaseModel
            The response body.
        action : str
            E.g. ``pledge.create``.
        resource_type : str
            Kind of record created.
        resource_id : str
            Its id.
        status_code : int
            The route's success status, stored for replays.
        claim : bool
            Record the caller's tenant as the record's owner (False when the store keeps the tenant itself).

        Returns
        -------
        pydantic.BaseModel
            ``response``, unchanged.
        """
        if claim:
            claim_record(self.session, resource_type, resource_id, self.principal.tenant_id)
        self.audit(action=action, resource_type=resource_type, resource_id=resource_id)
        if self.idempotency_key is not None:
            save_idempotent(
                self.session,
                tenant_id=self.principal.tenant_id,
                idempotency_key=self.idempotency_key,
                request_sha256=self.request_sha256,
                method=self.method,
                path=self.path,
                status_code=status_code,
                response=response.model_dump(mode="json"),
            )
        return response


async def _body_digest(request: Request) -> str:
    body = await request.body()
    return hashlib.sha256(request.method.encode() + b" " + request.url.path.encode() + b"\n" + body).hexdigest()


def _write_context(
    request: Request,
    session: StoreDep,
    principal: PrincipalDep,
    digest: Annotated[str, Depends(_body_digest)],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            description="Client-chosen unique key; a retry with the same key and body returns the first "
            "response instead of creating a second record.",
        ),
    ] = None,
) -> WriteContext:
    if idempotency_key is not None:
        lookup: Session
        with request.app.state.sessionmaker() as lookup:  # a short session: see _authenticate
            stored = get_idempotent(lookup, principal.tenant_id, idempotency_key)
        if stored is not None:
            if stored.request_sha256 != digest:
                raise HTTPException(
                    422,
                    f"Idempotency-Key {idempotency_key!r} was already used for a different request "
                    f"({stored.method} {stored.path}). Use a new key for a new request.",
                )
            raise IdempotentReplay(stored.status_code, json.loads(stored.response_json))
    return WriteContext(
        session=session,
        principal=principal,
        request_id=str(request.state.request_id),
        idempotency_key=idempotency_key,
        request_sha256=digest,
        method=request.method,
        path=request.url.path,
    )


WriteDep = Annotated[WriteContext, Depends(_write_context)]


def _audited_context(request: Request, session: StoreDep, principal: PrincipalDep) -> WriteContext:
    return WriteContext(
        session=session,
        principal=principal,
        request_id=str(request.state.request_id),
        idempotency_key=None,
        request_sha256="",
        method=request.method,
        path=request.url.path,
    )


AuditedWriteDep = Annotated[WriteContext, Depends(_audited_context)]
"""A write without idempotency replay (for responses that must never be stored, e.g. a new API key)."""
