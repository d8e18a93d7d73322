"""price_lists.entry_count: how many entries each list has, kept with its entries

A merge of a batch of entries into a list (UpsertPriceLists with merge) touches only the rows
of the products it names, and announces the list's new size: it adds to and takes from this
count instead of counting a list of up to 100,000 entries. Filled here from the entries.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "price_lists",
        sa.Column("entry_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.execute(
        "UPDATE price_lists SET entry_count = (SELECT count(*) FROM price_list_entries e "
        "WHERE e.price_list_id = price_lists.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("price_lists") as batch:
        batch.drop_column("entry_count")
