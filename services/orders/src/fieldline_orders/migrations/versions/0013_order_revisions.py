"""amendments of pre-sale orders: the order's revision, the revisions it replaced, the
amendments that made them

Orders from before are at revision 1.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "orders", sa.Column("revision", sa.Integer(), nullable=False, server_default=sa.text("1"))
    )
    op.create_table(
        "order_revisions",
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("revision", sa.Integer(), primary_key=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column("warehouse_id", sa.String(36), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("net_total", sa.Numeric(18, 2), nullable=False),
        sa.Column("vat_total", sa.Numeric(18, 2), nullable=False),
        sa.Column("gross_total", sa.Numeric(18, 2), nullable=False),
        sa.Column("credit", sa.JSON(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "order_amendments",
        sa.Column("order_id", sa.String(36), sa.ForeignKey("orders.id"), primary_key=True),
        sa.Column("amendment_id", sa.String(36), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("amended_by", sa.String(100), nullable=False),
        sa.Column("amended_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("order_id", "revision", name="uq_order_amendments_revision"),
    )


def downgrade() -> None:
    op.drop_table("order_amendments")
    op.drop_table("order_revisions")
    op.drop_column("orders", "revision")
