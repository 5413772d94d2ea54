"""api access: tenants, hashed API keys, record owners, idempotency records, stored scoring models

Revision ID: api0001
Revises: 0001
Create Date: 2026-11-28

Tables of the HTTP API's identity and access layer (models in greenfin/store/_access.py). Writes through
the API are audited in the existing append-only audit_log table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The API's models live in greenfin/store/_access.py, which load_models() (it imports _models_* only) does
# not import. Importing it here registers them on Base.metadata whenever the migrations are loaded, so the
# models-vs-migrations comparison sees them. (Cleaner: have load_models() import _access too.)
import greenfin.store._access  # noqa: F401

revision: str = "api0001"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_tenants",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tenants")),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('bank', 'insurer', 'finance_office', 'admin')", name=op.f("ck_api_keys_role_known")
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["api_tenants.id"], name=op.f("fk_api_keys_tenant_id_api_tenants")),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "api_record_owners",
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["api_tenants.id"], name=op.f("fk_api_record_owners_tenant_id_api_tenants")
        ),
        sa.PrimaryKeyConstraint("resource_type", "resource_id", name=op.f("pk_api_record_owners")),
    )
    with op.batch_alter_table("api_record_owners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_record_owners_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "api_idempotency",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["api_tenants.id"], name=op.f("fk_api_idempotency_tenant_id_api_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "idempotency_key", name=op.f("pk_api_idempotency")),
    )
    op.create_table(
        "api_models",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("files_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["api_tenants.id"], name=op.f("fk_api_models_tenant_id_api_tenants")),
        sa.PrimaryKeyConstraint("tenant_id", "model_id", name=op.f("pk_api_models")),
    )


def downgrade() -> None:
    op.drop_table("api_models")
    op.drop_table("api_idempotency")
    with op.batch_alter_table("api_record_owners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_record_owners_tenant_id"))
    op.drop_table("api_record_owners")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_tenant_id"))
    op.drop_table("api_keys")
    op.drop_table("api_tenants")
