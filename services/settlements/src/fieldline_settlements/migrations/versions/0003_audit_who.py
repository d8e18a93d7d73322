"""who made each money and policy change: the verified caller's subject

`client_accounts.changed_by` (the credit limit and terms in force), `debt_policies.changed_by`,
`container_deposits.changed_by` and `payments.recorded_by`: the subject of the token the change
was made with (an employee id, `svc:<name>`). Rows written before auth was in force, and
payments booked from orders' events (a van sale's cash), have '' (unknown).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

COLUMNS = (
    ("client_accounts", "changed_by"),
    ("debt_policies", "changed_by"),
    ("container_deposits", "changed_by"),
    ("payments", "recorded_by"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(
            table, sa.Column(column, sa.String(128), nullable=False, server_default="")
        )


def downgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
