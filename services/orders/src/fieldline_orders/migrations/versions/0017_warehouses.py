"""warehouses, the company's and distributors'

`warehouses` (id derived from the external id, name, `distributor_id` "" = the company's,
version), keyed by id and by the distributor's id (its list, and the warehouse ids of an
owner). Stock levels and orders keep naming warehouses by id without a foreign key: one never
registered is taken as before.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("distributor_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("external_id", name=op.f("uq_warehouses_external_id")),
    )
    op.create_index("ix_warehouses_distributor_id", "warehouses", ["distributor_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_warehouses_distributor_id", table_name="warehouses")
    op.drop_table("warehouses")
