"""indexes for the data scope of a caller (issue 11)

A supervisor's scope starts from the employees it supervises (`employees.supervisor_id`); a
field employee's or supervisor's lists of audits and proposals are filtered by their author
(`audits.agent_id`, `proposals.proposed_by`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

INDEXES = (
    ("employees", "supervisor_id"),
    ("audits", "agent_id"),
    ("proposals", "proposed_by"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        with op.batch_alter_table(table) as batch:
            batch.create_index(batch.f(f"ix_{table}_{column}"), [column], unique=False)


def downgrade() -> None:
    for table, column in INDEXES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(batch.f(f"ix_{table}_{column}"))
