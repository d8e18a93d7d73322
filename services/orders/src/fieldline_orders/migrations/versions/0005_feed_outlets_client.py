"""feed outlets by client: whether an order's client is known at all

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 18:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_feed_outlets_client_id", "feed_outlets", ["client_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feed_outlets_client_id", table_name="feed_outlets")
