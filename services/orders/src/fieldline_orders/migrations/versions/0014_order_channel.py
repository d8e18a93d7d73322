"""how an order was taken (telesales): its channel, who took it, the call

Orders from before were taken in the field by their agent: channel FIELD, `taken_by` their
`agent_id` (backfilled), no call.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column("channel", sa.String(10), nullable=False, server_default=sa.text("'FIELD'")),
    )
    op.add_column(
        "orders", sa.Column("taken_by", sa.String(36), nullable=False, server_default=sa.text("''"))
    )
    op.add_column(
        "orders", sa.Column("call_id", sa.String(36), nullable=False, server_default=sa.text("''"))
    )
    op.execute("UPDATE orders SET taken_by = agent_id")
    op.create_index("ix_orders_taken_by_date", "orders", ["taken_by", "order_date"])


def downgrade() -> None:
    op.drop_index("ix_orders_taken_by_date", table_name="orders")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of `orders` would drop a table other
    # tables' foreign keys name.
    op.drop_column("orders", "call_id")
    op.drop_column("orders", "taken_by")
    op.drop_column("orders", "channel")
