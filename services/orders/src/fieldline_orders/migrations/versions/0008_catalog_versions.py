"""catalog record versions: what the catalog events carry, so a consumer keeps the newest

`version` on product groups, price types, price lists, client price types, client prices and
discounts (products had one already): 1 when created, one more with every change. The records
stored before this migration are at version 1.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

TABLES = (
    "product_groups",
    "price_types",
    "price_lists",
    "client_price_types",
    "client_prices",
    "discounts",
)


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
