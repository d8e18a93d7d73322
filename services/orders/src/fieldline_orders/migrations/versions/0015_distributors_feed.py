"""the clients feed's clients (their type: is a distributor id a distributor?) and vans' distributor

`feed_clients` is filled by clients' ClientCreated/ClientChanged from here on (and by a bulk
load); vans from before sell for the company (`distributor_id` "").

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_clients",
        sa.Column("client_id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.add_column(
        "vans",
        sa.Column("distributor_id", sa.String(36), nullable=False, server_default=sa.text("''")),
    )
    op.create_index("ix_vans_distributor_id", "vans", ["distributor_id"])


def downgrade() -> None:
    op.drop_index("ix_vans_distributor_id", table_name="vans")
    # A plain DROP COLUMN (SQLite >= 3.35 has it): a batch would copy the table, which the
    # foreign keys of its stock, movements, loads and unloadings refuse.
    op.drop_column("vans", "distributor_id")
    op.drop_table("feed_clients")
