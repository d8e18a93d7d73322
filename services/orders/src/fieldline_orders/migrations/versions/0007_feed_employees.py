"""the clients feed's employees: the auth check's directory (standing, roles, team)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_employees",
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("roles", sa.String(200), nullable=False),
        sa.Column("supervisor_id", sa.String(64), nullable=False),
        sa.Column("territory_id", sa.String(64), nullable=False),
        sa.Column("distributor_id", sa.String(64), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_feed_employees_supervisor_id", "feed_employees", ["supervisor_id"])


def downgrade() -> None:
    op.drop_index("ix_feed_employees_supervisor_id", table_name="feed_employees")
    op.drop_table("feed_employees")
