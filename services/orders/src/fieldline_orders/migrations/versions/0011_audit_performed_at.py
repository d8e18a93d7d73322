"""the device's time of an outlet's latest audit (stale shelf counts)

Rows from before keep NULL: their audit's day is its submit time's, as it was.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    for table in ("feed_outlet_audits", "feed_shelf_counts"):
        op.add_column(table, sa.Column("performed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ("feed_shelf_counts", "feed_outlet_audits"):
        op.drop_column(table, "performed_at")
