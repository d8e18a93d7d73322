"""visit ids on orders and returns, the clients feed's visits, the contacts' sales

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column("visit_id", sa.String(36), nullable=False, server_default=sa.text("''")),
    )
    op.create_index("ix_orders_visit_id", "orders", ["visit_id"])
    op.add_column(
        "goods_returns",
        sa.Column("visit_id", sa.String(36), nullable=False, server_default=sa.text("''")),
    )
    op.create_index("ix_goods_returns_visit_id", "goods_returns", ["visit_id"])
    op.create_table(
        "feed_visits",
        sa.Column("visit_id", sa.String(36), primary_key=True),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("outlet_id", sa.String(36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "contact_sales",
        sa.Column("contact_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("outlet_id", sa.String(36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("van_sales", sa.Integer(), nullable=False),
        sa.Column("returns", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("gross_total", sa.Numeric(18, 2), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("mismatched", sa.Boolean(), nullable=False),
        sa.Column("productive", sa.Boolean(), nullable=False),
        sa.Column("productive_minimum", sa.Numeric(18, 2), nullable=False),
        sa.Column("order_ids", sa.JSON(), nullable=False),
        sa.Column("return_ids", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_contact_sales_employee_day", "contact_sales", ["employee_id", "day"]
    )
    op.create_index("ix_contact_sales_day", "contact_sales", ["day", "contact_id"])


def downgrade() -> None:
    op.drop_index("ix_contact_sales_day", table_name="contact_sales")
    op.drop_index("ix_contact_sales_employee_day", table_name="contact_sales")
    op.drop_table("contact_sales")
    op.drop_table("feed_visits")
    op.drop_index("ix_goods_returns_visit_id", table_name="goods_returns")
    # A plain DROP COLUMN (SQLite >= 3.35 has it): a batch would copy the table, which the
    # foreign keys of its lines refuse.
    op.drop_column("goods_returns", "visit_id")
    op.drop_index("ix_orders_visit_id", table_name="orders")
    op.drop_column("orders", "visit_id")
