"""the device's time of an audit, beside the server's (issue 13)

`audits.performed_at`: when the device says the audit was made (SubmitAudit's
`audit.performed_at`); NULL when the device gave none, as for every audit submitted before.
`submitted_at` stays the server's time of acceptance.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audits", sa.Column("performed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audits") as batch:
        batch.drop_column("performed_at")
