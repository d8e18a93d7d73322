"""exact decimals on SQLite: money and quantity columns declared NUMERIC(p, s), as on PostgreSQL

Settlements already kept money and quantities on SQLite as integer units of 10^-scale (kopecks,
thousandths) in columns declared BIGINT (revision 0001). The kit's `ExactDecimal`
(fieldline_kit.db_types), now used by every service, stores the same integers but declares the
columns NUMERIC(p, s) on both databases, so only the declared type changes here: each table is
rebuilt (SQLite cannot ALTER a column's type) and the values are copied unchanged (an INTEGER
stays an INTEGER under NUMERIC affinity). PostgreSQL had NUMERIC(p, s) already: nothing to do.
The column list is written out here, not read from the live tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# table -> ((column, precision, scale, nullable), …)
COLUMNS: dict[str, tuple[tuple[str, int, int, bool], ...]] = {
    "client_accounts": (("credit_limit", 18, 2, True),),
    "invoices": (("amount", 18, 2, False), ("open_amount", 18, 2, False)),
    "payments": (("amount", 18, 2, False), ("unallocated", 18, 2, False)),
    "allocations": (("amount", 18, 2, False),),
    "credit_reservations": (("amount", 18, 2, False),),
    "container_deposits": (("deposit", 18, 2, False),),
    "tare_balances": (("issued", 18, 3, False), ("returned", 18, 3, False)),
    "tare_movements": (("quantity", 18, 3, False),),
}


def _retype(to_numeric: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in COLUMNS.items():
        # Rebuilt from the reflected table: indexes (the partial ones included) and constraints
        # come back as they were.
        with op.batch_alter_table(table, recreate="always") as batch:
            for column, precision, scale, nullable in columns:
                numeric = sa.Numeric(precision=precision, scale=scale)
                new, old = (numeric, sa.BigInteger()) if to_numeric else (sa.BigInteger(), numeric)
                batch.alter_column(
                    column, type_=new, existing_type=old, existing_nullable=nullable
                )


def upgrade() -> None:
    _retype(to_numeric=True)


def downgrade() -> None:
    _retype(to_numeric=False)
