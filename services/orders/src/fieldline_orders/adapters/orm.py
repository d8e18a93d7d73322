"""Tables of the orders service (SQLAlchemy Core). Only this service reads or writes them.

Money columns are NUMERIC(18, 2), quantities NUMERIC(18, 3) and percents NUMERIC(7, 3) (Decimal
in Python, never Float): `ExactDecimal` keeps them exact on PostgreSQL and SQLite alike (on
SQLite as integer units of 10^-scale; see fieldline_kit.db_types).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
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
    UniqueConstraint,
    false,
    literal_column,
    text,
)

from fieldline_kit.db import new_metadata
from fieldline_kit.db_types import ExactDecimal
from fieldline_kit.tables import BigId, add_kit_tables

metadata = new_metadata()
kit = add_kit_tables(metadata)

Id = String(36)
MoneyCol = ExactDecimal(18, 2)
Qty = ExactDecimal(18, 3)
Percent = ExactDecimal(7, 3)


# ------------------------------------------------------------------------------- catalog
def record_version() -> Column[int]:
    """A catalog record's version: 1 when created, one more with every change (the catalog
    events carry it). Records stored before migration 0008 are at 1."""
    return Column("version", Integer, nullable=False, server_default=text("1"))


# One row: bumped by every transaction that changes product groups, products, price types or
# price lists, so a process can tell whether what it cached of them is still current
# (adapters/catalog_cache.py) with one tiny read.
catalog_state = Table(
    "catalog_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", BigInteger, nullable=False),
)

product_groups = Table(
    "product_groups",
    metadata,
    Column("id", Id, primary_key=True),
    Column("external_id", String(100), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("parent_id", String(36), nullable=False),
    record_version(),
)

products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True),
    Column("external_id", String(100), nullable=False, unique=True),
    Column("sku", String(100), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("name_search", String(300), nullable=False),
    Column("group_id", String(36), nullable=False, index=True),
    Column("barcodes", JSON, nullable=False),
    Column("vat_rate", Percent, nullable=False),
    Column("base_unit", String(20), nullable=False),
    # [{"code": "box", "name": "Коробка", "ratio": "12"}, …] including the base unit (ratio 1)
    Column("units", JSON, nullable=False),
    Column("pack_unit", String(20), nullable=False),
    Column("container_type", String(50), nullable=False),
    Column("containers_per_unit", Qty, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
)

price_types = Table(
    "price_types",
    metadata,
    Column("id", Id, primary_key=True),
    Column("external_id", String(100), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("currency_code", String(3), nullable=False),
    Column("vat_included", Boolean, nullable=False),
    record_version(),
)

price_lists = Table(
    "price_lists",
    metadata,
    Column("id", Id, primary_key=True),
    Column("external_id", String(100), nullable=False, unique=True),
    Column("price_type_id", Id, ForeignKey("price_types.id"), nullable=False, index=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    # One more with every change of the header or of any entry.
    record_version(),
    # How many rows of price_list_entries the list has, written with them (a merge of a few
    # entries into a list of 100,000 then knows the list's size without counting it).
    Column("entry_count", Integer, nullable=False, server_default=text("0")),
)

price_list_entries = Table(
    "price_list_entries",
    metadata,
    Column("price_list_id", Id, ForeignKey("price_lists.id"), primary_key=True),
    Column("product_id", Id, ForeignKey("products.id"), primary_key=True),
    Column("price", MoneyCol, nullable=False),
)

client_price_types = Table(
    "client_price_types",
    metadata,
    Column("client_id", Id, primary_key=True),
    Column("price_type_id", Id, ForeignKey("price_types.id"), nullable=False),
    record_version(),
)

client_prices = Table(
    "client_prices",
    metadata,
    Column("client_id", Id, primary_key=True),
    Column("product_id", Id, ForeignKey("products.id"), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=True),
    Column("price", MoneyCol, nullable=False),
    Column("currency_code", String(3), nullable=False),
    record_version(),
)

discounts = Table(
    "discounts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("external_id", String(100), nullable=False, unique=True),
    Column("scope", String(20), nullable=False),
    Column("client_id", String(36), nullable=False, index=True),
    Column("group_id", String(36), nullable=False),
    Column("product_id", String(36), nullable=False),
    Column("percent", Percent, nullable=False),
    # [{"min_quantity": "10", "percent": "3"}, …]
    Column("volume_breaks", JSON, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    record_version(),
    # The distributor whose discount it is, "" = the company's (migration 0016).
    Column("distributor_id", String(36), nullable=False, server_default=text("''"), index=True),
)

# The price type a distributor sells at: to a client, or ("" client) by default (migration 0016).
distributor_price_types = Table(
    "distributor_price_types",
    metadata,
    Column("distributor_id", Id, primary_key=True),
    Column("client_id", String(36), primary_key=True),
    Column("price_type_id", Id, ForeignKey("price_types.id"), nullable=False),
    record_version(),
)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("warehouse_id", Id, primary_key=True),
    Column("product_id", Id, primary_key=True),
    Column("quantity", Qty, nullable=False),
)

# The warehouses stock is kept in, the company's and distributors' (migration 0017). Stock
# levels and orders name warehouses by id without a foreign key: an unregistered one is taken
# as before; a registered one's owner must be the order's.
warehouses = Table(
    "warehouses",
    metadata,
    Column("id", Id, primary_key=True),
    Column("external_id", String(100), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("distributor_id", String(36), nullable=False),  # "" = the company's
    record_version(),
)
# A distributor's warehouses by id: ListWarehouses' filter, and an owner's warehouse ids.
Index("ix_warehouses_distributor_id", warehouses.c.distributor_id, warehouses.c.id)

# ---------------------------------------------------------------------------- promotions
# Trade promotions (migration 0019): targeting, product set and mechanic as JSON (read whole,
# never queried inside); the budget's total here, what orders consumed in its ledger.
promotions = Table(
    "promotions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("external_id", String(100), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("description", Text, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False, index=True),
    Column("currency_code", String(3), nullable=False),
    Column("stopped_at", DateTime(timezone=True), nullable=True),
    # {"client_ids": [...], "outlet_ids": [...], "outlet_channels": [...], ...}
    Column("targeting", JSON, nullable=False),
    Column("product_ids", JSON, nullable=False),
    Column("group_ids", JSON, nullable=False),
    # {"kind": "percent_off", "percent": "5"}, {"kind": "free_goods", ...}, …
    Column("mechanic", JSON, nullable=False),
    Column("combinability", String(10), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("budget_kind", String(10), nullable=False),
    Column("budget_total", Qty, nullable=False),
    record_version(),
)

# Each limited budget: its total (the promotion's) and what orders consumed, always the sum of
# its ledger's entries (migration 0021); the CHECKs are the last line of defence.
promotion_budgets = Table(
    "promotion_budgets",
    metadata,
    Column("promotion_id", Id, ForeignKey("promotions.id"), primary_key=True),
    Column("total", Qty, nullable=False),
    Column("consumed", Qty, nullable=False),
    CheckConstraint("consumed <= total", name="ck_promotion_budgets_not_overspent"),
    CheckConstraint("consumed >= 0", name="ck_promotion_budgets_not_negative"),
)

# The ledger: an order revision's consumption (delta > 0) and its release (< 0), once each.
promotion_budget_entries = Table(
    "promotion_budget_entries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("promotion_id", Id, nullable=False),
    Column("order_id", Id, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("kind", String(10), nullable=False),  # CONSUMED, RELEASED
    Column("delta", Qty, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "promotion_id", "order_id", "revision", "kind", name="uq_promotion_budget_entry"
    ),
)
Index("ix_promotion_budget_entries_order", promotion_budget_entries.c.order_id)

# -------------------------------------------------------------------------------- orders
orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("status", String(30), nullable=False),
    Column("client_id", Id, nullable=False, index=True),
    Column("outlet_id", Id, nullable=False),
    Column("agent_id", Id, nullable=False),
    Column("distributor_id", String(36), nullable=False),
    Column("warehouse_id", String(36), nullable=False),
    Column("order_date", Date, nullable=False),
    Column("delivery_date", Date, nullable=True),
    Column("currency_code", String(3), nullable=False),
    Column("net_total", MoneyCol, nullable=False),
    Column("vat_total", MoneyCol, nullable=False),
    Column("gross_total", MoneyCol, nullable=False),
    # {"outcome": "allow|warn|block|overridden", "reasons": [...], "fallback": bool, ...}
    Column("credit", JSON, nullable=False),
    Column("comment", Text, nullable=False),
    Column("status_reason", Text, nullable=False),
    # Van sales: cash taken on the spot and the receipt.
    Column("cash_collected", MoneyCol, nullable=False),
    Column("receipt_number", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The visit it was taken in, or "" (migration 0010).
    Column("visit_id", String(36), nullable=False, server_default=text("''")),
    # 1, one more with each amendment (migration 0013); `version` steps with every change.
    Column("revision", Integer, nullable=False, server_default=text("1")),
    # How it was taken, by whom and in which call (migration 0014): FIELD, its agent, "" for
    # every order from before; a PHONE order's teleseller and call.
    Column("channel", String(10), nullable=False, server_default=text("'FIELD'")),
    Column("taken_by", Id, nullable=False, server_default=text("''")),
    Column("call_id", String(36), nullable=False, server_default=text("''")),
    # Its promotions as judged, and what the device expected (migration 0020): JSON lists,
    # NULL for none (domain/order_promotions.py).
    Column("promotions", JSON, nullable=True),
    Column("expected_promotions", JSON, nullable=True),
)
Index("ix_orders_outlet_date", orders.c.outlet_id, orders.c.order_date)
# Own orders by taker (a teleseller's phone orders, credited to others) and ListOrders' filter.
Index("ix_orders_taken_by_date", orders.c.taken_by, orders.c.order_date)
# The documents of a contact (domain/contacts.py) and ListOrders' visit filter.
Index("ix_orders_visit_id", orders.c.visit_id)
Index("ix_orders_agent_date", orders.c.agent_id, orders.c.order_date)
Index("ix_orders_distributor_date", orders.c.distributor_id, orders.c.order_date)
# Orders on credit hold, oldest first: what the credit re-check walks (a partial index, so it
# holds only the few held orders). The status is a literal in the index and in the queries
# that use it (`ON_CREDIT_HOLD`): a planner matches a partial index's condition only to the
# same condition written out, not to a bound parameter.
ON_CREDIT_HOLD = orders.c.status == literal_column("'credit_hold'")
Index(
    "ix_orders_credit_hold",
    orders.c.created_at,
    orders.c.id,
    postgresql_where=ON_CREDIT_HOLD,
    sqlite_where=ON_CREDIT_HOLD,
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", Id, ForeignKey("orders.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("product_id", Id, nullable=False),
    Column("unit", String(20), nullable=False),
    Column("quantity", Qty, nullable=False),
    Column("base_quantity", Qty, nullable=False),
    Column("unit_price", MoneyCol, nullable=False),
    Column("price_source", String(100), nullable=False),
    Column("rule_discount_percent", Percent, nullable=False),
    Column("manual_discount_percent", Percent, nullable=False),
    Column("net_amount", MoneyCol, nullable=False),
    Column("vat_rate", Percent, nullable=False),
    Column("vat_amount", MoneyCol, nullable=False),
    Column("gross_amount", MoneyCol, nullable=False),
    # Base units delivered: the base quantity once DELIVERED, the reported figure when
    # PARTIALLY_DELIVERED, 0 before delivery. Sales history reads this column.
    Column("delivered_base_quantity", Qty, nullable=False),
    Column("container_type", String(50), nullable=False),
    Column("container_quantity", Qty, nullable=False),
    # What promotions took off it, a free line's promotion, and each promotion's part (JSON,
    # NULL for none) (migration 0020).
    Column("promotion_discount", MoneyCol, nullable=False, server_default=text("0")),
    Column("free_of_charge", Boolean, nullable=False, server_default=false()),
    Column("promotion_id", String(36), nullable=False, server_default=text("''")),
    Column("promotions", JSON, nullable=True),
)

order_status_history = Table(
    "order_status_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=False, index=True),
    Column("status", String(30), nullable=False),
    Column("reason", Text, nullable=False),
    Column("reported_by", String(100), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# Each revision of a pre-sale order an amendment replaced, as it was (`order_lines` holds the
# current one's lines): ListOrderRevisions.
order_revisions = Table(
    "order_revisions",
    metadata,
    Column("order_id", Id, ForeignKey("orders.id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    # [{line as order_lines holds it, figures as decimal strings}, …]
    Column("lines", JSON, nullable=False),
    Column("delivery_date", Date, nullable=True),
    Column("warehouse_id", String(36), nullable=False),
    Column("comment", Text, nullable=False),
    Column("currency_code", String(3), nullable=False),
    Column("net_total", MoneyCol, nullable=False),
    Column("vat_total", MoneyCol, nullable=False),
    Column("gross_total", MoneyCol, nullable=False),
    Column("credit", JSON, nullable=False),
    Column("replaced_at", DateTime(timezone=True), nullable=False),
    Column("promotions", JSON, nullable=True),  # as orders.promotions (migration 0020)
)

# The amendments of pre-sale orders: the device's amendment id (unique per order), the revision
# it made, the digest of its content (the same id with other content is refused), who and when.
order_amendments = Table(
    "order_amendments",
    metadata,
    Column("order_id", Id, ForeignKey("orders.id"), primary_key=True),
    Column("amendment_id", Id, primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("amended_by", String(100), nullable=False),
    Column("amended_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("order_id", "revision", name="uq_order_amendments_revision"),
)

# ------------------------------------------------------------------------------ contacts
# The sales of each contact (a visit), recomputed from the documents naming it (the
# ContactSales projection, domain/contacts.py); written in the transaction of every change of
# one of them and of the visit's feed row.
contact_sales = Table(
    "contact_sales",
    metadata,
    Column("contact_id", Id, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("employee_id", String(64), nullable=False),
    Column("outlet_id", Id, nullable=False),
    Column("day", Date, nullable=False),
    Column("orders", Integer, nullable=False),
    Column("van_sales", Integer, nullable=False),
    Column("returns", Integer, nullable=False),
    Column("lines", Integer, nullable=False),
    Column("gross_total", MoneyCol, nullable=False),
    Column("currency_code", String(3), nullable=False),
    Column("mismatched", Boolean, nullable=False),
    Column("productive", Boolean, nullable=False),
    # ORDERS_PRODUCTIVE_MINIMUM when judged.
    Column("productive_minimum", MoneyCol, nullable=False),
    # The ids of the orders and sales counted, of the returns: ["…", …]
    Column("order_ids", JSON, nullable=False),
    Column("return_ids", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
# ListContactSales: an employee's (a team's) contacts by day, then id; and everyone's.
Index("ix_contact_sales_employee_day", contact_sales.c.employee_id, contact_sales.c.day)
Index("ix_contact_sales_day", contact_sales.c.day, contact_sales.c.contact_id)

# ---------------------------------------------------------------------------------- jobs
# Background jobs one replica at a time runs (the credit re-check): who holds each one's lease
# and until when. A replica takes a job whose lease expired (or that it holds already) and
# renews it while it works (adapters/repository.py, `JobLeases`).
job_leases = Table(
    "job_leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
