"""audits and questionnaires for a distributor (issue 15, sales-gaps.md 3.3)

`questionnaires.distributor_id` and `audits.distributor_id`: the distributor client they are
for, '' the company's (every row before this revision). `ix_audits_distributor_id` (with the
id, ListAudits' order) serves a distributor manager's list and the `distributor_id` filter.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    for table in ("questionnaires", "audits"):
        op.add_column(
            table,
            sa.Column("distributor_id", sa.String(36), nullable=False, server_default=""),
        )
    op.create_index("ix_audits_distributor_id", "audits", ["distributor_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audits_distributor_id", table_name="audits")
    # Native DROP COLUMNs (as 0007): audits refer to questionnaires, and a batch copy of
    # questionnaires would have to drop the table they refer to.
    op.drop_column("audits", "distributor_id")
    op.drop_column("questionnaires", "distributor_id")
