"""goods returns: who accepted one is a token's subject (an employee id or svc:<name>)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("goods_returns") as batch:
        batch.alter_column(
            "actor_id", type_=sa.String(100), existing_type=sa.String(36), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("goods_returns") as batch:
        batch.alter_column(
            "actor_id", type_=sa.String(36), existing_type=sa.String(100), existing_nullable=False
        )
