"""distributors' price types and discounts

A distributor sells at its own price type (to a client, or by default) with its own
discounts. Discounts from before are the company's (`distributor_id` "").

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "discounts",
        sa.Column("distributor_id", sa.String(36), nullable=False, server_default=sa.text("''")),
    )
    op.create_index("ix_discounts_distributor_id", "discounts", ["distributor_id"])
    op.create_table(
        "distributor_price_types",
        sa.Column("distributor_id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column(
            "price_type_id", sa.String(36), sa.ForeignKey("price_types.id"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
    )


def downgrade() -> None:
    op.drop_table("distributor_price_types")
    op.drop_index("ix_discounts_distributor_id", table_name="discounts")
    op.drop_column("discounts", "distributor_id")
