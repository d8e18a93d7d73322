"""orders priced with promotions: lines' promotion discount, free lines, the order's judgement
of its promotions and the device's expectation (issue 15, increment 10)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # 0 is 0 in ExactDecimal's integer units too (SQLite) and in NUMERIC (PostgreSQL).
    op.add_column(
        "order_lines",
        sa.Column("promotion_discount", sa.Numeric(18, 2), nullable=False, server_default=sa.text("0")),
    )
    op.add_column(
        "order_lines",
        sa.Column("free_of_charge", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "order_lines",
        sa.Column("promotion_id", sa.String(36), nullable=False, server_default=sa.text("''")),
    )
    # NULL: no promotion (most lines; nothing to encode).
    op.add_column("order_lines", sa.Column("promotions", sa.JSON(), nullable=True))
    op.add_column("orders", sa.Column("promotions", sa.JSON(), nullable=True))
    op.add_column("orders", sa.Column("expected_promotions", sa.JSON(), nullable=True))
    op.add_column("order_revisions", sa.Column("promotions", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy would drop tables other tables name.
    op.drop_column("order_revisions", "promotions")
    op.drop_column("orders", "expected_promotions")
    op.drop_column("orders", "promotions")
    op.drop_column("order_lines", "promotions")
    op.drop_column("order_lines", "promotion_id")
    op.drop_column("order_lines", "free_of_charge")
    op.drop_column("order_lines", "promotion_discount")
