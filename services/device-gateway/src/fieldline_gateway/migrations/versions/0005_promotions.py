"""promotions: the territory tree, each promotion as last projected, the outlets promotions name
(adapters/promotions_tables.py)

Empty at first: a running gateway fills them from clients' `TerritoryChanged`, orders'
`PromotionChanged` and its next bulk build (`fieldline-gateway bulk-build`, which lists
territories and promotions); territories created before clients published them reach the
gateway through that build only.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "graph_territories",
        sa.Column("territory_id", sa.String(64), nullable=False),
        sa.Column("parent_id", sa.String(64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("territory_id"),
    )
    op.create_table(
        "graph_promotions",
        sa.Column("promotion_id", sa.String(64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("territorial", sa.Boolean(), nullable=False),
        sa.Column("catalog", sa.Boolean(), nullable=False),
        sa.Column("clients", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("promotion_id"),
    )
    op.create_index(
        "ix_graph_promotions_territorial", "graph_promotions", ["territorial"], unique=False
    )
    op.create_table(
        "graph_promotion_outlets",
        sa.Column("outlet_id", sa.String(64), nullable=False),
        sa.Column("promotion_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("outlet_id", "promotion_id"),
    )
    op.create_index(
        "ix_graph_promotion_outlets_promotion_id",
        "graph_promotion_outlets",
        ["promotion_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_graph_promotion_outlets_promotion_id", table_name="graph_promotion_outlets")
    op.drop_table("graph_promotion_outlets")
    op.drop_index("ix_graph_promotions_territorial", table_name="graph_promotions")
    op.drop_table("graph_promotions")
    op.drop_table("graph_territories")
