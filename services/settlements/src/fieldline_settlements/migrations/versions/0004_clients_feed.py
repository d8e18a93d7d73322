"""the clients feed's read models: employees (the auth check's directory), outlets, routes

`feed_employees` (standing, roles, supervisor), `feed_outlets` (outlet → client) and
`feed_route_outlets` (route × outlet, who works the route, removal tombstones), each row with
the aggregate version of the event that wrote it; written by `settlements-clients-feed`.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
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
    op.create_table(
        "feed_outlets",
        sa.Column("outlet_id", sa.String(36), primary_key=True),
        sa.Column("client_id", sa.String(36), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_feed_outlets_client_id", "feed_outlets", ["client_id"])
    op.create_table(
        "feed_route_outlets",
        sa.Column("route_id", sa.String(36), primary_key=True),
        sa.Column("outlet_id", sa.String(36), primary_key=True),
        sa.Column("agent_id", sa.String(64), nullable=False),
        sa.Column("removed", sa.Boolean, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_feed_route_outlets_agent_id", "feed_route_outlets", ["agent_id"])
    op.create_index("ix_feed_route_outlets_outlet_id", "feed_route_outlets", ["outlet_id"])


def downgrade() -> None:
    op.drop_index("ix_feed_route_outlets_outlet_id", table_name="feed_route_outlets")
    op.drop_index("ix_feed_route_outlets_agent_id", table_name="feed_route_outlets")
    op.drop_table("feed_route_outlets")
    op.drop_index("ix_feed_outlets_client_id", table_name="feed_outlets")
    op.drop_table("feed_outlets")
    op.drop_index("ix_feed_employees_supervisor_id", table_name="feed_employees")
    op.drop_table("feed_employees")
