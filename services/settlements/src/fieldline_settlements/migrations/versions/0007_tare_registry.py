"""the tare registry: each movement's document kind and the balance after it

`tare_movements.document_kind` (VAN_SALE, RETURN, DELIVERY, COUNT, ERP_DOCUMENT) and
`balance_after` (the client × container type balance just after the movement); the registry's
indexes `(date, id)` and `(client_id, date, id)`.

Backfill, from what the rows prove:

* `document_kind`: VAN_SALE or RETURN when the movement's document is an invoice of that source
  (a van sale's invoice has the order's id, a credit note the return's); COUNT for a count that
  found the balance right (direction `counted`); else '' (not proved: a count's adjustment,
  whose document is derived from the count's, or a sale or return that booked no invoice);
* `balance_after`: the running sum (issued +, returned −) over the client's movements of the
  type in id order, the order they were applied in (each under the balance row's version).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-11 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tare_movements") as batch:
        batch.add_column(
            sa.Column("document_kind", sa.String(20), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("balance_after", sa.Numeric(18, 3), nullable=False, server_default="0")
        )
    op.create_index("ix_tare_movements_date", "tare_movements", ["date", "id"])
    op.create_index(
        "ix_tare_movements_client_date", "tare_movements", ["client_id", "date", "id"]
    )
    bind = op.get_bind()
    for source in ("van_sale", "return"):
        bind.execute(
            sa.text(
                "UPDATE tare_movements SET document_kind = :source WHERE document_id IN "
                "(SELECT id FROM invoices WHERE source = :source)"
            ),
            {"source": source},
        )
    bind.execute(
        sa.text(
            "UPDATE tare_movements SET document_kind = 'count' "
            "WHERE document_kind = '' AND direction = 'counted'"
        )
    )
    # Quantities are integer thousandths on SQLite and NUMERIC on PostgreSQL in the column and
    # the sum alike. UPDATE … FROM: PostgreSQL, SQLite ≥ 3.33.
    bind.execute(
        sa.text(
            "UPDATE tare_movements SET balance_after = s.running FROM ("
            "SELECT id, SUM(CASE direction WHEN 'issued' THEN quantity "
            "WHEN 'returned' THEN -quantity ELSE 0 END) "
            "OVER (PARTITION BY client_id, container_type ORDER BY id) AS running "
            "FROM tare_movements) AS s WHERE s.id = tare_movements.id"
        )
    )


def downgrade() -> None:
    op.drop_index("ix_tare_movements_client_date", table_name="tare_movements")
    op.drop_index("ix_tare_movements_date", table_name="tare_movements")
    with op.batch_alter_table("tare_movements") as batch:
        batch.drop_column("balance_after")
        batch.drop_column("document_kind")
