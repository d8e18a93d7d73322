"""the distributor a sale was made for, on its invoice (issue 15, increment 7)

Invoices from before are the company's (`distributor_id` "").

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "invoices",
        sa.Column("distributor_id", sa.String(36), nullable=False, server_default=sa.text("''")),
    )


def downgrade() -> None:
    op.drop_column("invoices", "distributor_id")
