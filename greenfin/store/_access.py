"""Access-control tables of the HTTP API: tenants, hashed API keys, record ownership, idempotency records.

The API (``api/``) and ``greenfin serve create-key`` use these; the domain packages never do. A key is
``gfk_<key_id>_<secret>``: ``key_id`` (12 hex digits) is stored in clear to find the row, the 256-bit
``secret`` only as its SHA-256 digest (a fast hash is enough for a random 256-bit secret: there is nothing
to brute-force; salted slow hashes are for human passwords). The full key is shown once, at creation.
Writes through the API are recorded in the store's append-only ``audit_log`` (actor ``<tenant>/<key_id>``).

Roles: ``bank`` (its own applications, rights, pledges, models and loans), ``insurer`` (insurance),
``finance_office`` (reads across banks for assessment only) and ``admin`` (keys, tenants, audit log).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any, Final, Literal, get_args

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from greenfin.errors import ConflictError, SpecError, param_error
from greenfin.store._base import Base
from greenfin.store._models_audit import AuditEntry

__all__ = [
    "ROLES",
    "ApiKey",
    "IdempotencyRecord",
    "IssuedKey",
    "Principal",
    "RecordOwner",
    "Role",
    "StoredModel",
    "Tenant",
    "actor_of",
    "append_audit",
    "authenticate_key",
    "claim_record",
    "create_tenant",
    "get_idempotent",
    "get_model_files",
    "issue_key",
    "model_digest",
    "owner_of",
    "revoke_key",
    "save_idempotent",
    "save_model_files",
]

Role = Literal["bank", "insurer", "finance_office", "admin"]
ROLES: Final[tuple[str, ...]] = get_args(Role)
KEY_PREFIX: Final = "gfk"
_KEY_RE = re.compile(r"^gfk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Tenant(Base):
    """An organisation calling the API: a bank, an insurer, the finance office or the operator."""

    __tablename__ = "api_tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class ApiKey(Base):
    """An API key: its public id, the SHA-256 of its secret, its tenant and role."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("role IN ('bank', 'insurer', 'finance_office', 'admin')", name="role_known"),)

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("api_tenants.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)


class RecordOwner(Base):
    """Which tenant owns a record created through the API (rights, pledges, models, applications, loans)."""

    __tablename__ = "api_record_owners"
    __table_args__ = (PrimaryKeyConstraint("resource_type", "resource_id"),)

    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[str] = mapped_column(ForeignKey("api_tenants.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class IdempotencyRecord(Base):
    """The stored response of a creating POST, replayed when the same ``Idempotency-Key`` comes again."""

    __tablename__ = "api_idempotency"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "idempotency_key"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("api_tenants.id"))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    request_sha256: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    status_code: Mapped[int] = mapped_column(Integer)
    response_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class StoredModel(Base):
    """A fitted scoring model of one tenant, stored as its saved artefact files (JSON / LightGBM text)."""

    __tablename__ = "api_models"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "model_id"),)

    tenant_id: Mapped[str] = mapped_column(ForeignKey("api_tenants.id"))
    model_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    content_sha256: Mapped[str] = mapped_column(String(64))
    files_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, tenant and role.

    Parameters
    ----------
    key_id : str
        Public id of the key.
    tenant_id : str
        The key's tenant.
    role : str
        One of ``ROLES``.
    """

    key_id: str
    tenant_id: str
    role: str


@dataclass(frozen=True)
class IssuedKey:
    """A newly issued key: the full key (shown once) and its principal.

    Parameters
    ----------
    key : str
        The full key ``gfk_<key_id>_<secret>``; it is not stored and cannot be shown again.
    principal : Principal
        Its id, tenant and role.
    """

    key: str
    principal: Principal


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_tenant(session: Session, tenant_id: str, name: str | None = None) -> Tenant:
    """Add a tenant, or return it if it exists.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (the caller commits).
    tenant_id : str
        Short lowercase id, e.g. ``bank-a`` (letters, digits, ``-``, ``_``; at most 63 characters).
    name : str or None
        Display name; defaults to the id.

    Returns
    -------
    Tenant
        The tenant row.

    Raises
    ------
    SpecError
        If the id is not a valid tenant id.
    """
    if not _TENANT_RE.match(tenant_id):
        raise param_error(
            "create_tenant",
            "tenant_id",
            "lowercase letters, digits, '-' or '_' (1-63 characters)",
            tenant_id,
            "Use a short id such as 'bank-a'.",
        )
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        tenant = Tenant(id=tenant_id, name=name or tenant_id, created_at=_now())
        session.add(tenant)
        session.flush()
    return tenant


def issue_key(session: Session, tenant_id: str, role: str, *, label: str = "") -> IssuedKey:
    """Create an API key for ``tenant_id`` with ``role`` (creating the tenant if needed).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (the caller commits).
    tenant_id : str
        The tenant, e.g. ``bank-a``.
    role : str
        ``bank``, ``insurer``, ``finance_office`` or ``admin``.
    label : str
        Free text to recognise the key later (e.g. the system using it).

    Returns
    -------
    IssuedKey
        The full key (shown once) and its principal.

    Raises
    ------
    SpecError
        If the role or tenant id is invalid.
    """
    if role not in ROLES:
        raise param_error("issue_key", "role", f"one of {list(ROLES)}", role, "Pick the role of the caller.")
    create_tenant(session, tenant_id)
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            key_id=key_id,
            secret_sha256=_digest(secret),
            tenant_id=tenant_id,
            role=role,
            label=label,
            created_at=_now(),
        )
    )
    session.flush()
    return IssuedKey(key=f"{KEY_PREFIX}_{key_id}_{secret}", principal=Principal(key_id, tenant_id, role))


def authenticate_key(session: Session, key: str) -> Principal | None:
    """Find the principal of a presented key.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    key : str
        The key as presented by the caller.

    Returns
    -------
    Principal or None
        The principal, or None if the key is malformed, unknown, revoked or its secret does not match
        (compared in constant time).
    """
    match = _KEY_RE.match(key)
    if match is None:
        return None
    row = session.get(ApiKey, match.group(1))
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_sha256, _digest(match.group(2))):
        return None
    return Principal(row.key_id, row.tenant_id, row.role)


def revoke_key(session: Session, key_id: str) -> None:
    """Revoke a key by its public id.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session (the caller commits).
    key_id : str
        The 12-digit public id (the part after ``gfk_``).

    Raises
    ------
    SpecError
        If no such key exists.
    """
    row = session.get(ApiKey, key_id)
    if row is None:
        raise SpecError(f"No API key with id {key_id!r}. List the keys' ids in the api_keys table and retry.")
    if row.revoked_at is None:
        row.revoked_at = _now()
        session.flush()


def claim_record(session: Session, resource_type: str, resource_id: str, tenant_id: str) -> None:
    """Record that ``tenant_id`` owns a record it just created.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session of the write (same transaction).
    resource_type : str
        Kind of record, e.g. ``right`` or ``pledge``.
    resource_id : str
        Its id.
    tenant_id : str
        The owner.

    Raises
    ------
    ConflictError
        If another tenant already owns that record.
    """
    existing = owner_of(session, resource_type, resource_id)
    if existing is not None:
        if existing != tenant_id:
            raise ConflictError(f"{resource_type} {resource_id!r} already exists. Choose another id.")
        return
    session.add(
        RecordOwner(resource_type=resource_type, resource_id=resource_id, tenant_id=tenant_id, created_at=_now())
    )
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(f"{resource_type} {resource_id!r} already exists. Choose another id.") from exc


def owner_of(session: Session, resource_type: str, resource_id: str) -> str | None:
    """The tenant owning a record, or None if the API never created it.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    resource_type : str
        Kind of record.
    resource_id : str
        Its id.

    Returns
    -------
    str or None
        The owning tenant's id.
    """
    return session.scalar(
        select(RecordOwner.tenant_id).where(
            RecordOwner.resource_type == resource_type, RecordOwner.resource_id == resource_id
        )
    )


def get_idempotent(session: Session, tenant_id: str, idempotency_key: str) -> IdempotencyRecord | None:
    """The stored response for ``(tenant_id, idempotency_key)``, if any.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    tenant_id : str
        The caller's tenant (keys are scoped per tenant).
    idempotency_key : str
        The ``Idempotency-Key`` header.

    Returns
    -------
    IdempotencyRecord or None
        The record.
    """
    return session.get(IdempotencyRecord, (tenant_id, idempotency_key))


def save_idempotent(
    session: Session,
    *,
    tenant_id: str,
    idempotency_key: str,
    request_sha256: str,
    method: str,
    path: str,
    status_code: int,
    response: Any,
) -> None:
    """Store the response of a creating request in the same transaction as the write.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session of the write.
    tenant_id : str
        The caller's tenant.
    idempotency_key : str
        The ``Idempotency-Key`` header.
    request_sha256 : str
        Digest of method, path and body, to refuse a reused key with a different request.
    method : str
        HTTP method.
    path : str
        Request path.
    status_code : int
        Status of the stored response.
    response : Any
        JSON-able response body.

    Raises
    ------
    ConflictError
        If a concurrent request with the same key committed first (the caller should retry to get the replay).
    """
    session.add(
        IdempotencyRecord(
            tenant_id=tenant_id,
            idempotency_key=idempotency_key,
            request_sha256=request_sha256,
            method=method,
            path=path,
            status_code=status_code,
            response_json=json.dumps(response, ensure_ascii=False),
            created_at=_now(),
        )
    )
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(
            f"A request with Idempotency-Key {idempotency_key!r} was processed concurrently. "
            "Retry it to receive the stored response."
        ) from exc


def actor_of(principal: Principal) -> str:
    """The ``actor`` written to the store's audit log for an API caller: ``<tenant_id>/<key_id>``.

    Parameters
    ----------
    principal : Principal
        The caller.

    Returns
    -------
    str
        The actor string (tenant ids never contain ``/``).
    """
    return f"{principal.tenant_id}/{principal.key_id}"


def append_audit(
    session: Session,
    principal: Principal,
    *,
    action: str,
    resource_type: str,
    resource_id: str,
    request_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the store's append-only audit log, in the write's own transaction.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session of the write.
    principal : Principal
        Who wrote (``actor`` becomes ``<tenant_id>/<key_id>``; role and request id go in ``detail``).
    action : str
        What, e.g. ``pledge.create`` (at most 32 characters).
    resource_type : str
        Kind of record written.
    resource_id : str
        Its id.
    request_id : str
        The X-Request-ID of the request.
    detail : dict or None
        Small JSON-able facts about the write (never secrets); the keys ``tenant_id``, ``key_id``, ``role``,
        ``request_id`` and ``via`` are reserved for the caller's identity.
    """
    facts: dict[str, Any] = json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str))
    facts.update(
        {
            "tenant_id": principal.tenant_id,
            "key_id": principal.key_id,
            "role": principal.role,
            "request_id": request_id,
            "via": "api",
        }
    )  # who and which request always win over caller-supplied facts
    session.add(
        AuditEntry(
            at=_now(),
            actor=actor_of(principal),
            action=action,
            entity=resource_type,
            entity_id=resource_id,
            detail=facts,
        )
    )
    session.flush()


def save_model_files(
    session: Session, tenant_id: str, model_id: str, *, kind: str, files: dict[str, str]
) -> StoredModel:
    """Store a tenant's saved model (the text of its artefact files); a model id is never overwritten.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        The session of the write.
    tenant_id : str
        Owner.
    model_id : str
        The tenant's name for the model.
    kind : str
        Model kind from its manifest (e.g. ``scorecard``).
    files : dict of str to str
        File name to file text (``manifest.json``, ``model.json``, ``booster.txt``, ...).

    Returns
    -------
    StoredModel
        The stored row.

    Raises
    ------
    ConflictError
        If the tenant already has a model with that id (upload it under a new id: models are immutable).
    """
    blob = json.dumps(files, ensure_ascii=False, sort_keys=True)
    if session.get(StoredModel, (tenant_id, model_id)) is not None:
        raise ConflictError(f"Model {model_id!r} already exists; models are immutable, upload under a new id.")
    row = StoredModel(
        tenant_id=tenant_id,
        model_id=model_id,
        kind=kind,
        content_sha256=hashlib.sha256(blob.encode()).hexdigest(),
        files_json=blob,
        created_at=_now(),
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        raise ConflictError(f"Model {model_id!r} was uploaded concurrently; use a new id.") from exc
    return row


def get_model_files(session: Session, tenant_id: str, model_id: str) -> tuple[str, dict[str, str]] | None:
    """A tenant's stored model: its content digest and files, or None.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    tenant_id : str
        Owner (another tenant's model with the same id is never returned).
    model_id : str
        The model id.

    Returns
    -------
    tuple of (str, dict) or None
        ``(content_sha256, files)``.
    """
    row = session.get(StoredModel, (tenant_id, model_id))
    if row is None:
        return None
    files: dict[str, str] = json.loads(row.files_json)
    return row.content_sha256, files


def model_digest(session: Session, tenant_id: str, model_id: str) -> str | None:
    """The content digest of a tenant's stored model (a cheap look-up for caches), or None.

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Open session.
    tenant_id : str
        Owner.
    model_id : str
        The model id.

    Returns
    -------
    str or None
        ``content_sha256``.
    """
    return session.scalar(
        select(StoredModel.content_sha256).where(StoredModel.tenant_id == tenant_id, StoredModel.model_id == model_id)
    )
