"""routes by the ERP's id, and who works them by date (ScheduleRouteAgents)

`routes.external_id`: the id the ERP knows the route by; '' for none (every route before this
revision). `ux_routes_external_id`: one route per non-empty external id.
`route_agent_periods`: who works a route from `valid_from` to `valid_to` (inclusive; NULL:
open-ended), one row per route and start day; empty at first, so every route keeps its agent.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-14 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

NOT_EMPTY = sa.text("external_id != ''")


def upgrade() -> None:
    op.add_column(
        "routes", sa.Column("external_id", sa.String(64), nullable=False, server_default="")
    )
    with op.batch_alter_table("routes") as batch:
        batch.create_index(
            "ux_routes_external_id",
            ["external_id"],
            unique=True,
            postgresql_where=NOT_EMPTY,
            sqlite_where=NOT_EMPTY,
        )
    op.create_table(
        "route_agent_periods",
        sa.Column("route_id", sa.String(36), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("employee_id", sa.String(36), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_route_agent_periods_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["routes.id"], name=op.f("fk_route_agent_periods_route_id_routes")
        ),
        sa.PrimaryKeyConstraint("route_id", "valid_from", name=op.f("pk_route_agent_periods")),
    )


def downgrade() -> None:
    op.drop_table("route_agent_periods")
    # As 0005: a native DROP COLUMN, since route_assignments refer to routes.
    op.drop_index("ux_routes_external_id", table_name="routes")
    op.drop_column("routes", "external_id")
