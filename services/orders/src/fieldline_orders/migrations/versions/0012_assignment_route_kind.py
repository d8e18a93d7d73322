"""the kind of route an assignment is on (clients' telesales: PHONE routes are call lists)

Rows from before are FIELD: clients had no other kind when they were written.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "feed_assignments",
        sa.Column("route_kind", sa.String(10), nullable=False, server_default=sa.text("'FIELD'")),
    )


def downgrade() -> None:
    with op.batch_alter_table("feed_assignments") as batch:
        batch.drop_column("route_kind")
