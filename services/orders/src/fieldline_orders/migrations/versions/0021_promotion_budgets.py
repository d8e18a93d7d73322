"""promotion budgets and their ledger (issue 15, increment 11)

`promotion_budgets` holds each limited budget's total (as the promotion's) and what orders
consumed; `promotion_budget_entries` every consumption and release, unique per promotion ×
order × revision × kind, so a retried write counts once. `consumed` is always the entries'
sum; the CHECK is the last line of defence against overspending.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promotion_budgets",
        sa.Column("promotion_id", sa.String(36), sa.ForeignKey("promotions.id"), primary_key=True),
        sa.Column("total", sa.Numeric(18, 3), nullable=False),
        sa.Column("consumed", sa.Numeric(18, 3), nullable=False),
        sa.CheckConstraint("consumed <= total", name="ck_promotion_budgets_not_overspent"),
        sa.CheckConstraint("consumed >= 0", name="ck_promotion_budgets_not_negative"),
    )
    op.create_table(
        "promotion_budget_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("promotion_id", sa.String(36), nullable=False),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("delta", sa.Numeric(18, 3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "promotion_id", "order_id", "revision", "kind", name="uq_promotion_budget_entry"
        ),
    )
    op.create_index(
        "ix_promotion_budget_entries_order", "promotion_budget_entries", ["order_id"]
    )
    # Promotions with a budget from before: their budget row, nothing consumed yet.
    op.execute(
        "INSERT INTO promotion_budgets (promotion_id, total, consumed) "
        "SELECT id, budget_total, 0 FROM promotions WHERE budget_kind <> 'NONE'"
    )


def downgrade() -> None:
    op.drop_index("ix_promotion_budget_entries_order", table_name="promotion_budget_entries")
    op.drop_table("promotion_budget_entries")
    op.drop_table("promotion_budgets")
