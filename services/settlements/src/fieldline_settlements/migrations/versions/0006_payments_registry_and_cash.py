"""the payments registry, cash on hand and handovers

`payments.source` (FIELD, VAN_SALE, ERP), `visit_id`, `handover_id`; the registry's indexes
(`(date, id)`, `(collected_by, date, id)`, `(client_id, date)` gets `id`; the payments of a
handover). `cash_on_hand` (per employee: the sum of its cash no handover covers, versioned) and
`cash_handovers`.

Backfill of `source`, from what the rows prove:

* VAN_SALE: the payment's id is the van-sale cash id of a VAN_SALE invoice's order (the id
  `service_layer/handlers.py` `van_sale_payment_id` derives from the order id, which is the
  invoice's id);
* ERP: recorded by a service (`svc:…`) or by an employee the directory (`feed_employees`) says
  is ADMIN;
* FIELD: the others (an employee's, or unknown: recorded before the recorder was kept).

Every existing cash payment is on hand (no handover existed): `cash_on_hand` starts at each
collector's sum, version 1.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# handlers.VAN_SALE_CASH_NAMESPACE, copied: a migration must not change with the code.
VAN_SALE_CASH_NAMESPACE = uuid.UUID("0d3c6c9e-52a3-5f1e-8a6b-4f0e2b7c1a95")
CHUNK = 1000


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("source", sa.String(10), nullable=False, server_default=""))
        batch.add_column(sa.Column("visit_id", sa.String(36), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("handover_id", sa.String(36), nullable=False, server_default="")
        )
    op.drop_index("ix_payments_client_date", table_name="payments")
    op.create_index("ix_payments_client_date_id", "payments", ["client_id", "date", "id"])
    op.create_index("ix_payments_date", "payments", ["date", "id"])
    op.create_index("ix_payments_collector_date", "payments", ["collected_by", "date", "id"])
    op.create_index(
        "ix_payments_handover",
        "payments",
        ["handover_id"],
        postgresql_where=sa.text("handover_id != ''"),
        sqlite_where=sa.text("handover_id != ''"),
    )
    _backfill_sources()

    op.create_table(
        "cash_on_hand",
        sa.Column("employee_id", sa.String(64), primary_key=True),
        sa.Column("total", sa.Numeric(18, 2), nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "cash_handovers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("employee_id", sa.String(64), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("counted", sa.Numeric(18, 2), nullable=False),
        sa.Column("expected", sa.Numeric(18, 2), nullable=False),
        sa.Column("received_by", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_cash_handovers_date", "cash_handovers", ["date", "id"])
    op.create_index(
        "ix_cash_handovers_employee", "cash_handovers", ["employee_id", "date", "id"]
    )
    # Money is integer minor units on SQLite and NUMERIC on PostgreSQL in both tables alike,
    # so the sum moves as it is.
    op.get_bind().execute(
        sa.text(
            "INSERT INTO cash_on_hand (employee_id, total, version, updated_at) "
            "SELECT collected_by, SUM(amount), 1, :now FROM payments "
            "WHERE kind = 'cash' AND collected_by != '' GROUP BY collected_by"
        ),
        {"now": datetime.now(UTC)},
    )


def _backfill_sources() -> None:
    bind = op.get_bind()
    orders = bind.execute(sa.text("SELECT id FROM invoices WHERE source = 'van_sale'")).scalars()
    van_sale_ids = [str(uuid.uuid5(VAN_SALE_CASH_NAMESPACE, order_id)) for order_id in orders]
    mark = sa.text("UPDATE payments SET source = 'van_sale' WHERE id IN :ids").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    for start in range(0, len(van_sale_ids), CHUNK):
        bind.execute(mark, {"ids": van_sale_ids[start : start + CHUNK]})
    bind.execute(
        sa.text(
            "UPDATE payments SET source = 'erp' WHERE source = '' AND ("
            "recorded_by LIKE 'svc:%' OR recorded_by IN ("
            "SELECT employee_id FROM feed_employees "
            "WHERE ',' || roles || ',' LIKE '%,ADMIN,%'))"
        )
    )
    bind.execute(sa.text("UPDATE payments SET source = 'field' WHERE source = ''"))


def downgrade() -> None:
    op.drop_index("ix_cash_handovers_employee", table_name="cash_handovers")
    op.drop_index("ix_cash_handovers_date", table_name="cash_handovers")
    op.drop_table("cash_handovers")
    op.drop_table("cash_on_hand")
    op.drop_index("ix_payments_handover", table_name="payments")
    op.drop_index("ix_payments_collector_date", table_name="payments")
    op.drop_index("ix_payments_date", table_name="payments")
    op.drop_index("ix_payments_client_date_id", table_name="payments")
    op.create_index("ix_payments_client_date", "payments", ["client_id", "date"])
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("handover_id")
        batch.drop_column("visit_id")
        batch.drop_column("source")
