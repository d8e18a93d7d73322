"""exact decimals on SQLite: money, quantities and percents as integer units of 10^-scale

The columns stay NUMERIC(p, s) on both databases. PostgreSQL stored them exactly already:
nothing to do there. On SQLite the values were bound as floats (33.33 kept as REAL 33.33, 5.00
as INTEGER 5); `ExactDecimal` (fieldline_kit.db_types) stores value × 10^scale as an INTEGER
(3333, 500), so each column is rewritten to that. The column list is written out here, not read
from the live tables: a migration is what the schema was at this revision.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# table -> ((column, scale), …); money NUMERIC(18, 2), quantities NUMERIC(18, 3), percents
# NUMERIC(7, 3).
COLUMNS: dict[str, tuple[tuple[str, int], ...]] = {
    "products": (("vat_rate", 3), ("containers_per_unit", 3)),
    "price_list_entries": (("price", 2),),
    "client_prices": (("price", 2),),
    "discounts": (("percent", 3),),
    "stock_levels": (("quantity", 3),),
    "orders": (
        ("net_total", 2),
        ("vat_total", 2),
        ("gross_total", 2),
        ("cash_collected", 2),
    ),
    "order_lines": (
        ("quantity", 3),
        ("base_quantity", 3),
        ("unit_price", 2),
        ("rule_discount_percent", 3),
        ("manual_discount_percent", 3),
        ("net_amount", 2),
        ("vat_rate", 3),
        ("vat_amount", 2),
        ("gross_amount", 2),
        ("delivered_base_quantity", 3),
        ("container_quantity", 3),
    ),
    "van_stock": (("quantity", 3),),
    "van_movements": (("quantity", 3),),
    "goods_returns": (("gross_total", 2),),
    "goods_return_lines": (
        ("quantity", 3),
        ("base_quantity", 3),
        ("unit_price", 2),
        ("gross_amount", 2),
    ),
    "van_unloadings": (("cash_expected", 2), ("cash_handed_over", 2)),
    "van_unloading_lines": (("expected", 3), ("counted", 3)),
    "feed_shelf_counts": (("shelf_quantity", 3),),
}


def _rewrite(to_units: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table, columns in COLUMNS.items():
        assignments = []
        for column, scale in columns:
            factor = 10**scale
            if to_units:
                # ROUND: the REAL nearest to 33.33 is 33.3299999…; × 100 rounds back to 3333.
                value = f"CAST(ROUND({column} * {factor}) AS INTEGER)"
            else:
                value = f"{column} / {factor}.0"
            assignments.append(f"{column} = {value}")  # NULL stays NULL
        # One pass over each table, whatever its number of columns.
        op.execute(f"UPDATE {table} SET {', '.join(assignments)}")


def upgrade() -> None:
    _rewrite(to_units=True)


def downgrade() -> None:
    _rewrite(to_units=False)
