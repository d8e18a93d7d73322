"""the sync store: an index on fanout_heads (seq), the scopes written after a cursor

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 05:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_fanout_heads_seq", "fanout_heads", ["seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_fanout_heads_seq", table_name="fanout_heads")
