"""Van-sale tables: vans, stock, the movement ledger, returns and unloadings.

`van_stock.quantity` is only ever changed together with a `van_movements` row (same
transaction), so for every van and product the stock equals the sum of its movements. A sale
decrements with `UPDATE … WHERE quantity >= q`; the CHECK constraint is the last line of
defence against a negative stock.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from fieldline_kit.tables import BigId
from fieldline_orders.adapters.orm import Id, MoneyCol, Qty, metadata

vans = Table(
    "vans",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("van_seller_id", Id, nullable=False, index=True),
    Column("currency_code", String(3), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The distributor the van sells for (a client of type DISTRIBUTOR), "" the company's
    # (migration 0015).
    Column("distributor_id", String(36), nullable=False, server_default=text("''")),
)
Index("ix_vans_distributor_id", vans.c.distributor_id)

van_stock = Table(
    "van_stock",
    metadata,
    Column("van_id", Id, ForeignKey("vans.id"), primary_key=True),
    Column("product_id", Id, ForeignKey("products.id"), primary_key=True),
    # Base units.
    Column("quantity", Qty, nullable=False),
    CheckConstraint("quantity >= 0", name="quantity_not_negative"),
)

van_movements = Table(
    "van_movements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("van_id", Id, ForeignKey("vans.id"), nullable=False),
    # The load, the sale (order id), the return or the unloading.
    Column("document_id", Id, nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("product_id", Id, nullable=False),
    # Signed base units: + into the van, − out of it.
    Column("quantity", Qty, nullable=False),
    Column("date", Date, nullable=False),
    # An unloading's booking of counted − expected (shortage or surplus).
    Column("discrepancy", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_van_movements_van_date", van_movements.c.van_id, van_movements.c.date)

van_loads = Table(
    "van_loads",
    metadata,
    Column("id", Id, primary_key=True),
    Column("van_id", Id, ForeignKey("vans.id"), nullable=False, index=True),
    Column("date", Date, nullable=False),
    # [["<product id>", "<base units>"], …]
    Column("lines", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

goods_returns = Table(
    "goods_returns",
    metadata,
    Column("id", Id, primary_key=True),
    # "" when the goods went to the warehouse.
    Column("van_id", String(36), nullable=False, index=True),
    Column("client_id", Id, nullable=False, index=True),
    Column("outlet_id", Id, nullable=False),
    # The sale the goods came from, or "".
    Column("order_id", String(36), nullable=False, index=True),
    Column("date", Date, nullable=False),
    Column("currency_code", String(3), nullable=False),
    Column("gross_total", MoneyCol, nullable=False),
    # [{"container_type": "keg-50", "quantity": "2"}, …]
    Column("containers", JSON, nullable=False),
    # Who accepted it: the verified caller's subject (an employee id, or svc:<name>).
    Column("actor_id", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # The visit it was taken in, or "" (migration 0010).
    Column("visit_id", String(36), nullable=False, server_default=text("''")),
)
Index("ix_goods_returns_visit_id", goods_returns.c.visit_id)

goods_return_lines = Table(
    "goods_return_lines",
    metadata,
    Column("return_id", Id, ForeignKey("goods_returns.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("product_id", Id, nullable=False),
    Column("unit", String(20), nullable=False),
    Column("quantity", Qty, nullable=False),
    Column("base_quantity", Qty, nullable=False),
    Column("unit_price", MoneyCol, nullable=False),
    Column("gross_amount", MoneyCol, nullable=False),
    Column("reason", Text, nullable=False),
)

van_unloadings = Table(
    "van_unloadings",
    metadata,
    Column("id", Id, primary_key=True),
    Column("van_id", Id, ForeignKey("vans.id"), nullable=False),
    Column("date", Date, nullable=False),
    Column("currency_code", String(3), nullable=False),
    Column("cash_expected", MoneyCol, nullable=False),
    Column("cash_handed_over", MoneyCol, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_van_unloadings_van_date", van_unloadings.c.van_id, van_unloadings.c.date)

van_unloading_lines = Table(
    "van_unloading_lines",
    metadata,
    Column("unloading_id", Id, ForeignKey("van_unloadings.id"), primary_key=True),
    Column("product_id", Id, primary_key=True),
    Column("expected", Qty, nullable=False),
    Column("counted", Qty, nullable=False),
)
