"""the upkeep jobs: partial indexes on the tombstones' seq and the closed intervals' removed_seq,
compaction's ranges (without them each hourly run walks every live row below its bound)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_fanout_objects_tombstones",
        "fanout_objects",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("deleted IS true"),
        sqlite_where=sa.text("deleted IS 1"),
    )
    op.create_index(
        "ix_fanout_members_closed",
        "fanout_members",
        ["removed_seq"],
        unique=False,
        postgresql_where=sa.text("removed_seq IS NOT NULL"),
        sqlite_where=sa.text("removed_seq IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_fanout_members_closed", table_name="fanout_members")
    op.drop_index("ix_fanout_objects_tombstones", table_name="fanout_objects")
