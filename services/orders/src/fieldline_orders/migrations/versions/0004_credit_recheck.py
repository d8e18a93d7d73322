"""credit re-check: held orders oldest first (partial index), job leases between replicas

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

ON_CREDIT_HOLD = sa.text("status = 'credit_hold'")


def upgrade() -> None:
    op.create_index(
        "ix_orders_credit_hold",
        "orders",
        ["created_at", "id"],
        unique=False,
        postgresql_where=ON_CREDIT_HOLD,
        sqlite_where=ON_CREDIT_HOLD,
    )
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )


def downgrade() -> None:
    op.drop_table("job_leases")
    op.drop_index("ix_orders_credit_hold", table_name="orders")
