"""what promotions' targeting reads of the clients feed: outlets' channel and territory, and
the territory tree

`feed_outlets.channel` and `.territory_id` are kept from OutletCreated/OutletChanged from here
on (rows from before hold "" until the outlet's next event); `feed_territories` is filled by
clients' TerritoryChanged (and by a bulk load).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "feed_outlets",
        sa.Column("channel", sa.String(100), nullable=False, server_default=sa.text("''")),
    )
    op.add_column(
        "feed_outlets",
        sa.Column("territory_id", sa.String(36), nullable=False, server_default=sa.text("''")),
    )
    op.create_table(
        "feed_territories",
        sa.Column("territory_id", sa.String(36), primary_key=True),
        sa.Column("parent_id", sa.String(36), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feed_territories")
    # Plain DROP COLUMNs (SQLite >= 3.35 has them), as 0015's.
    op.drop_column("feed_outlets", "territory_id")
    op.drop_column("feed_outlets", "channel")
