"""policy tombstones, credit standings and their sweep

`debt_policies.cleared`: a policy cleared with SetDebtPolicy (`clear`) is kept, in force
nowhere, so that its version keeps stepping through a clear and a later set (the order of its
DebtPolicyChanged events). `client_accounts.standing` and `standing_version`: the client's
credit standing as last judged (its decisions per stage) and the version of its
CreditStandingChanged events. `standing_sweeps`: how far the standings sweep has come (the
business day of its last sweep of the indebted clients, where that sweep is, and up to when it
has seen reservations expire), one row; `credit_reservations.expires_at` indexed for it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "debt_policies",
        sa.Column("cleared", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "client_accounts",
        sa.Column("standing", sa.String(200), nullable=False, server_default=""),
    )
    op.add_column(
        "client_accounts",
        sa.Column("standing_version", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "standing_sweeps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.Date, nullable=True),
        sa.Column("after_client", sa.String(36), nullable=False, server_default=""),
        sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("expired_to", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_credit_reservations_expires_at", "credit_reservations", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_credit_reservations_expires_at", table_name="credit_reservations")
    op.drop_table("standing_sweeps")
    with op.batch_alter_table("client_accounts") as batch:
        batch.drop_column("standing_version")
        batch.drop_column("standing")
    op.execute("DELETE FROM debt_policies WHERE cleared")
    with op.batch_alter_table("debt_policies") as batch:
        batch.drop_column("cleared")
