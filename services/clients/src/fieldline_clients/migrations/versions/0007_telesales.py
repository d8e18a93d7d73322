"""telesales: routes of kind PHONE (call lists) and calls

`routes.kind`: 'field' (visited) or 'phone' (a teleseller's call list), fixed at creation;
every route before this revision is 'field'. `calls`: a teleseller's calls (RecordCall), never
changed, indexed by teleseller and day, outlet and day, teleseller and call-back time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "routes", sa.Column("kind", sa.String(10), nullable=False, server_default="field")
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("teleseller_id", sa.String(36), nullable=False),
        sa.Column("outlet_id", sa.String(36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("call_back_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    op.create_index("ix_calls_teleseller_day", "calls", ["teleseller_id", "day"])
    op.create_index("ix_calls_outlet_day", "calls", ["outlet_id", "day"])
    op.create_index(
        "ix_calls_teleseller_call_back_at", "calls", ["teleseller_id", "call_back_at"]
    )


def downgrade() -> None:
    op.drop_table("calls")
    # As 0006: a native DROP COLUMN, since route_assignments refer to routes.
    op.drop_column("routes", "kind")
