"""Who am I, key management (admin) and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.deps import AdminDep, AuditedWriteDep, PrincipalDep, StoreDep
from api.errors import PROBLEM_RESPONSES, problem_doc
from api.routing import TransactionalRoute
from greenfin.store._access import ROLES, Role, issue_key, revoke_key
from greenfin.store._models_audit import AuditEntry

__all__ = ["router"]

router = APIRouter(route_class=TransactionalRoute, prefix="/v1", tags=["access"], responses=PROBLEM_RESPONSES)


class PrincipalPublic(BaseModel):
    """The caller as the API sees it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str = Field(description="Public id of the API key.")
    tenant_id: str = Field(description="The key's tenant (bank, insurer, finance office, operator).")
    role: Role = Field(description="The key's role.")


class KeyCreate(BaseModel):
    """Request to issue an API key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tenant_id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Tenant id, e.g. 'bank-a' (created if new)."
    )
    role: Role = Field(description=f"Role of the key: one of {list(ROLES)}.")
    label: str = Field(default="", max_length=200, description="Free text to recognise the key later.")


class KeyIssued(BaseModel):
    """A new API key; ``key`` is shown only in this response."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(description="The full key; store it now, it cannot be shown again.")
    key_id: str = Field(description="Public id of the key (for revocation and the audit log).")
    tenant_id: str = Field(description="The key's tenant.")
    role: Role = Field(description="The key's role.")


class AuditEntryPublic(BaseModel):
    """One entry of the append-only audit log."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int = Field(description="Sequence number.")
    at: dt.datetime = Field(description="When the write was made (UTC).")
    actor: str = Field(description="Who: '<tenant_id>/<key_id>' for API callers.")
    action: str = Field(description="What was done, e.g. 'pledge.create'.")
    entity: str = Field(description="Kind of record written.")
    entity_id: str = Field(description="Its id.")
    request_id: str | None = Field(description="X-Request-ID of the request (writes through the API).")
    detail: dict[str, Any] = Field(description="Facts about the write: tenant_id, key_id, role, request_id, ...")


@router.get("/me", operation_id="get_me", response_model=PrincipalPublic)
def get_me(principal: PrincipalDep) -> PrincipalPublic:
    """The caller's key id, tenant and role."""
    return PrincipalPublic(key_id=principal.key_id, tenant_id=principal.tenant_id, role=principal.role)  # type: ignore[arg-type]


@router.post("/admin/keys", operation_id="create_api_key", response_model=KeyIssued, status_code=201)
def create_api_key(req: KeyCreate, _admin: AdminDep, w: AuditedWriteDep) -> KeyIssued:
    """Issue an API key for a tenant (admin only). The full key appears once, in this response."""
    issued = issue_key(w.session, req.tenant_id, req.role, label=req.label)
    w.audit(
        action="api_key.create",
        resource_type="api_key",
        resource_id=issued.principal.key_id,
        detail={"key_tenant_id": req.tenant_id, "key_role": req.role},
    )
    return KeyIssued(key=issued.key, key_id=issued.principal.key_id, tenant_id=req.tenant_id, role=req.role)


@router.delete(
    "/admin/keys/{key_id}",
    operation_id="revoke_api_key",
    status_code=204,
    responses=problem_doc(404, "No such key."),
)
def revoke_api_key(key_id: str, request: Request, _admin: AdminDep, w: AuditedWriteDep) -> None:
    """Revoke an API key by its public id (admin only); it stops working at once."""
    try:
        revoke_key(w.session, key_id)
    except Exception as exc:
        raise HTTPException(404, f"No API key with id {key_id!r}.") from exc
    w.audit(action="api_key.revoke", resource_type="api_key", resource_id=key_id)
    request.app.state.auth_cache.clear()  # this process forgets it now; others within auth_cache_seconds


@router.get("/audit", operation_id="list_audit_entries", response_model=list[AuditEntryPublic])
def list_audit_entries(
    principal: PrincipalDep,
    session: StoreDep,
    after_id: Annotated[int, Query(ge=0, le=2**62, description="Return entries with a larger id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many entries.")] = 100,
) -> list[AuditEntryPublic]:
    """The audit log, oldest first: all tenants for admin, the caller's own tenant for everyone else."""
    query = select(AuditEntry).where(AuditEntry.id > after_id).order_by(AuditEntry.id).limit(limit)
    if principal.role != "admin":
        query = query.where(AuditEntry.actor.startswith(f"{principal.tenant_id}/", autoescape=True))
    return [
        AuditEntryPublic(
            id=e.id,
            at=e.at if e.at.tzinfo else e.at.replace(tzinfo=dt.UTC),
            actor=e.actor,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            request_id=(e.detail or {}).get("request_id"),
            detail=e.detail or {},
        )
        for e in session.scalars(query)
    ]
